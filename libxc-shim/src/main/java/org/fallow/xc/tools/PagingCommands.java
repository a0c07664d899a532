package org.fallow.xc.tools;

import org.fallow.abi.AbiProfile;
import org.fallow.xc.XcHandle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Toolstack commands of memory paging (xm's mem-swap-target); mounted in {@code ./fallow} by the cli module. */
public final class PagingCommands {
    private PagingCommands() {}

    /** The xenstore key xenpaging watches (KiB). */
    public static String targetKey(int domid) { return "/local/domain/" + domid + "/memory/target-tot_pages"; }

    /**
     * {@code mem-swap-target DOMAIN MB}: sets the domain's paging target ("actmem") by writing
     * {@code target-tot_pages} in KiB; a running xenpaging pages the domain to it.
     */
    @Command(name = "mem-swap-target", mixinStandardHelpOptions = true,
            description = "Set the amount of memory (MB) a paged domain may keep resident (xenpaging's target).")
    public static final class MemSwapTarget implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = "domain id or name")
        String domain;

        @Parameters(index = "1", paramLabel = "MB", description = "resident memory in MiB (0 = page everything back in)")
        long mb;

        @Option(names = "--socket", description = "hypervisor socket (default $FALLOW_RUN_DIR/hypervisor.sock)")
        Path socket;

        @Override public Integer call() throws Exception {
            if (mb < 0) {
                System.err.println("mem-swap-target: MB must be >= 0");
                return 1;
            }
            try (XcHandle xc = XcHandle.open(socket != null ? socket : XcHandle.defaultSocket(), AbiProfile.XEN_4_12)) {
                int domid = resolve(xc, domain);
                if (domid < 0 || new org.fallow.xc.xenpaging.XcPagingHost(xc).domainInfo(domid) == null) {
                    System.err.println("mem-swap-target: unknown domain '" + domain + "'");
                    return 1;
                }
                xc.xenstore().write(targetKey(domid), Long.toString(mb * 1024));
                System.out.println("domain " + domid + ": paging target " + mb + " MB (" + mb * 1024 + " KiB)");
                return 0;
            }
        }

        /** A domid, or a name found under /local/domain/<D>/name. */
        static int resolve(XcHandle xc, String domain) throws Exception {
            if (domain.matches("\\d+")) return Integer.parseInt(domain);
            for (String d : xc.xenstore().directory("/local/domain")) {
                String name = xc.xenstore().readOrNull("/local/domain/" + d + "/name");
                if (domain.equals(name) && d.matches("\\d+")) return Integer.parseInt(d);
            }
            return -1;
        }
    }
}
