package org.fallow.hypervisor.dispatch;

import org.fallow.abi.Hypercalls;
import org.fallow.abi.XenErrno;
import org.fallow.hypervisor.Hypervisor;
import org.fallow.hypervisor.core.Caller;
import org.fallow.hypervisor.testing.InProcessToolstack;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U16_UNALIGNED;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_paging_op;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_getdomaininfo;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_unpausedomain;
import static org.fallow.abi.xen.HvmOpConstants.HVMOP_get_param;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_current_reservation;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_decrease_reservation;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_increase_reservation;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_maximum_reservation;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_populate_physmap;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_set_pod_target;
import static org.fallow.abi.xen.SysctlConstants.XEN_SYSCTL_physinfo;
import static org.fallow.hypervisor.mem.MemConstants.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Every hypercall whose argument struct starts inside the caller's memory but crosses its end gets the copy-fault
 * result Xen gives (-EFAULT, or 0 extents for the reservation ops), nothing is written past the struct's start, and
 * the same hypervisor then serves a well-formed call. All subsystems are installed (as HypervisorMain does).
 */
@Timeout(60)
class StructsCrossingTheEndTest {
    static final int ARENA = 1 << 16;

    @TempDir Path dir;

    /** A handle {@code short_} bytes before the end of the toolstack arena, with the bytes there set to 0x11. */
    private static long nearTheEnd(InProcessToolstack ts, int short_) {
        ts.arena().asSlice(ARENA - short_).fill((byte) 0x11);
        return InProcessToolstack.handle(ARENA - short_);
    }

    @Test void toolstackStructsCrossingTheArenaEnd() {
        try (Hypervisor hv = Hypervisor.create(16, dir); InProcessToolstack ts = new InProcessToolstack(hv.core(), ARENA)) {
            int d = ts.createHvmDomain(new byte[16], 1, 64);
            // domctl (144 bytes) and sysctl (136): cmd and interface_version are readable, the rest is not
            long h = nearTheEnd(ts, 100);
            ts.arena().set(U32_UNALIGNED, ARENA - 100, XEN_DOMCTL_getdomaininfo);
            ts.arena().set(U32_UNALIGNED, ARENA - 96, 0x11);
            assertEquals(-XenErrno.EFAULT, ts.hypercall(Hypercalls.DOMCTL, h), "domctl");
            ts.arena().set(U32_UNALIGNED, ARENA - 100, XEN_SYSCTL_physinfo);
            ts.arena().set(U32_UNALIGNED, ARENA - 96, 0x12);
            assertEquals(-XenErrno.EFAULT, ts.hypercall(Hypercalls.SYSCTL, h), "sysctl");
            // memory_op: reservation (32 bytes) -> 0 extents; domid_t (2) and xen_pod_target (40) -> -EFAULT
            assertEquals(0, ts.memoryOp(XENMEM_populate_physmap, nearTheEnd(ts, 31)), "populate_physmap");
            assertEquals(0, ts.memoryOp(XENMEM_decrease_reservation, nearTheEnd(ts, 31)), "decrease_reservation");
            assertEquals(-XenErrno.EFAULT, ts.memoryOp(XENMEM_current_reservation, nearTheEnd(ts, 1)), "current_reservation");
            assertEquals(-XenErrno.EFAULT, ts.memoryOp(XENMEM_set_pod_target, nearTheEnd(ts, 39)), "set_pod_target");
            assertEquals(-XenErrno.EFAULT, ts.memoryOp(XENMEM_paging_op, nearTheEnd(ts, 23)), "paging_op (24 bytes)");
            // hvm_op get_param: xen_hvm_param is 16 bytes
            assertEquals(-XenErrno.EFAULT, ts.hvmOp(ts.caller(), HVMOP_get_param, nearTheEnd(ts, 15)), "hvm_op");
            // multicall: one 64-byte entry that does not fit
            assertEquals(-XenErrno.EFAULT, ts.hypercall(Hypercalls.MULTICALL, nearTheEnd(ts, 63), 1), "multicall");
            for (int i = 1; i <= 92; i++) // below end-92: the domctl/sysctl headers written above
                assertEquals(0x11, ts.arena().get(ValueLayout.JAVA_BYTE, ARENA - i), "nothing written back at end-" + i);

            // still serving: the same queries with the structs in bounds
            ts.arena().set(U16_UNALIGNED, 0, (short) d);
            assertEquals(0, ts.memoryOp(XENMEM_current_reservation, InProcessToolstack.handle(0)), "a new domain has no pages");
            assertEquals(0, ts.domctl(XEN_DOMCTL_unpausedomain, d, 0));
        }
    }

    @Test void guestStructsCrossingTheEndOfGuestMemory() {
        try (Hypervisor hv = Hypervisor.create(16, dir); InProcessToolstack ts = new InProcessToolstack(hv.core(), ARENA)) {
            int d = ts.createHvmDomain(new byte[16], 1, 64);
            ts.populate(d, 0, 64, 0);
            Caller g = Caller.guest(d, org.fallow.abi.AbiProfile.XEN_4_12,
                    hv.core().domains().get(d).part(org.fallow.hypervisor.core.GuestAddressSpace.class));
            long end = 64 * 4096L;
            assertEquals(-XenErrno.EFAULT, ts.hypercall(g, Hypercalls.TMEM_OP, end - 20), "tmem_op (56 bytes)");
            assertEquals(0, ts.memoryOp(g, XENMEM_increase_reservation, end - 16), "increase_reservation: 0 extents");
            assertEquals(-XenErrno.EFAULT, ts.memoryOp(g, XENMEM_maximum_reservation, end - 1), "maximum_reservation");
            assertEquals(-XenErrno.EFAULT, ts.memoryOp(g, XENMEM_current_reservation, end), "a handle at the very end");
            assertEquals(64, ts.memoryOp(g, XENMEM_current_reservation, setSelf(hv, d)), "still serving the guest");
        }
    }

    /** Writes DOMID_SELF at GPA 0 of {@code d} and returns its handle. */
    private static long setSelf(Hypervisor hv, int d) {
        MemorySegment f = org.fallow.hypervisor.mem.GuestMemoryEngine.physmap(hv.core().domains().get(d)).file().frame(0);
        f.set(U16_UNALIGNED, 0, (short) Hypercalls.DOMID_SELF);
        return 0;
    }
}
