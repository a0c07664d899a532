package org.fallow.abi.bench;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.util.JavacTask;

import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The heap-image corpus of {@code fallow bench tmem} and {@code tmem-socket}: real pages of a real JVM heap, this JVM's own. A workload first
 * fills the heap with live objects of a real program (javac parses the JDK's own {@code java.base/java/util} sources
 * from {@code $JAVA_HOME/lib/src.zip}, keeping the syntax trees reachable), then the Java heap is located in
 * {@code /proc/self/maps} (the adjacent mappings that together span exactly {@code MaxHeapSize}), and its resident
 * pages ({@code /proc/self/pagemap} present bit: pages never touched are not taken) are read from
 * {@code /proc/self/mem}, evenly strided down to the number wanted. Linux and HotSpot only.
 */
public final class HeapImageCorpus {
    /** The pages, 4096 bytes each, and what they are. */
    public record Corpus(byte[][] pages, long residentHeapPages, long heapBytes, String workload) {
        public int size() { return pages.length; }

        /** Pages that are one 8-byte word repeated (all-zero included). */
        public long sameFilled() {
            long n = 0;
            for (byte[] p : pages) if (java.util.Arrays.mismatch(p, 0, 4088, p, 8, 4096) < 0) n++;
            return n;
        }

        public long zero() {
            long n = 0;
            byte[] z = new byte[4096];
            for (byte[] p : pages) if (java.util.Arrays.equals(p, z)) n++;
            return n;
        }
    }

    private HeapImageCorpus() {}

    /** Runs the workload, then takes up to {@code maxPages} resident heap pages; the workload stays live meanwhile. */
    public static Corpus capture(int maxPages) throws IOException {
        List<CompilationUnitTree> live = new ArrayList<>();
        String workload = javacWorkload(live);
        long maxHeap = Long.parseLong(ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                .getVMOption("MaxHeapSize").getValue());
        List<long[]> ranges = heapRanges(maxHeap);
        List<Long> resident = residentPages(ranges);
        int n = Math.min(maxPages, resident.size());
        byte[][] pages = new byte[n][];
        try (RandomAccessFile mem = new RandomAccessFile("/proc/self/mem", "r")) {
            for (int i = 0; i < n; i++) {
                long addr = resident.get((int) ((long) i * resident.size() / n));
                pages[i] = new byte[4096];
                mem.seek(addr);
                mem.readFully(pages[i]);
            }
        }
        java.lang.ref.Reference.reachabilityFence(live);
        return new Corpus(pages, resident.size(), maxHeap, workload + ", " + live.size() + " trees live");
    }

    private static String javacWorkload(List<CompilationUnitTree> live) throws IOException {
        Path src = Path.of(System.getProperty("java.home"), "lib", "src.zip");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null || !Files.isReadable(src))
            throw new IOException("the heap-image corpus needs a JDK with jdk.compiler and lib/src.zip (java.home=" + System.getProperty("java.home") + ")");
        List<JavaFileObject> files = new ArrayList<>();
        try (ZipFile zip = new ZipFile(src.toFile())) {
            for (ZipEntry e : java.util.Collections.list(zip.entries())) {
                String name = e.getName();
                if (!name.startsWith("java.base/java/util/") || !name.endsWith(".java") || files.size() >= 400) continue;
                String text = new String(zip.getInputStream(e).readAllBytes(), StandardCharsets.UTF_8);
                files.add(new SimpleJavaFileObject(URI.create("string:///" + name), JavaFileObject.Kind.SOURCE) {
                    @Override public CharSequence getCharContent(boolean ignoreEncodingErrors) { return text; }
                });
            }
        }
        JavacTask task = (JavacTask) javac.getTask(null, null, d -> {}, List.of("-proc:none"), null, files);
        for (CompilationUnitTree t : task.parse()) live.add(t);
        return "javac parse of " + files.size() + " java.base/java/util sources from lib/src.zip";
    }

    /** The mappings of the Java heap: adjacent mappings spanning exactly maxHeap; the rw ones returned. */
    static List<long[]> heapRanges(long maxHeap) throws IOException {
        List<long[]> all = new ArrayList<>(); // {start, end, rw}
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            String[] f = line.trim().split("\\s+"); // a named mapping can be part of the heap (the CDS archived heap)
            String[] r = f[0].split("-");
            all.add(new long[] {Long.parseUnsignedLong(r[0], 16), Long.parseUnsignedLong(r[1], 16), f[1].startsWith("rw") ? 1 : 0});
        }
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i) == null) continue;
            long start = all.get(i)[0], end = all.get(i)[1];
            int j = i;
            while (end - start < maxHeap && j + 1 < all.size() && all.get(j + 1) != null && all.get(j + 1)[0] == end) end = all.get(++j)[1];
            if (end - start == maxHeap) {
                List<long[]> rw = new ArrayList<>();
                for (int k = i; k <= j; k++) if (all.get(k)[2] == 1) rw.add(all.get(k));
                if (!rw.isEmpty()) return rw;
            }
        }
        throw new IOException("no mapping run of MaxHeapSize (" + maxHeap + " bytes) in /proc/self/maps");
    }

    /** The addresses of resident pages in {@code ranges} (pagemap bit 63). */
    static List<Long> residentPages(List<long[]> ranges) throws IOException {
        List<Long> out = new ArrayList<>();
        try (RandomAccessFile pm = new RandomAccessFile("/proc/self/pagemap", "r")) {
            byte[] buf = new byte[8 * 512];
            for (long[] r : ranges) {
                for (long a = r[0]; a < r[1]; a += 512L * 4096) {
                    int n = (int) Math.min(512, (r[1] - a) / 4096);
                    pm.seek(a / 4096 * 8);
                    pm.readFully(buf, 0, n * 8);
                    for (int i = 0; i < n; i++) {
                        if ((buf[i * 8 + 7] & 0x80) != 0) out.add(a + i * 4096L);
                    }
                }
            }
        }
        return out;
    }
}
