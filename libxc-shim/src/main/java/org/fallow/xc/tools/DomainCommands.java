package org.fallow.xc.tools;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.XenErrno;
import org.fallow.xc.Physinfo;
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
 * The xl-style domain commands (picocli): {@code create}, {@code destroy}, {@code mem-set}, {@code mem-max} ({@code list}
 * is the cli module's, which also has the tmem figures). Every command takes {@code --socket} (default
 * $FALLOW_RUN_DIR/hypervisor.sock), domains by id or name, and sizes as xl does (a number, MiB unless it has a unit:
 * {@code b k m g t}). They validate as libxl does (mem-set above the domain's maximum and mem-max below its target are
 * refused) and print nothing on success but what xl prints. Exit status 0 on success, 1 with a one-line error in words
 * (the Xen errno name only as a detail) when the command or the hypervisor refused. The xenstore keys are written in
 * KiB as libxl does.
 */
public final class DomainCommands {
    private DomainCommands() {}

    /** libxl's LIBXL_MAXMEM_CONSTANT: Xen's max_pages is the configured maxmem plus 1 MiB. */
    public static final long MAXMEM_CONSTANT_KB = 1024;

    public static List<Object> commands() {
        return List.of(new Create(), new Destroy(), new MemSet(), new MemMax());
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
        cl.setExecutionExceptionHandler((ex, line, pr) -> {
            if (!(ex instanceof ToolError)) throw ex;
            err.println(line.getCommandName() + ": " + ex.getMessage());
            return 1;
        });
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

        /** Throws the one-line error for a failed hypercall: {@code what}: the errno in words [ERRNO]. */
        static void check(String what, long rc) {
            if (rc < 0) throw ToolError.of(what, rc, null);
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
                err.println("warning: could not write xenstore key " + path + ": " + e.getMessage());
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

        /** A xenstore KiB value, or -1 when absent or not a number. */
        long xsKib(XcHandle xc, String path) {
            String v = xsRead(xc, path);
            if (v == null) return -1;
            try {
                return Long.parseLong(v.trim());
            } catch (NumberFormatException e) {
                return -1;
            }
        }
    }

    @Command(name = "create", description = {"Create an HVM domain: maxmem of guest-physical memory, memory (the target) "
            + "backed; memory < maxmem boots it populate-on-demand.",
            "Prints the domid and the handle (the guest's secret, for ./fallow guest --secret).",
            "Sizes are MiB unless given a unit (b, k, m, g, t), as in xl."})
    public static final class Create extends Base {
        @Option(names = "--memory", required = true, paramLabel = "SIZE", description = "target memory (MiB by default)") String memory;
        @Option(names = "--maxmem", paramLabel = "SIZE", description = "maximum memory (default: --memory)") String maxmem;
        @Option(names = "--vcpus", defaultValue = "1", description = "number of vCPUs (default ${DEFAULT-VALUE})") int vcpus;
        @Option(names = "--name", description = "domain name (xenstore; default d<domid>)") String name;
        @Option(names = "--paused", description = "leave the domain paused") boolean paused;

        @Override int run(XcHandle xc, XcDomain dom) throws IOException {
            long memKb = MemSize.kib(memory, "--memory");
            long maxKb = maxmem != null ? MemSize.kib(maxmem, "--maxmem") : memKb;
            if (memKb < 1024) throw new ToolError("--memory " + memory + " is too small: a domain needs at least 1 MiB");
            if (maxKb < memKb)
                throw new ToolError("--maxmem " + MemSize.mib(maxKb) + " is below --memory " + MemSize.mib(memKb) + ": maxmem must be at least memory");
            if (memKb % 4 != 0 || maxKb % 4 != 0) throw new ToolError("sizes must be whole 4 KiB pages");
            if (vcpus < 1) throw new ToolError("--vcpus " + vcpus + ": a domain needs at least one vCPU");
            if (name != null && !name.isBlank()) {
                for (XcDomain.DomainInfo i : dom.xc_domain_getinfo(0, 4096))
                    if (name.equals(xsRead(xc, domainPath(i.domid()) + "/name")))
                        throw new ToolError("a domain named '" + name + "' exists already (domain " + i.domid() + ")");
            }
            byte[] handle = new byte[16];
            new SecureRandom().nextBytes(handle);
            long domid = dom.xc_domain_create_hvm(handle, vcpus);
            check("cannot create a domain", domid);
            int d = (int) domid;
            long rc = dom.xc_domain_setmaxmem(d, maxKb + MAXMEM_CONSTANT_KB);
            // xc_hvm_build_target_mem takes whole MiB, as libxl's domain builder passes them
            if (rc == 0) rc = dom.xc_hvm_build_target_mem(d, (maxKb + 1023) / 1024, (memKb + 1023) / 1024);
            if (rc != 0) {
                dom.xc_domain_destroy(d);
                if (rc == -XenErrno.ENOMEM) {
                    Physinfo host = Physinfo.query(xc);
                    throw ToolError.of("cannot create a domain with " + MemSize.mib(memKb) + " of memory", rc,
                            "the host has " + MemSize.mib(host.totalPages() * 4) + ", of which " + MemSize.mib(host.freePages() * 4)
                                    + " is free; free memory (mem-set, destroy) or ask for less");
                }
                check("cannot build domain " + d, rc);
            }
            String p = domainPath(d);
            long fudge = maxKb > memKb ? MAXMEM_CONSTANT_KB : 0;
            xsWrite(xc, p + "/memory/static-max", Long.toString(maxKb));
            xsWrite(xc, p + "/memory/target", Long.toString(memKb - fudge));
            String domName = name != null && !name.isBlank() ? name : "d" + d;
            xsWrite(xc, p + "/name", domName);
            // what libxl would keep had `xl create` made it, so Debian's real xl (fallow xen xl ...) can manage it
            org.fallow.xc.xen.LibxlDomainState.xenstoreKeys(d, handle, domName).forEach((k, v) -> xsWrite(xc, k, v));
            try {
                org.fallow.xc.xen.LibxlDomainState.write(xc.connection().runDir(), d, handle, domName, vcpus, maxKb, memKb);
            } catch (IOException | RuntimeException e) {
                err.println("warning: libxl domain configuration not written: " + e.getMessage());
            }
            if (!paused) check("cannot unpause domain " + d, dom.xc_domain_unpause(d));
            out.println("domid " + d);
            out.println("handle " + HexFormat.of().formatHex(handle));
            return 0;
        }
    }

    @Command(name = "destroy", description = "Destroy a domain and free all its memory.")
    public static final class Destroy extends Base {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = "domain id or name") String domain;

        @Override int run(XcHandle xc, XcDomain dom) throws IOException {
            int domid = DomainRef.resolve(xc, domain);
            check("cannot destroy domain " + domid, dom.xc_domain_destroy(domid));
            try {
                XsClient xs = xc.xenstore();
                if (xs != null) xs.rm(domainPath(domid));
            } catch (IOException | RuntimeException ignored) {
                // the keys may not exist
            }
            return 0;
        }
    }

