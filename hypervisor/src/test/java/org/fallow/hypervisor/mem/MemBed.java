package org.fallow.hypervisor.mem;

import org.fallow.hypervisor.core.Caller;
import org.fallow.hypervisor.testing.InProcessHypervisor;
import org.fallow.hypervisor.testing.InProcessToolstack;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U16_UNALIGNED;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_max_mem;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_unpausedomain;
import static org.fallow.abi.xen.MemoryOpConstants.MEMOP_EXTENT_SHIFT;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEMF_populate_on_demand;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_get_pod_target;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_populate_physmap;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_set_pod_target;
import static org.fallow.hypervisor.mem.MemConstants.*;

/** An in-process hypervisor with the memory subsystem and a toolstack, plus helpers that build the structs. */
final class MemBed extends InProcessHypervisor {
    static final int STRUCT = 0, LIST = 4096;

    MemBed(Path dir, long hostPages) { super(dir, hostPages); }

    MemorySegment arena() { return ts.arena(); }

    /** createdomain (HVM|HAP, 2 vcpus) + max_mem; returns the domid. */
    int createDomain(long maxPages) {
        byte[] h = new byte[16];
        ThreadLocalRandom.current().nextBytes(h);
        return ts.createHvmDomain(h, 2, maxPages);
    }

    long domctl(int cmd, int domid) { return ts.domctl(cmd, domid, 0); }

    long maxMem(int domid, long kb) { return ts.domctl(XEN_DOMCTL_max_mem, domid, kb); }

    /** Writes a xen_memory_reservation at STRUCT and the extents at LIST, then memory_op(op | start << 6). */
    long reservation(Caller who, int op, int domid, long[] gfns, int order, int flags, long start) {
        return ts.reservation(who, op | (start << MEMOP_EXTENT_SHIFT), domid, gfns, order, flags);
    }

    long reservation(int op, int domid, long[] gfns, int order, int flags) {
        return reservation(ts.caller(), op, domid, gfns, order, flags, 0);
    }

    void writeReservation(int domid, long[] gfns, int order, int flags) { ts.writeReservation(domid, gfns, order, flags); }

    static long[] range(long from, long n) {
        long[] a = new long[(int) n];
        for (int i = 0; i < n; i++) a[i] = from + i;
        return a;
    }

    /** set/get_pod_target; returns rc, the struct stays at STRUCT. */
    long podTarget(Caller who, boolean set, int domid, long target) {
        MemorySegment t = arena().asSlice(STRUCT, POD_SIZE);
        t.fill((byte) 0xEE);
        t.set(U64_UNALIGNED, POD_TARGET_PAGES, target);
        t.set(U16_UNALIGNED, POD_DOMID, (short) domid);
        return ts.memoryOp(who, set ? XENMEM_set_pod_target : XENMEM_get_pod_target, InProcessToolstack.handle(STRUCT));
    }

    long podTarget(boolean set, int domid, long target) { return podTarget(ts.caller(), set, domid, target); }

    long podField(int off) { return arena().get(U64_UNALIGNED, STRUCT + off); }

    /** A guest caller of {@code domid} with a pod-target struct ready at GPA 0 (gfn 0 populated as RAM). */
    Caller guestStructCaller(int domid) {
        reservation(XENMEM_populate_physmap, domid, new long[] {0}, 0, 0);
        return guest(domid);
    }

    /** The guest access protocol of PROTOCOL §3.3 for one write of {@code value} at offset 0 of gfn; returns 0 or the fault status. */
    long guestWriteLong(int domid, long gfn, long value) { return guestAccess(domid, gfn, true, value); }

    long guestAccess(int domid, long gfn, boolean write, long value) {
        DomainPhysmap pm = pm(domid);
        for (int tries = 0; tries < 1000; tries++) {
            int old = pm.p2m().addInflight(gfn, 1);
            if (P2m.typeOf(old) == P2mType.RAM_RW) {
                MemorySegment f = pm.file().frame(gfn);
                long r = 0;
                if (write) f.set(U64_UNALIGNED, 0, value);
                else r = f.get(U64_UNALIGNED, 0);
                pm.p2m().addInflight(gfn, -1);
                return write ? 0 : r;
            }
            pm.p2m().addInflight(gfn, -1);
            long st = fault(domid, gfn, write);
            if (st < 0) return st;
        }
        throw new IllegalStateException("gfn " + gfn + " never became accessible");
    }

    /** MEM_FAULT on the dispatch thread: 0 resolved, negative errno failed. */
    long fault(int domid, long gfn, boolean write) { return fault(domid, gfn, write, 0); }

    /** Builds a PoD guest like xc_hvm_build_target_mem: gfns [0,0xA0) RAM, [0xC0,maxPages) PoD, target - 0x20. */
    int buildPodGuest(long maxPages, long targetPages) {
        int d = createDomain(maxPages);
        long rc = reservation(XENMEM_populate_physmap, d, range(0, 0xA0), 0, 0);
        if (rc != 0xA0) throw new IllegalStateException("populate RAM " + rc);
        long[] pod = range(0xC0, maxPages - 0xC0);
        rc = reservation(XENMEM_populate_physmap, d, pod, 0, XENMEMF_populate_on_demand);
        if (rc != pod.length) throw new IllegalStateException("populate PoD " + rc);
        rc = podTarget(true, d, targetPages - 0x20);
        if (rc != 0) throw new IllegalStateException("set_pod_target " + rc);
        if (domctl(XEN_DOMCTL_unpausedomain, d) != 0) throw new IllegalStateException("unpause");
        return d;
    }
}
