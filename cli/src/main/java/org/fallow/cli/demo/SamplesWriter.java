package org.fallow.cli.demo;

import org.fallow.cli.chart.MemorySeries;
import org.fallow.cli.stats.DomainSample;
import org.fallow.cli.stats.HostSample;
import org.fallow.cli.stats.Json;
import org.fallow.cli.stats.SampleJson;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Writes the raw samples: {@code samples.jsonl} (one {@link SampleJson} object per line) and a wide {@code samples.csv}. */
public final class SamplesWriter {
    private SamplesWriter() { }

    public static void writeJsonLines(MemorySeries series, Path file) throws IOException {
        try (Writer w = new java.io.BufferedWriter(new java.io.OutputStreamWriter(org.fallow.abi.fs.SafeFiles.newStream(file), java.nio.charset.StandardCharsets.UTF_8))) {
            for (HostSample s : series.samples()) w.write(Json.write(SampleJson.toMap(s)) + "\n");
        }
    }

    /** Columns: time_s, host free/tmem pages, then per domain (in first-seen order) tot, pod, paged, eph, pers pages. */
    public static void writeCsv(MemorySeries series, Path file) throws IOException {
        List<Integer> ids = series.domids();
        try (Writer w = new java.io.BufferedWriter(new java.io.OutputStreamWriter(org.fallow.abi.fs.SafeFiles.newStream(file), java.nio.charset.StandardCharsets.UTF_8))) {
            StringBuilder h = new StringBuilder("time_s,host_total_pages,host_free_pages,tmem_ephemeral_pages");
            for (int id : ids) {
                String n = series.name(id).replace(',', '_');
                for (String f : new String[]{"tot", "pod_entries", "pod_cache", "paged", "tmem_eph", "tmem_pers"})
                    h.append(',').append(n).append('_').append(f);
            }
            w.write(h.append('\n').toString());
            for (HostSample s : series.samples()) {
                StringBuilder r = new StringBuilder(String.format(Locale.ROOT, "%.3f,%d,%d,%d", series.seconds(s.timeMillis()),
                        s.totalPages(), s.freePages(), s.tmemEphPages()));
                for (int id : ids) {
                    DomainSample d = s.domain(id);
                    long[] v = d == null ? new long[]{-1, -1, -1, -1, -1, -1}
                            : new long[]{d.totPages(), d.podEntries(), d.podCache(), d.pagedPages(), d.tmemEphPages(), d.tmemPersPages()};
                    for (long x : v) r.append(',').append(x < 0 ? "" : Long.toString(x));
                }
                w.write(r.append('\n').toString());
            }
        }
    }
}