    @Command(name = "mem-set", description = {"Set a domain's memory target: its balloon driver follows it (and the PoD target "
            + "for an HVM guest), as xl mem-set.", "Refused above the domain's maximum memory (raise that first with mem-max)."})
    public static final class MemSet extends Base {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = "domain id or name") String domain;
        @Parameters(index = "1", paramLabel = "SIZE", description = "the target (MiB unless given a unit: b, k, m, g, t)") String size;

        @Override int run(XcHandle xc, XcDomain dom) throws IOException {
            long targetKb = MemSize.kib(size, "memory size");
            int domid = DomainRef.resolve(xc, domain);
            // libxl_set_memory_target: memory_dynamic_max (the target) must not exceed memory_static_max
            long staticMaxKb = xsKib(xc, domainPath(domid) + "/memory/static-max");
            if (staticMaxKb < 0) {
                XcDomain.DomainInfo i = dom.info(domid);
                staticMaxKb = i == null ? -1 : Math.max(0, i.maxPages() * 4 - MAXMEM_CONSTANT_KB);
            }
            if (staticMaxKb >= 0 && targetKb > staticMaxKb)
                throw new ToolError("cannot set domain " + domid + "'s memory to " + MemSize.mib(targetKb) + ": that is above its maximum of "
                        + MemSize.mib(staticMaxKb) + " (raise the maximum first: ./fallow mem-max " + domain + " " + size + ")");
            // xl mem-set enforces: max_pages = target + LIBXL_MAXMEM_CONSTANT, then the PoD target, then memory/target
            check("cannot set domain " + domid + "'s memory", dom.xc_domain_setmaxmem(domid, targetKb + MAXMEM_CONSTANT_KB));
            XcDomain.PodTarget t = dom.xc_domain_set_pod_target(domid, (targetKb + MAXMEM_CONSTANT_KB) / 4);
            check("cannot set domain " + domid + "'s populate-on-demand target", t.rc());
            xsWrite(xc, domainPath(domid) + "/memory/target", Long.toString(targetKb));
            return 0;
        }
    }

    @Command(name = "mem-max", description = {"Set a domain's maximum memory (max_pages = size + 1 MiB, as libxl), as xl mem-max.",
            "Refused below the domain's current target (lower that first with mem-set)."})
    public static final class MemMax extends Base {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = "domain id or name") String domain;
        @Parameters(index = "1", paramLabel = "SIZE", description = "the maximum (MiB unless given a unit: b, k, m, g, t)") String size;

        @Override int run(XcHandle xc, XcDomain dom) throws IOException {
            long maxKb = MemSize.kib(size, "memory size");
            int domid = DomainRef.resolve(xc, domain);
            // libxl_domain_setmaxmem: memory_static_max must be >= memory_dynamic_max (the target in xenstore);
            // without a target key, what the domain holds now
            long targetKb = xsKib(xc, domainPath(domid) + "/memory/target");
            String what = "target";
            if (targetKb < 0) {
                XcDomain.DomainInfo i = dom.info(domid);
                targetKb = i == null ? 0 : i.totPages() * 4;
                what = "current memory";
            }
            if (maxKb < targetKb)
                throw new ToolError("cannot set domain " + domid + "'s maximum to " + MemSize.mib(maxKb) + ": that is below its " + what
                        + " of " + MemSize.mib(targetKb) + " (lower the target first: ./fallow mem-set " + domain + " " + size + ")");
            check("cannot set domain " + domid + "'s maximum memory", dom.xc_domain_setmaxmem(domid, maxKb + MAXMEM_CONSTANT_KB));
            xsWrite(xc, domainPath(domid) + "/memory/static-max", Long.toString(maxKb));
            return 0;
        }
    }
}
