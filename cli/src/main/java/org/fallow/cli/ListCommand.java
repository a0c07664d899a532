package org.fallow.cli;

import org.fallow.abi.AbiProfile;
import org.fallow.cli.stats.Json;
import org.fallow.cli.stats.TmemListing;
import org.fallow.cli.stats.Units;
import org.fallow.xc.XcDomain;
import org.fallow.xc.XcHandle;
import org.fallow.xc.XcTmem;
import org.fallow.xc.tools.DomainRef;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code fallow list [-l] [DOMAIN...]}: xl list's columns in xl's format (Name, ID, Mem in whole MiB as xl truncates
 * it, VCPUs, State, Time(s)), then Fallow's: PoD entries, pages paged out and tmem pages (MiB, one decimal). With
 * domains (ids or names) only those; {@code -l}: one JSON array with every figure in KiB, for scripts. Built through
 * picocli's programmatic API ({@link #spec}): the command a user runs most reads no annotation at start-up.
 */
public final class ListCommand implements Callable<Integer> {
    boolean json;
    Path socket;
    List<String> domains = new ArrayList<>();
    PrintStream out = System.out;

    /** The command's options and usage text (what {@code @Command}/{@code @Option} annotations would say). */
    static CommandSpec spec(ListCommand cmd) {
        CommandSpec spec = CommandSpec.wrapWithoutInspection(cmd).name("list");
        spec.usageMessage().description("List domains as xl list does (Name, ID, Mem, VCPUs, State, Time(s)), plus PoD "
                + "entries, pages paged out and tmem pages (MiB).", "-l prints JSON with every figure in KiB.");
        FieldBinding<Boolean> json = FieldBinding.of(() -> cmd.json, v -> cmd.json = v);
        spec.addOption(OptionSpec.builder("-l", "--long").type(boolean.class).arity("0").initialValue(false).description("JSON, every figure in KiB")
                .getter(json).setter(json).build());
        FieldBinding<Path> socket = FieldBinding.of(() -> cmd.socket, v -> cmd.socket = v);
        spec.addOption(OptionSpec.builder("--socket").paramLabel("<socket>").type(Path.class)
                .description("hypervisor socket (default: $FALLOW_RUN_DIR/hypervisor.sock)").getter(socket).setter(socket).build());
        FieldBinding<List<String>> domains = FieldBinding.of(() -> cmd.domains, v -> cmd.domains = v);
        spec.addPositional(PositionalParamSpec.builder().paramLabel("DOMAIN").arity("0..*").type(List.class)
                .auxiliaryTypes(String.class).initialValue(new ArrayList<String>()).description("domains to list (id or name; default: all)")
                .getter(domains).setter(domains).build());
        return spec;
    }

    /** One domain's line. */
    record Row(String name, XcDomain.DomainInfo info, long podEntries, long podCache, long tmemEph, long tmemPers) { }

    @Override public Integer call() throws IOException {
        try (XcHandle xc = XcHandle.open(socket != null ? socket : RunContext.current().socket(), AbiProfile.XEN_4_12)) {
            List<Row> rows = rows(xc);
            if (json) out.println(json(rows));
            else out.print(table(rows));
            return 0;
        }
    }

    List<Row> rows(XcHandle xc) throws IOException {
        XcDomain dom = new XcDomain(xc);
        List<Integer> wanted = new ArrayList<>();
        for (String d : domains) wanted.add(DomainRef.resolve(xc, d));
        String listText = new XcTmem(xc).list(0xFFFF, true);
        TmemListing tmem = listText == null ? null : TmemListing.parse(listText);
        List<Row> rows = new ArrayList<>();
        for (XcDomain.DomainInfo i : dom.listDomains()) { // one snapshot, as xl list's libxl_list_domain
            if (!wanted.isEmpty() && !wanted.contains(i.domid())) continue;
            String name = DomainRef.name(xc, i.domid());
            if (name == null) name = i.domid() == 0 ? "Domain-0" : "(null)";
            XcDomain.PodTarget pod = i.domid() == 0 ? null : dom.xc_domain_get_pod_target(i.domid());
            TmemListing.Client c = tmem == null ? null : tmem.clients().get(i.domid());
            rows.add(new Row(name, i, pod != null && pod.rc() == 0 ? pod.podEntries() : 0, pod != null && pod.rc() == 0 ? pod.podCachePages() : 0,
                    c == null ? 0 : c.ephemeralPages(), c == null ? 0 : c.persistentPages()));
        }
        if (!wanted.isEmpty()) rows.sort(java.util.Comparator.comparingInt(r -> wanted.indexOf(r.info().domid())));
        return rows;
    }

    /**
     * xl list's header and rows ({@code %-40s %5d %5lu %5d     %s  %8.1f}), then Fallow's columns: the text of
     * {@code String.format(Locale.ROOT, "%-40s %5d %5d %5d     %s  %8.1f %7s %7s %7s%n", ...)}, padded by hand (no
     * java.util.Formatter in the command a user runs most; {@link Units#oneDecimal} for the decimals).
     */
    static String table(List<Row> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append("Name                                        ID   Mem VCPUs\tState\tTime(s)     PoD   Paged    Tmem\n");
        for (Row r : rows) {
            XcDomain.DomainInfo i = r.info();
            left(sb, r.name(), 40).append(' ');
            right(sb, Integer.toString(i.domid()), 5).append(' ');
            right(sb, Long.toString((i.totPages() + i.outstandingPages()) * 4 / 1024), 5).append(' ');
            right(sb, Integer.toString(i.onlineVcpus()), 5).append("     ").append(i.stateString()).append("  ");
            right(sb, i.cpuTimeNs() >= 0 ? Units.oneDecimal(i.cpuTimeNs(), 1_000_000_000L)
                    : String.format(Locale.ROOT, "%.1f", i.cpuTimeNs() / 1e9), 8).append(' ');
            right(sb, Units.mibText(r.podEntries()), 7).append(' ');
            right(sb, Units.mibText(i.pagedPages()), 7).append(' ');
            right(sb, Units.mibText(r.tmemEph() + r.tmemPers()), 7).append(System.lineSeparator());
        }
        return sb.toString();
    }

    /** {@code %-Ns}: {@code s} then spaces up to {@code width} (never cut). */
    static StringBuilder left(StringBuilder sb, String s, int width) {
        sb.append(s);
        for (int n = s.length(); n < width; n++) sb.append(' ');
        return sb;
    }

    /** {@code %Ns}: spaces up to {@code width}, then {@code s} (never cut). */
    static StringBuilder right(StringBuilder sb, String s, int width) {
        for (int n = s.length(); n < width; n++) sb.append(' ');
        return sb.append(s);
    }

    static String json(List<Row> rows) {
        List<Object> list = new ArrayList<>();
        for (Row r : rows) {
            XcDomain.DomainInfo i = r.info();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("domid", i.domid());
            m.put("name", r.name());
            m.put("state", i.stateString());
            m.put("vcpus", i.onlineVcpus());
            m.put("cpu_time_s", i.cpuTimeNs() / 1e9);
            m.put("current_memkb", i.totPages() * 4);
            m.put("outstanding_memkb", i.outstandingPages() * 4);
            m.put("max_memkb", i.maxPages() * 4);
            m.put("pod_entries_kb", r.podEntries() * 4);
            m.put("pod_cache_kb", r.podCache() * 4);
            m.put("paged_kb", i.pagedPages() * 4);
            m.put("tmem_ephemeral_kb", r.tmemEph() * 4);
            m.put("tmem_persistent_kb", r.tmemPers() * 4);
            list.add(m);
        }
        return Json.write(list);
    }
}
