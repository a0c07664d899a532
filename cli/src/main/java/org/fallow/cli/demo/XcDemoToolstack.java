package org.fallow.cli.demo;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.XenErrno;
import org.fallow.cli.RunContext;
import org.fallow.cli.stats.HostSample;
import org.fallow.cli.stats.ToolstackStats;
import org.fallow.xc.XcDomain;
import org.fallow.xc.XcHandle;
import org.fallow.xc.tools.DomainCommands;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The demo's toolstack over the libxc shim: domains are built as {@code ./fallow create} builds them (HVM, max_pages =
 * maxmem + 1 MiB, xc_hvm_build_target_mem, so memory &lt; maxmem boots populate-on-demand; xenstore memory keys;
 * unpause), the paging target is the xenstore key xenpaging watches, and samples come from {@link ToolstackStats}.
 */
final class XcDemoToolstack implements DemoToolstack {
    private final XcHandle xc;
    private final XcDomain dom;
    private final ToolstackStats stats;
    private final SecureRandom random = new SecureRandom();

    private XcDemoToolstack(XcHandle xc) {
        this.xc = xc;
        this.dom = new XcDomain(xc);
        this.stats = new ToolstackStats(xc, false);
    }

    static DemoToolstack open(RunContext ctx) throws IOException {
        return new XcDemoToolstack(XcHandle.open(ctx.socket(), AbiProfile.XEN_4_12));
    }

    @Override public Created create(Scenario.Guest g) throws IOException {
        byte[] handle = new byte[16];
        random.nextBytes(handle);
        long domid = dom.xc_domain_create_hvm(handle, 1);
        check("xc_domain_create " + g.name(), domid);
        int d = (int) domid;
        try {
            check("xc_domain_setmaxmem", dom.xc_domain_setmaxmem(d, g.maxmemMiB() * 1024 + DomainCommands.MAXMEM_CONSTANT_KB));
            check("xc_hvm_build_target_mem", dom.xc_hvm_build_target_mem(d, g.maxmemMiB(), g.memoryMiB()));
            String p = "/local/domain/" + d;
            long fudge = g.maxmemMiB() > g.memoryMiB() ? DomainCommands.MAXMEM_CONSTANT_KB : 0;
            xc.xenstore().write(p + "/memory/static-max", Long.toString(g.maxmemMiB() * 1024));
            xc.xenstore().write(p + "/memory/target", Long.toString(g.memoryMiB() * 1024 - fudge));
            xc.xenstore().write(p + "/name", g.name());
            check("xc_domain_unpause", dom.xc_domain_unpause(d));
        } catch (IOException e) {
            dom.xc_domain_destroy(d);
            throw e;
        }
        return new Created(d, HexFormat.of().formatHex(handle));
    }

    @Override public void setPagingTarget(int domid, long mib) throws IOException {
        // the key xenpaging watches (KiB), as mem-swap-target writes it
        xc.xenstore().write(org.fallow.xc.tools.PagingCommands.targetKey(domid), Long.toString(mib * 1024));
    }

    @Override public void destroy(int domid) throws IOException {
        check("xc_domain_destroy", dom.xc_domain_destroy(domid));
        try {
            xc.xenstore().rm("/local/domain/" + domid);
        } catch (IOException | RuntimeException ignored) {
            // the keys may be gone already
        }
    }

    @Override public HostSample sample() throws IOException { return stats.sample(); }

    @Override public void close() { xc.close(); }

    private static void check(String what, long rc) throws IOException {
        if (rc < 0) throw new IOException(what + " failed: " + rc + " (" + XenErrno.name(rc) + ")");
    }
}
