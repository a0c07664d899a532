package org.fallow.hypervisor.dispatch;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.Hypercalls;
import org.fallow.abi.XenErrno;
import org.fallow.abi.xen.MulticallEntry;
import org.fallow.abi.xen.XenDomctl;
import org.fallow.abi.xen.XenDomctlVmEventOp;
import org.fallow.abi.xen.XenSysctl;
import org.fallow.hypervisor.core.Caller;
import org.fallow.hypervisor.core.GuestAddressSpace;
import org.fallow.hypervisor.core.GuestFault;
import org.fallow.hypervisor.core.HostMemory;
import org.fallow.hypervisor.core.HypervisorCore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.junit.jupiter.api.Assertions.*;

/** The multiplexing hypercalls, driven in-process through {@link HypervisorCore#dispatch}. */
class GenericHypercallsTest {
    private static final long BASE = 0x10000;

    private HypervisorCore core;
    private Arena arena;
    private MemorySegment mem;
    private Caller toolstack;
    private Caller guest;

    /** Handles BASE .. BASE+8192 map onto {@code mem}. */
    private GuestAddressSpace space() {
        return (h, len) -> {
            if (h < BASE || len < 0 || h - BASE + len > mem.byteSize()) throw new GuestFault(h, len, "test: out of range");
            return mem.asSlice(h - BASE, len);
        };
    }

    @BeforeEach
    void setUp() {
        core = new HypervisorCore(HostMemory.ofMiB(16));
        GenericHypercalls.install(core);
        arena = Arena.ofConfined();
        mem = arena.allocate(8192, 8);
        toolstack = Caller.toolstack(AbiProfile.XEN_4_12, space());
        guest = Caller.guest(3, AbiProfile.XEN_4_12, space());
    }

    @AfterEach
    void tearDown() {
        arena.close();
        core.close();
    }

    private void entry(long off, long op, long... args) {
        MulticallEntry e = new MulticallEntry().wrap(mem, off).op(op).result(0xDEADL);
        for (int i = 0; i < args.length; i++) e.args(i, args[i]);
    }

    @Test
    void multicallRunsEachEntryAndWritesResultsInPlace() {
        assertEquals(64, MulticallEntry.SIZE, "sizeof(struct multicall_entry) on x86_64");
        List<long[]> seen = new ArrayList<>();
        core.registerHypercall(40, (c, a) -> { seen.add(a.clone()); return a[0] + a[5]; });
        entry(0, 40, 7, 0, 0, 0, 0, 100);
        entry(64, 99);
        entry(128, Hypercalls.MULTICALL, BASE, 1);
        assertEquals(0, core.dispatch(toolstack, Hypercalls.MULTICALL, new long[]{BASE, 3, 0, 0, 0}));
        MulticallEntry e = new MulticallEntry();
        assertEquals(107, e.wrap(mem, 0).result(), "entry 0 result");
        assertEquals(-XenErrno.ENOSYS, e.wrap(mem, 64).result(), "entry 1: unknown hypercall");
        assertEquals(-XenErrno.EINVAL, e.wrap(mem, 128).result(), "entry 2: nested multicall refused");
        assertEquals(1, seen.size());
        assertEquals(6, seen.get(0).length, "multicall entries carry 6 args");
        assertEquals(40, e.wrap(mem, 0).op(), "op left untouched");
    }

    @Test
    void multicallWithABadListFaultsBeforeAnyCall() {
        List<Long> calls = new ArrayList<>();
        core.registerHypercall(40, (c, a) -> { calls.add(a[0]); return 0; });
        entry(8192 - 64, 40);
        assertEquals(-XenErrno.EFAULT, core.dispatch(toolstack, Hypercalls.MULTICALL, new long[]{BASE + 8192 - 64, 2, 0, 0, 0}));
        assertTrue(calls.isEmpty());
        assertEquals(-XenErrno.EFAULT, core.dispatch(toolstack, Hypercalls.MULTICALL, new long[]{0, 1, 0, 0, 0}));
        assertEquals(0, core.dispatch(toolstack, Hypercalls.MULTICALL, new long[]{0, 0, 0, 0, 0}), "empty batch");
    }

    private void control(long off, int cmd, int version) {
        mem.asSlice(off, XenDomctl.SIZE).fill((byte) 0);
        mem.set(U32_UNALIGNED, off + XenDomctl.CMD_OFFSET, cmd);          // same place in xen_sysctl
        mem.set(U32_UNALIGNED, off + XenDomctl.INTERFACE_VERSION_OFFSET, version);
    }

