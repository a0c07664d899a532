package org.fallow.xc.tools;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.XenErrno;
import org.fallow.abi.xen.TmemConstants;
import org.fallow.xc.XcHandle;
import org.fallow.xc.XcTmem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The xl-style tmem toolstack commands (picocli): tmem-list, tmem-freeze, tmem-thaw, tmem-flush, tmem-destroy,
 * tmem-set, tmem-freeable, tmem-shared-auth. Mount them with {@code commandLine.addSubcommand(cmd)} for each of
 * {@link #commands()}. Every command takes {@code --socket} (default $FALLOW_RUN_DIR/hypervisor.sock) and
 * {@code --abi 4.12|2009}: 4.12 uses XEN_SYSCTL_tmem_op, 2009 the tmem_op TMEM_CONTROL of seed 002.
 * Exit status 0 on success, 1 when the hypervisor returned an error (printed with its Xen errno name).
 */
public final class TmemCommands {
    private TmemCommands() {}

    /** Fresh instances of every tmem command, for mounting as subcommands. */
    public static List<Object> commands() {
        return List.of(new TmemList(), new TmemFreeze(), new TmemThaw(), new TmemFlush(), new TmemDestroy(),
                new TmemSet(), new TmemFreeable(), new TmemSharedAuth());
    }

    /** Options shared by every command. */
    abstract static class Base implements Callable<Integer> {
        @Option(names = "--socket", description = "hypervisor socket (default: $FALLOW_RUN_DIR/hypervisor.sock)")
        Path socket;
        @Option(names = "--abi", defaultValue = "4.12", description = "ABI profile: 4.12 (sysctl) or 2009 (TMEM_CONTROL)")
        String abi;
        PrintStream out, err;

        AbiProfile profile() { return AbiProfile.fromLabel(abi); }

        boolean v2009() { return profile() == AbiProfile.TMEM_2009; }

        @Override public Integer call() throws Exception {
            out = System.out;
            err = System.err;
            try (XcHandle xc = XcHandle.open(socket != null ? socket : XcHandle.defaultSocket(), profile())) {
                return run(new XcTmem(xc));
            }
        }

        abstract int run(XcTmem t) throws IOException;

        int result(String what, long rc) {
            if (rc < 0) {
                err.println(what + " failed: " + rc + " (" + XenErrno.name(rc) + ")");
                return 1;
            }
            return 0;
        }
    }

    /** [DOMID | -a]: one domain or all (0xFFFF). */
    abstract static class DomainOrAll extends Base {
        @Option(names = {"-a", "--all"}, description = "all domains") boolean all;
        @Parameters(index = "0", arity = "0..1", paramLabel = "DOMID") Integer domid;

        int cli() {
            if (all || domid == null) return TmemConstants.CLI_ID_NULL;
            return domid;
        }
    }

    @Command(name = "tmem-list", mixinStandardHelpOptions = true, description = "List tmem pools (Xen's LIST text).")
    public static final class TmemList extends DomainOrAll {
        @Option(names = {"-l", "--long"}, description = "long format") boolean longFormat;

        @Override int run(XcTmem t) throws IOException {
            String text = v2009() ? t.list2009(cli(), longFormat) : t.list(cli(), longFormat);
            if (text == null) {
                err.println("tmem-list: no tmem client for domain " + cli());
                return 1;
            }
            out.print(text);
            return 0;
        }
    }

    abstract static class SimpleSubop extends DomainOrAll {
        abstract int subop();

        abstract String name();

        @Override int run(XcTmem t) throws IOException {
            long rc = v2009() ? t.control2009(-1, subop(), cli(), 0, 0, null) : t.simple(subop(), cli(), 0);
            return result(name(), rc);
        }
    }

    @Command(name = "tmem-freeze", mixinStandardHelpOptions = true, description = "Freeze tmem pools (new puts fail).")
    public static final class TmemFreeze extends SimpleSubop {
        @Override int subop() { return TmemConstants.XEN_SYSCTL_TMEM_OP_FREEZE; }
        @Override String name() { return "tmem-freeze"; }
    }

    @Command(name = "tmem-thaw", mixinStandardHelpOptions = true, description = "Thaw tmem pools.")
    public static final class TmemThaw extends SimpleSubop {
        @Override int subop() { return TmemConstants.XEN_SYSCTL_TMEM_OP_THAW; }
        @Override String name() { return "tmem-thaw"; }
    }

    @Command(name = "tmem-destroy", mixinStandardHelpOptions = true, description = "Destroy a domain's tmem pools.")
    public static final class TmemDestroy extends SimpleSubop {
        @Override int subop() { return TmemConstants.XEN_SYSCTL_TMEM_OP_DESTROY; }
        @Override String name() { return "tmem-destroy"; }
    }

    @Command(name = "tmem-flush", mixinStandardHelpOptions = true,
            description = "Evict ephemeral tmem pages and return tmem's free memory to the host (all domains only).")
    public static final class TmemFlush extends DomainOrAll {
        @Option(names = {"-k", "--kb"}, description = "kB to free (default: everything)") Long kb;

        @Override int run(XcTmem t) throws IOException {
            int arg = kb == null ? -1 : (int) Math.min(kb, 0xFFFFFFFFL);
            long rc = v2009() ? t.control2009(-1, TmemConstants.TMEMC_FLUSH, cli(), arg, 0, null)
                    : t.simple(TmemConstants.XEN_SYSCTL_TMEM_OP_FLUSH, cli(), arg);
            if (result("tmem-flush", rc) != 0) return 1;
            out.println(rc + " kB freed");
            return 0;
        }
    }

    @Command(name = "tmem-set", mixinStandardHelpOptions = true, description = "Set tmem weight / compression (and the 2009 cap).")
    public static final class TmemSet extends DomainOrAll {
        @Option(names = {"-w", "--weight"}) Integer weight;
        @Option(names = {"-p", "--compress"}, description = "1 = compress, 0 = do not") Integer compress;
        @Option(names = {"-c", "--cap"}, description = "2009 only: the (never enforced) cap") Integer cap;

        @Override int run(XcTmem t) throws IOException {
            if (weight == null && compress == null && cap == null) {
                err.println("tmem-set: nothing to set (-w, -p or -c)");
                return 2;
            }
            if (v2009()) {
                int rc = 0;
                if (weight != null) rc |= result("tmem-set weight", t.control2009(-1, TmemConstants.TMEMC_SET_WEIGHT, cli(), weight, 0, null));
                if (cap != null) rc |= result("tmem-set cap", t.control2009(-1, TmemConstants.TMEMC_SET_CAP, cli(), cap, 0, null));
                if (compress != null) rc |= result("tmem-set compress", t.control2009(-1, TmemConstants.TMEMC_SET_COMPRESS, cli(), compress, 0, null));
                return rc;
            }
            if (cap != null) {
                err.println("tmem-set: there is no cap at Xen 4.12 (use --abi 2009)");
                return 2;
            }
            return result("tmem-set", t.setClientInfo(cli(), weight, compress == null ? null : compress != 0));
        }
    }

    @Command(name = "tmem-freeable", mixinStandardHelpOptions = true, description = "Print the MiB tmem could free.")
    public static final class TmemFreeable extends Base {
        @Override int run(XcTmem t) throws IOException {
            long rc = v2009() ? t.control2009(-1, TmemConstants.TMEMC_QUERY_FREEABLE_MB, -1, 0, 0, null)
                    : t.simple(TmemConstants.XEN_SYSCTL_TMEM_OP_QUERY_FREEABLE_MB, -1, 0);
            if (result("tmem-freeable", rc) != 0) return 1;
            out.println(rc);
            return 0;
        }
    }

    @Command(name = "tmem-shared-auth", mixinStandardHelpOptions = true,
            description = "Authorise (or de-authorise) a domain to share the tmem pool with a uuid.")
    public static final class TmemSharedAuth extends DomainOrAll {
        @Option(names = {"-u", "--uuid"}, required = true) String uuid;
        @Option(names = {"-A", "--auth"}, defaultValue = "1", description = "1 = authorise, 0 = remove") int auth;

        @Override int run(XcTmem t) throws IOException {
            if (v2009()) {
                err.println("tmem-shared-auth: the 2009 ABI has no shared-pool authorisation");
                return 2;
            }
            try {
                return result("tmem-shared-auth", t.auth(cli(), uuid, auth != 0));
            } catch (IllegalArgumentException e) {
                err.println("tmem-shared-auth: " + e.getMessage());
                return 2;
            }
        }
    }
}
