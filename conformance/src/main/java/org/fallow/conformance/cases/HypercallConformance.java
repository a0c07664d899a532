package org.fallow.conformance.cases;

import org.fallow.abi.Hypercalls;
import org.fallow.abi.XenErrno;
import org.fallow.abi.xen.DomctlConstants;
import org.fallow.abi.xen.MulticallEntry;
import org.fallow.abi.xen.SysctlConstants;
import org.fallow.abi.xen.XenDomctl;
import org.fallow.abi.xen.XenSysctl;
import org.fallow.conformance.Guest;
import org.fallow.conformance.Toolstack;
import org.fallow.conformance.Wire;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.*;

/** PROTOCOL §4: return values of well-formed hypercalls (never an ERROR frame). */
@DisplayName("hypercalls (PROTOCOL §4)")
class HypercallConformance extends CaseSupport {

    @Test @DisplayName("unknown hypercall numbers return -ENOSYS")
    void unknownNumber() throws Exception {
        try (Toolstack ts = Toolstack.connect(target())) {
            for (long nr : new long[] {0, 99, 63, 0x1_0000_000CL})
                assertEquals(-XenErrno.ENOSYS, ts.hypercall(nr), "hypercall " + nr);
        }
    }

    @Test @DisplayName("bad handles (0, outside the arena, straddling its end) return -EFAULT")
    void badHandle() throws Exception {
        try (Toolstack ts = Toolstack.connect(target())) {
            long end = Toolstack.ARENA_BASE + Toolstack.ARENA_LEN;
            assertEquals(-XenErrno.EFAULT, ts.hypercall(Hypercalls.DOMCTL, 0));
            assertEquals(-XenErrno.EFAULT, ts.hypercall(Hypercalls.SYSCTL, end));
            assertEquals(-XenErrno.EFAULT, ts.hypercall(Hypercalls.DOMCTL, end - 100));
            assertEquals(-XenErrno.EFAULT, ts.hypercall(Hypercalls.DOMCTL, Toolstack.ARENA_BASE - 4096));
        }
    }

    @Test @DisplayName("wrong interface_version: domctl and sysctl return -EACCES")
    void wrongInterfaceVersion() throws Exception {
        try (Toolstack ts = Toolstack.connect(target())) {
            Toolstack.Buf b = ts.alloc(XenDomctl.SIZE);
            new XenDomctl().wrap(b.seg(), 0).cmd(DomctlConstants.XEN_DOMCTL_getdomaininfo).interfaceVersion(0x10);
            assertEquals(-XenErrno.EACCES, ts.hypercall(Hypercalls.DOMCTL, b.handle()));
            Toolstack.Buf s = ts.alloc(XenSysctl.SIZE);
            new XenSysctl().wrap(s.seg(), 0).cmd(SysctlConstants.XEN_SYSCTL_physinfo).interfaceVersion(0x11);
            assertEquals(-XenErrno.EACCES, ts.hypercall(Hypercalls.SYSCTL, s.handle()));
        }
    }

    @Test @DisplayName("a guest issuing domctl or sysctl gets -EPERM")
    void guestControlOps() throws Exception {
        try (Toolstack ts = Toolstack.connect(target()); Guest g = Guest.create(ts, 32, 4).connect(target(), Wire.PROFILE_412)) {
            MemorySegment page = g.page(1);
            new XenDomctl().wrap(page, 0).cmd(DomctlConstants.XEN_DOMCTL_getdomaininfo)
                    .interfaceVersion(DomctlConstants.XEN_DOMCTL_INTERFACE_VERSION).domain(g.domid());
            assertEquals(-XenErrno.EPERM, g.hypercall(Hypercalls.DOMCTL, Guest.gpa(1, 0)));
            new XenSysctl().wrap(page, 512).cmd(SysctlConstants.XEN_SYSCTL_physinfo)
                    .interfaceVersion(SysctlConstants.XEN_SYSCTL_INTERFACE_VERSION);
            assertEquals(-XenErrno.EPERM, g.hypercall(Hypercalls.SYSCTL, Guest.gpa(1, 512)));
        }
    }

    @Test @DisplayName("multicall: 64-byte entries, each result written in place, returns 0")
    void multicall() throws Exception {
        assertEquals(64, MulticallEntry.SIZE);
        try (Toolstack ts = Toolstack.connect(target())) {
            Toolstack.Buf bad = ts.alloc(XenDomctl.SIZE);
            new XenDomctl().wrap(bad.seg(), 0).cmd(DomctlConstants.XEN_DOMCTL_getdomaininfo).interfaceVersion(0x10);
            Toolstack.Buf calls = ts.alloc(3L * 64);
            MulticallEntry e = new MulticallEntry();
            e.wrap(calls.seg(), 0).op(99).result(0x5555);
            e.wrap(calls.seg(), 64).op(Hypercalls.DOMCTL).args(0, bad.handle()).result(0x5555);
            e.wrap(calls.seg(), 128).op(Hypercalls.MULTICALL).args(0, calls.handle()).args(1, 1).result(0x5555);
            assertEquals(0, ts.hypercall(Hypercalls.MULTICALL, calls.handle(), 3));
            assertEquals(-XenErrno.ENOSYS, e.wrap(calls.seg(), 0).result(), "entry 0 (unknown op)");
            assertEquals(-XenErrno.EACCES, e.wrap(calls.seg(), 64).result(), "entry 1 (domctl, wrong version)");
            assertEquals(-XenErrno.EINVAL, e.wrap(calls.seg(), 128).result(), "entry 2 (nested multicall)");
            assertEquals(Hypercalls.DOMCTL, e.wrap(calls.seg(), 64).op(), "op untouched");
            assertEquals(0, ts.hypercall(Hypercalls.MULTICALL, 0, 0), "nr_calls 0 with any handle");
            e.wrap(calls.seg(), 0).result(0x5555);
            e.wrap(calls.seg(), 64).result(0x5555);
            assertEquals(0, ts.hypercall(Hypercalls.MULTICALL, calls.handle(), (1L << 32) + 1), "nr_calls is an unsigned int");
            assertEquals(-XenErrno.ENOSYS, e.wrap(calls.seg(), 0).result(), "(uint32)(2^32 + 1) = 1 call ran");
            assertEquals(0x5555, e.wrap(calls.seg(), 64).result(), "entry 1 untouched");
            assertEquals(-XenErrno.EFAULT, ts.hypercall(Hypercalls.MULTICALL, calls.handle(), Toolstack.ARENA_LEN / 64 + 1),
                    "entries beyond the arena");
        }
    }
}
