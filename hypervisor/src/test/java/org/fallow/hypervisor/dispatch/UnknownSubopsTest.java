package org.fallow.hypervisor.dispatch;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.Hypercalls;
import org.fallow.abi.XenErrno;
import org.fallow.hypervisor.Hypervisor;
import org.fallow.hypervisor.core.Caller;
import org.fallow.hypervisor.core.GuestAddressSpace;
import org.fallow.hypervisor.mem.GuestMemoryEngine;
import org.fallow.hypervisor.testing.InProcessToolstack;
import org.fallow.hypervisor.tmem.TmemOid;
import org.fallow.hypervisor.tmem.TmemOpCodec;
import org.fallow.hypervisor.tmem.TmemSysctl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U16_UNALIGNED;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_current_reservation;
import static org.fallow.abi.xen.SysctlConstants.XEN_SYSCTL_tmem_op;
import static org.fallow.hypervisor.mem.MemConstants.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Sub-operations this hypervisor does not know, with every subsystem installed (as HypervisorMain runs it): Xen's
 * answer for each family (Xen 4.12 common/memory.c, domctl.c, sysctl.c, hvm.c and tmem.c: -ENOSYS from the memory_op/domctl/sysctl/hvm_op/tmem_op defaults, -1 = -EPERM
 * from the tmem sysctl), and the next well-formed call is served.
 */
@Timeout(60)
class UnknownSubopsTest {

    @TempDir Path dir;

    private static long control(InProcessToolstack ts, int hypercall, int cmd, int version) {
        MemorySegment s = ts.arena().asSlice(0, 256);
        s.fill((byte) 0);
        s.set(U32_UNALIGNED, 0, cmd);
        s.set(U32_UNALIGNED, org.fallow.abi.xen.XenDomctl.INTERFACE_VERSION_OFFSET, version); // sysctl's is there too
        return ts.hypercall(hypercall, InProcessToolstack.handle(0));
    }

    @Test void eachFamilyAnswersItsUnknownSubopsAsXenDoes() {
        try (Hypervisor hv = Hypervisor.create(16, dir); InProcessToolstack ts = new InProcessToolstack(hv.core(), 1 << 16)) {
            int d = ts.createHvmDomain(new byte[16], 1, 64);
            ts.populate(d, 0, 8, 0);
            for (int sub : new int[] {5, 7, 11, 21, 22, 24, 26, 63}) // 18/19 (sharing counters) and 23 are served
                assertEquals(-XenErrno.ENOSYS, ts.memoryOp(sub, InProcessToolstack.handle(0)), "memory_op " + sub);
            for (int cmd : new int[] {200, 999, -1})
                assertEquals(-XenErrno.ENOSYS, control(ts, Hypercalls.DOMCTL, cmd, 0x11), "domctl " + cmd);
            for (int cmd : new int[] {200, 999, -1})
                assertEquals(-XenErrno.ENOSYS, control(ts, Hypercalls.SYSCTL, cmd, 0x12), "sysctl " + cmd);
            assertEquals(-XenErrno.ENOSYS, ts.hvmOp(ts.caller(), 77, InProcessToolstack.handle(0)), "hvm_op 77");
            // XEN_SYSCTL_tmem_op with an unknown subop: do_tmem_control's default, -1
            ts.arena().asSlice(0, 256).fill((byte) 0);
            ts.arena().set(U32_UNALIGNED, 0, XEN_SYSCTL_tmem_op);
            ts.arena().set(U32_UNALIGNED, org.fallow.abi.xen.XenSysctl.INTERFACE_VERSION_OFFSET, 0x12);
            ts.arena().set(U32_UNALIGNED, TmemSysctl.OFF_CMD, 55);
            assertEquals(-XenErrno.EPERM, ts.hypercall(Hypercalls.SYSCTL, InProcessToolstack.handle(0)), "tmem sysctl subop 55");

            // a guest's tmem_op with an unknown cmd on an existing pool: -ENOSYS
            Caller g = Caller.guest(d, AbiProfile.XEN_4_12, hv.core().domains().get(d).part(GuestAddressSpace.class));
            MemorySegment op = GuestMemoryEngine.physmap(hv.core().domains().get(d)).file().frame(0).asSlice(0, 56);
            TmemOpCodec.encodeNewPool(AbiProfile.XEN_4_12, op, 0, 0, 1 << 24);
            assertEquals(0, ts.hypercall(g, Hypercalls.TMEM_OP, 0), "pool 0");
            TmemOpCodec.encodePage(AbiProfile.XEN_4_12, op, 77, 0, new TmemOid(1, 0, 0), 0, 1);
            assertEquals(-XenErrno.ENOSYS, ts.hypercall(g, Hypercalls.TMEM_OP, 0), "tmem_op cmd 77");

            // still serving both callers
            ts.arena().set(U16_UNALIGNED, 0, (short) d);
            assertEquals(8, ts.memoryOp(XENMEM_current_reservation, InProcessToolstack.handle(0)));
            TmemOpCodec.encodePage(AbiProfile.XEN_4_12, op, org.fallow.hypervisor.tmem.TmemDefs.PUT_PAGE, 0, new TmemOid(1, 0, 0), 0, 1);
            assertEquals(1, ts.hypercall(g, Hypercalls.TMEM_OP, 0), "a PUT from gfn 1");
        }
    }
}