    @Test
    void domctlChecksVersionPrivilegeAndCommand() {
        core.domctls().register(5, op -> { op.op().set(U32_UNALIGNED, XenDomctl.U_OFFSET, 0xABCD); return 0; });
        control(0, 5, 0x10);
        assertEquals(-XenErrno.EACCES, core.dispatch(toolstack, Hypercalls.DOMCTL, new long[]{BASE, 0, 0, 0, 0}));
        control(0, 5, 0x11);
        assertEquals(-XenErrno.EPERM, core.dispatch(guest, Hypercalls.DOMCTL, new long[]{BASE, 0, 0, 0, 0}));
        control(0, 6, 0x11);
        assertEquals(-XenErrno.ENOSYS, core.dispatch(toolstack, Hypercalls.DOMCTL, new long[]{BASE, 0, 0, 0, 0}));
        assertEquals(-XenErrno.EFAULT, core.dispatch(toolstack, Hypercalls.DOMCTL, new long[]{BASE + 8192 - 100, 0, 0, 0, 0}));
        control(0, 5, 0x11);
        assertEquals(0, core.dispatch(toolstack, Hypercalls.DOMCTL, new long[]{BASE, 0, 0, 0, 0}));
        assertEquals(0, mem.get(U32_UNALIGNED, XenDomctl.U_OFFSET), "domctl copies back only on request");
    }

    @Test
    void domctlCopiesBackWhenTheHandlerAsksEvenOnError() {
        core.domctls().register(56, op -> {
            assertEquals(144, XenDomctl.SIZE, "sizeof(struct xen_domctl)");
            assertEquals(XenDomctl.SIZE, op.op().byteSize());
            op.op().set(U32_UNALIGNED, XenDomctl.U_OFFSET + XenDomctlVmEventOp.PORT_OFFSET, 3); // u.vm_event_op.port
            op.copyBack();
            return -XenErrno.EBUSY;
        });
        control(256, 56, 0x11);
        long lastWord = 256 + XenDomctl.SIZE - 8;
        mem.set(U64_UNALIGNED, lastWord, 0x1122334455667788L);
        assertEquals(-XenErrno.EBUSY, core.dispatch(toolstack, Hypercalls.DOMCTL, new long[]{BASE + 256, 0, 0, 0, 0}));
        assertEquals(3, new XenDomctl().wrap(mem, 256).vmEventOp().port());
        assertEquals(0x1122334455667788L, mem.get(U64_UNALIGNED, lastWord), "the whole 144 bytes round-trip");
    }

    /** The first two 32-bit words of {@code xen_sysctl.u}. */
    private static final long U_WORD0 = XenSysctl.U_OFFSET, U_WORD1 = XenSysctl.U_OFFSET + 4;

    @Test
    void sysctlCopiesBackOnlyOnSuccess() {
        core.sysctls().register(24, op -> {
            op.op().set(U32_UNALIGNED, U_WORD0, 77);
            return op.op().get(U32_UNALIGNED, U_WORD1) == 0 ? 0 : -XenErrno.EINVAL;
        });
        control(0, 24, 0x12);
        assertEquals(0, core.dispatch(toolstack, Hypercalls.SYSCTL, new long[]{BASE, 0, 0, 0, 0}));
        assertEquals(77, mem.get(U32_UNALIGNED, U_WORD0));
        control(0, 24, 0x12);
        mem.set(U32_UNALIGNED, U_WORD1, 1);
        assertEquals(-XenErrno.EINVAL, core.dispatch(toolstack, Hypercalls.SYSCTL, new long[]{BASE, 0, 0, 0, 0}));
        assertEquals(0, mem.get(U32_UNALIGNED, U_WORD0), "no copy-back on failure");
        control(0, 24, 0x11);
        assertEquals(-XenErrno.EACCES, core.dispatch(toolstack, Hypercalls.SYSCTL, new long[]{BASE, 0, 0, 0, 0}));
        control(0, 24, 0x12);
        assertEquals(-XenErrno.EPERM, core.dispatch(guest, Hypercalls.SYSCTL, new long[]{BASE, 0, 0, 0, 0}));
    }

    @Test
    void memoryOpDispatchesOnTheLowSixBits() {
        List<Long> cmds = new ArrayList<>();
        core.memoryOps().register(17, (c, a) -> { cmds.add(a[0]); return 5; });
        long cmd = 17 | (3L << 6); // start extent 3
        assertEquals(5, core.dispatch(guest, Hypercalls.MEMORY_OP, new long[]{cmd, BASE, 0, 0, 0}));
        assertEquals(List.of(cmd), cmds, "handlers get the full cmd");
        assertEquals(-XenErrno.ENOSYS, core.dispatch(guest, Hypercalls.MEMORY_OP, new long[]{18, BASE, 0, 0, 0}));
    }
}
