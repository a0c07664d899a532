package org.fallow.xc.tools;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.XenErrno;
import org.fallow.xc.XcDomain;
import org.fallow.xc.XcHandle;
import org.fallow.xc.transport.XsClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The xl-style domain commands (picocli): {@code create}, {@code destroy}, {@code mem-set}, {@code mem-max},
 * {@code list}. Mount each of {@link #commands()} with {@code commandLine.addSubcommand(cmd)}. Every command takes
 * {@code --socket} (default $FALLOW_RUN_DIR/hypervisor.sock). Exit status 0 on success, 1 when the hypervisor
 * refused (printed with the Xen errno name). Memory sizes are MiB; the xenstore keys are written in KiB as libxl does.
 */
public final class DomainCommands {
    private DomainCommands() {}

    /** libxl's LIBXL_MAXMEM_CONSTANT: Xen's max_pages is the configured maxmem plus 1 MiB. */
    public static final long MAXMEM_CONSTANT_KB = 1024;

    public static List<Object> commands() {
        return List.of(new Create(), new Destroy(), new MemSet(), new MemMax(), new ListDomains());
    }

    /** Runs one command line ({@code create --memory 256 --maxmem 512 ...}) with its output going to {@code out}/{@code err}. */
    public static int execute(PrintStream out, PrintStream err, String... args) {
        picocli.CommandLine cl = new picocli.CommandLine(new Root());
        for (Object c : commands()) {
            ((Base) c).out = out;
            ((Base) c).err = err;
            cl.addSubcommand(c);
        }
        cl.setOut(new java.io.PrintWriter(out, true));
        cl.setErr(new java.io.PrintWriter(err, true));
        return cl.execute(args);
    }

    @Command(name = "xl-domain", description = "Domain commands")
    static final class Root implements Runnable {
        @Override public void run() {}
    }

    abstract static class Base implements Callable<Integer> {
        @Option(names = "--socket", description = "hypervisor socket (default: $FALLOW_RUN_DIR/hypervisor.sock)")
        Path socket;
        PrintStream out = System.out, err = System.err;

        @Override public Integer call() throws Exception {
            try (XcHandle xc = XcHandle.open(socket != null ? socket : XcHandle.defaultSocket(), AbiProfile.XEN_4_12)) {
                return run(xc, new XcDomain(xc));
            }
        }

        abstract int run(XcHandle xc, XcDomain dom) throws IOException;

        int fail(String what, long rc) {
            err.println(what + " failed: " + rc + " (" + XenErrno.name(rc) + ")");
            return 1;
        }

        static String domainPath(int domid) { return "/local/domain/" + domid; }

        /** Writes a xenstore key if the hypervisor has xenstore; false if it could not. */
        boolean xsWrite(XcHandle xc, String path, String value) {
            try {
                XsClient xs = xc.xenstore();
                if (xs == null) return false;
                xs.write(path, value);
                return true;
            } catch (IOException | RuntimeException e) {
                err.println("warning: xenstore write " + path + " failed: " + e.getMessage());
                return false;
            }
        }

        String xsRead(XcHandle xc, String path) {
            try {
                XsClient xs = xc.xenstore();
                return xs == null ? null : xs.readOrNull(path);
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
    }

    @Command(name = "create", description = "Create an HVM domain: maxmem of guest-physical memory, memory (the target) backed; "
            + "memory < maxmem boots it populate-on-demand. Prints the domid and the handle (the guest's secret).")
    public static final class Create extends Base {
        @Option(names = "--memory", required = true, description = "target memory in MiB") long memoryMb;
        @Option(names = "--maxmem", description = "maximum memory in MiB (default: --memory)") Long maxmemMb;
        @Option(names = "--vcpus", defaultValue = "1", description = "number of vCPUs") int vcpus;
        @Option(names = "--name", description = "domain name (xenstore)") String name;
        @Option(names = "--paused", description = "leave the domain paused") boolean paused;

        @Override int run(XcHandle xc, XcDomain dom) throws IOException {
            long maxmem = maxmemMb != null ? maxmemMb : memoryMb;
            if (memoryMb <= 0 || maxmem < memoryMb) {
                err.println("create: need 0 < memory <= maxmem (memory " + memoryMb + " MiB, maxmem " + maxmem + " MiB)");
                return 2;
            }
            byte[] handle = new byte[16];
            new SecureRandom().nextBytes(handle);
            long domid = dom.xc_domain_create_hvm(handle, vcpus);
            if (domid < 0) return fail("xc_domain_create", domid);
            int d = (int) domid;
            long rc = dom.xc_domain_setmaxmem(d, maxmem * 1024 + MAXMEM_CONSTANT_KB);
            if (rc == 0) rc = dom.xc_hvm_build_target_mem(d, maxmem, memoryMb);
            if (rc != 0) {
                dom.xc_domain_destroy(d);
                return fail("building d" + d, rc);
            }
            String p = domainPath(d);
            long fudge = maxmem > memoryMb ? MAXMEM_CONSTANT_KB : 0;
            xsWrite(xc, p + "/memory/static-max", Long.toString(maxmem * 1024));
            xsWrite(xc, p + "/memory/target", Long.toString(memoryMb * 1024 - fudge));
            String domName = name != null ? name : "d" + d;
            xsWrite(xc, p + "/name", domName);
            // what libxl would keep had `xl create` made it, so Debian's real xl (fallow xen xl ...) can manage it
            org.fallow.xc.xen.LibxlDomainState.xenstoreKeys(d, handle, domName).forEach((k, v) -> xsWrite(xc, k, v));
            try {
                org.fallow.xc.xen.LibxlDomainState.write(xc.connection().runDir(), d, handle, domName, vcpus,
                        maxmem * 1024, memoryMb * 1024);
            } catch (IOException | RuntimeException e) {
                err.println("warning: libxl domain configuration not written: " + e.getMessage());
            }
            if (!paused) {
                rc = dom.xc_domain_unpause(d);
                if (rc != 0) return fail("unpause", rc);
            }
            out.println("domid " + d);
            out.println("handle " + HexFormat.of().formatHex(handle));
            return 0;
        }
    }

    @Command(name = "destroy", description = "Destroy a domain and free all its memory.")
    public static final class Destroy extends Base {
        @Parameters(index = "0", description = "domid") int domid;

        @Override int run(XcHandle xc, XcDomain dom) throws IOException {
            long rc = dom.xc_domain_destroy(domid);
            if (rc != 0) return fail("destroy d" + domid, rc);
            try {
                XsClient xs = xc.xenstore();
                if (xs != null) xs.rm(domainPath(domid));
            } catch (IOException | RuntimeException ignored) {
                // the keys may not exist
            }
            return 0;
        }
    }

    @Command(name = "mem-set", description = "Set a domain's memory target (balloon target; PoD target for HVM guests).")
    public static final class MemSet extends Base {
        @Parameters(index = "0", description = "domid") int domid;
        @Parameters(index = "1", description = "target in MiB") long targetMb;

        @Override int run(XcHandle xc, XcDomain dom) throws IOException {
            long targetKb = targetMb * 1024;
            long rc = dom.xc_domain_setmaxmem(domid, targetKb + MAXMEM_CONSTANT_KB);
            if (rc != 0) return fail("xc_domain_setmaxmem", rc);
            XcDomain.PodTarget t = dom.xc_domain_set_pod_target(domid, (targetKb + MAXMEM_CONSTANT_KB) / 4);
            if (t.rc() != 0) return fail("xc_domain_set_pod_target", t.rc());
            xsWrite(xc, domainPath(domid) + "/memory/target", Long.toString(targetKb));
            out.println("d" + domid + ": target " + targetMb + " MiB, tot_pages " + t.totPages() + ", PoD cache "
                    + t.podCachePages() + ", PoD entries " + t.podEntries());
            return 0;
        }
    }

    @Command(name = "mem-max", description = "Set a domain's maximum memory (max_pages = MiB + 1 MiB, as libxl).")
    public static final class MemMax extends Base {
        @Parameters(index = "0", description = "domid") int domid;
        @Parameters(index = "1", description = "maximum in MiB") long maxMb;

        @Override int run(XcHandle xc, XcDomain dom) throws IOException {
            String target = xsRead(xc, domainPath(domid) + "/memory/target");
            if (target != null && maxMb * 1024 < Long.parseLong(target.trim())) {
                err.println("mem-max: memory_static_max must be greater than or equal to memory_dynamic_max (target "
                        + target.trim() + " KiB)");
                return 1;
            }
            long rc = dom.xc_domain_setmaxmem(domid, maxMb * 1024 + MAXMEM_CONSTANT_KB);
            if (rc != 0) return fail("xc_domain_setmaxmem", rc);
            xsWrite(xc, domainPath(domid) + "/memory/static-max", Long.toString(maxMb * 1024));
            return 0;
        }
    }

    @Command(name = "list", description = "List domains: memory in MiB (tot_pages), max, PoD, paged-out pages and state.")
    public static final class ListDomains extends Base {
        @Override int run(XcHandle xc, XcDomain dom) throws IOException {
            out.printf("%-24s %5s %7s %7s %9s %9s %9s %9s %5s %s%n", "Name", "ID", "Mem", "MaxMem", "tot_pages",
                    "PoD-cache", "PoD-ents", "paged", "VCPUs", "State");
            for (XcDomain.DomainInfo i : dom.xc_domain_getinfo(0, 1024)) {
                String name = xsRead(xc, domainPath(i.domid()) + "/name");
                XcDomain.PodTarget pod = dom.xc_domain_get_pod_target(i.domid());
                out.printf("%-24s %5d %7d %7d %9d %9s %9s %9d %5d %s%n", name != null ? name : "d" + i.domid(), i.domid(),
                        i.totPages() >> 8, i.maxPages() >> 8, i.totPages(),
                        pod.rc() == 0 ? Long.toString(pod.podCachePages()) : "-",
                        pod.rc() == 0 ? Long.toString(pod.podEntries()) : "-", i.pagedPages(), i.onlineVcpus(),
                        i.stateString());
            }
            return 0;
        }
    }
}
