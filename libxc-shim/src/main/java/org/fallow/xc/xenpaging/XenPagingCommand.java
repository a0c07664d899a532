package org.fallow.xc.xenpaging;

import org.fallow.abi.AbiProfile;
import org.fallow.xc.XcHandle;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code xenpaging [options] -f <pagefile> -d <domain_id>}: the paging daemon as a process. SIGTERM/SIGINT page
 * everything back in and exit 0; SIGHUP exits at once (pages stay out, the pagefile is kept for a restart).
 * Exit codes as xenpaging: 0 success, 1 when initialisation fails or for {@code -h} and bad options (usage), 2 for
 * an error after initialisation.
 */
@Command(name = "xenpaging", mixinStandardHelpOptions = true, version = "xenpaging (fallow, Xen 4.12 semantics)",
        description = "Pages a domain's memory out to a pagefile down to /local/domain/<domid>/memory/target-tot_pages (KiB).")
public final class XenPagingCommand implements Callable<Integer> {
    @Option(names = {"-d", "--domain"}, required = true, description = "numerical domain_id of guest (required)")
    int domid;

    @Option(names = {"-f", "--pagefile"}, required = true, description = "pagefile to use (required)")
    Path pagefile;

    @Option(names = {"-m", "--max_memkb"}, description = "maximum amount of memory to handle, KiB (default: the domain's max_pages)")
    long maxMemKb;

    @Option(names = {"-r", "--mru_size"}, description = "number of paged-in pages to keep in memory (default ${DEFAULT-VALUE})")
    int mruSize = VictimPolicy.DEFAULT_MRU_SIZE;

    @Option(names = {"-v", "--verbose"}, description = "enable debug output")
    boolean verbose;

    @Option(names = "--vm-event-version", description = "vm_event interface: 4 (Xen 4.12, default) or 7 (Xen 4.17); must match the hypervisor's")
    int vmEventVersion = 4;

    @Option(names = "--socket", description = "hypervisor socket (default $FALLOW_RUN_DIR/hypervisor.sock)")
    Path socket;

    /**
     * The command as the standalone tools/xenpaging: {@code -h} and bad options print the usage and exit 1, as
     * xenpaging_getopts does (inside {@code ./fallow}, help exits 0 like every fallow command).
     */
    public static CommandLine standalone() {
        CommandLine cl = new CommandLine(new XenPagingCommand());
        cl.getCommandSpec().exitCodeOnUsageHelp(1);
        cl.getCommandSpec().exitCodeOnInvalidInput(1);
        return cl;
    }

    public static void main(String[] args) {
        System.exit(standalone().execute(args));
    }

    @Override public Integer call() {
        if (verbose) System.setProperty("org.slf4j.simpleLogger.log.org.fallow.xc.xenpaging", "debug");
        if (vmEventVersion != 4 && vmEventVersion != 7) {
            System.err.println("xenpaging: --vm-event-version must be 4 or 7");
            return XenPaging.EXIT_INIT_FAILED;
        }
        if (domid == 0) {
            System.err.println("xenpaging: domain 0 cannot be paged");
            return XenPaging.EXIT_INIT_FAILED;
        }
        XcHandle xc;
        try {
            xc = XcHandle.open(socket != null ? socket : XcHandle.defaultSocket(), AbiProfile.XEN_4_12);
        } catch (Exception e) {
            System.err.println("xenpaging: cannot connect to the hypervisor: " + e.getMessage());
            return XenPaging.EXIT_INIT_FAILED;
        }
        try (XcPagingHost host = new XcPagingHost(xc)) {
            XenPaging pager = new XenPaging(host, new XenPagingOptions(domid, pagefile, maxMemKb, mruSize, verbose, vmEventVersion));
            installSignals(pager);
            return pager.run();
        }
    }

    /** sun.misc.Signal replaces the JVM's default TERM/INT handling (which would exit at once). */
    @SuppressWarnings("removal")
    static void installSignals(XenPaging pager) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("TERM"), s -> pager.requestShutdown());
            sun.misc.Signal.handle(new sun.misc.Signal("INT"), s -> pager.requestShutdown());
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), s -> pager.requestQuit());
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            // no signal support: fall back to a shutdown hook that at least asks for a clean page-in
            Runtime.getRuntime().addShutdownHook(new Thread(pager::requestShutdown));
        }
    }
}
