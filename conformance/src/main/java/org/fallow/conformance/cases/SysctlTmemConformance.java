package org.fallow.conformance.cases;

import org.fallow.abi.Hypercalls;
import org.fallow.abi.XenErrno;
import org.fallow.abi.xen.SysctlConstants;
import org.fallow.abi.xen.XenSysctl;
import org.fallow.abi.xen.XenSysctlTmemOp;
import org.fallow.conformance.Toolstack;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;

import static org.fallow.abi.xen.TmemConstants.*;
import static org.junit.jupiter.api.Assertions.*;

/** XEN_SYSCTL_tmem_op (sysctl 24) from the toolstack (Xen 4.12 common/tmem_control.c, public/sysctl.h; Xen 4.12 tmem_control.c tmemc_list). */
@DisplayName("sysctl tmem_op (Xen 4.12 common/tmem_control.c, public/sysctl.h)")
class SysctlTmemConformance extends CaseSupport {

    private static long sysctlTmem(Toolstack ts, Toolstack.Buf s, int subop, int cliId, long len, long buf, int pad) throws Exception {
        XenSysctl x = new XenSysctl().wrap(s.seg(), 0).cmd(SysctlConstants.XEN_SYSCTL_tmem_op)
                .interfaceVersion(SysctlConstants.XEN_SYSCTL_INTERFACE_VERSION);
        XenSysctlTmemOp t = x.tmemOp();
        t.cmd(subop).poolId(0).cliId(cliId).len(len).arg(0).pad(pad).buf(buf);
        return ts.hypercall(Hypercalls.SYSCTL, s.handle());
    }

    @Test @DisplayName("LIST for all clients returns 0 and the text starts with the G= line")
    void list() throws Exception {
        try (Toolstack ts = Toolstack.connect(target())) {
            Toolstack.Buf s = ts.alloc(XenSysctl.SIZE);
            Toolstack.Buf buf = ts.alloc(4096);
            assertEquals(0, sysctlTmem(ts, s, XEN_SYSCTL_TMEM_OP_LIST, XEN_SYSCTL_TMEM_OP_ALL_CLIENTS, 4096, buf.handle(), 0));
            String text = Tmem2009Conformance.cString(buf.seg().toArray(ValueLayout.JAVA_BYTE));
            assertTrue(text.startsWith("G=Tt:"), () -> "LIST text: " + text);
            String g = text.substring(0, text.indexOf('\n') + 1);
            assertTrue(g.matches("G=Tt:\\d+,Te:\\d+,Cf:\\d+,Af:\\d+,Pf:\\d+,Ta:\\d+,Lm:\\d+,Et:\\d+,Ea:\\d+,Rt:\\d+,Ra:\\d+,Rx:\\d+,Fp:\\d+\n"),
                    () -> "G= short format: " + g);
            assertTrue(text.endsWith("T\n"), () -> "4.12 T line ends the text: " + text);
        }
    }

    @Test @DisplayName("non-zero pad returns -EINVAL; an unknown subop returns -1")
    void errors() throws Exception {
        try (Toolstack ts = Toolstack.connect(target())) {
            Toolstack.Buf s = ts.alloc(XenSysctl.SIZE);
            Toolstack.Buf buf = ts.alloc(4096);
            assertEquals(-XenErrno.EINVAL, sysctlTmem(ts, s, XEN_SYSCTL_TMEM_OP_LIST, XEN_SYSCTL_TMEM_OP_ALL_CLIENTS, 4096, buf.handle(), 1));
            assertEquals(-1, sysctlTmem(ts, s, 99, XEN_SYSCTL_TMEM_OP_ALL_CLIENTS, 0, 0, 0));
        }
    }
}
