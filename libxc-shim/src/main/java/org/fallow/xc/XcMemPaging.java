package org.fallow.xc;

import org.fallow.abi.Hypercalls;
import org.fallow.xc.transport.HypercallBuffer;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U16_UNALIGNED;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_VM_EVENT_OP_PAGING;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_vm_event_op;
import static org.fallow.abi.xen.DomctlConstants.XEN_VM_EVENT_DISABLE;
import static org.fallow.abi.xen.DomctlConstants.XEN_VM_EVENT_ENABLE;
import static org.fallow.abi.xen.DomctlConstants.XEN_VM_EVENT_RESUME;
import static org.fallow.abi.xen.HvmOpConstants.HVMOP_get_param;
import static org.fallow.abi.xen.HvmOpConstants.HVMOP_set_param;
import static org.fallow.abi.xen.HvmOpConstants.HVM_PARAM_PAGING_RING_PFN;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_paging_op;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_paging_op_evict;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_paging_op_nominate;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_paging_op_prep;

/**
 * libxc's xc_mem_paging.c and xc_vm_event.c over an {@link XcHandle}: {@code XEN_DOMCTL_vm_event_op} (56) and
 * {@code XENMEM_paging_op} (20). Return values are Xen's (negated errno on failure) rather than libxc's -1/errno.
 *
 * <pre>
 * xen_domctl.u.vm_event_op @16:  op u32 @16 | mode u32 @20 | port u32 @24 (OUT)
 * xen_mem_paging_op (24 B):      op u8 @0 | pad | domain u16 @2 | pad[4] | buffer u64 @8 | gfn u64 @16
 * </pre>
 */
public final class XcMemPaging {

    private final XcHandle xc;

    public XcMemPaging(XcHandle xc) { this.xc = xc; }

    /** xc_vm_event_control: returns {rc, port}. */
    public long[] xc_vm_event_control(int domid, int op, int mode) throws IOException {
        MemorySegment d = MemorySegment.ofArray(new long[org.fallow.abi.xen.XenDomctl.SIZE / 8]);
        d.set(U32_UNALIGNED, 0, XEN_DOMCTL_vm_event_op);
        d.set(U16_UNALIGNED, 8, (short) domid);
        d.set(U32_UNALIGNED, 16, op);
        d.set(U32_UNALIGNED, 20, mode);
        long rc = xc.domctl(d);
        return new long[] {rc, d.get(U32_UNALIGNED, 24) & 0xFFFFFFFFL};
    }

    /** xc_mem_paging_enable: the event-channel port, or a negated errno. */
    public int xc_mem_paging_enable(int domid) throws IOException {
        long[] r = xc_vm_event_control(domid, XEN_VM_EVENT_ENABLE, XEN_DOMCTL_VM_EVENT_OP_PAGING);
        return r[0] < 0 ? (int) r[0] : (int) r[1];
    }

    public int xc_mem_paging_disable(int domid) throws IOException {
        return (int) xc_vm_event_control(domid, XEN_VM_EVENT_DISABLE, XEN_DOMCTL_VM_EVENT_OP_PAGING)[0];
    }

    public int xc_mem_paging_resume(int domid) throws IOException {
        return (int) xc_vm_event_control(domid, XEN_VM_EVENT_RESUME, XEN_DOMCTL_VM_EVENT_OP_PAGING)[0];
    }

    public int xc_mem_paging_nominate(int domid, long gfn) throws IOException { return memop(XENMEM_paging_op_nominate, domid, gfn, 0); }

    public int xc_mem_paging_evict(int domid, long gfn) throws IOException { return memop(XENMEM_paging_op_evict, domid, gfn, 0); }

    /** xc_mem_paging_prep: prep without data (the frame must still exist). */
    public int xc_mem_paging_prep(int domid, long gfn) throws IOException { return memop(XENMEM_paging_op_prep, domid, gfn, 0); }

    /** xc_mem_paging_load: bounces {@code page} through a page-aligned hypercall buffer and preps with it. */
    public int xc_mem_paging_load(int domid, long gfn, MemorySegment page) throws IOException {
        try (HypercallBuffer.Buf b = xc.buffers().allocate(2 * HypercallBuffer.PAGE)) {
            long aligned = (b.handle() + 4095) & ~4095L;
            MemorySegment dst = b.segment().asSlice(aligned - b.handle(), 4096);
            dst.copyFrom(page.asSlice(0, 4096));
            return memop(XENMEM_paging_op_prep, domid, gfn, aligned);
        }
    }

    /** Most paging ops sent in one multicall by {@link #xc_mem_paging_batch}. */
    public static final int MAX_BATCH = 64;
    private static final int MULTICALL_ENTRY = 64, MC_OP = 0, MC_RESULT = 8, MC_ARGS = 16;

    /**
     * Fallow addition: one {@code __HYPERVISOR_multicall} of XENMEM_paging_op {@code op} for each gfn (at most
     * {@link #MAX_BATCH}); for prep, {@code pages[i]} is the data of {@code gfns[i]} (bounced through page-aligned
     * hypercall buffers). Returns each op's result.
     */
    public int[] xc_mem_paging_batch(int op, int domid, long[] gfns, MemorySegment[] pages) throws IOException {
        int n = gfns.length;
        if (n > MAX_BATCH) throw new IllegalArgumentException("batch of " + n + " > " + MAX_BATCH);
        int[] results = new int[n];
        if (n == 0) return results;
        long entries = (long) n * MULTICALL_ENTRY, structs = 24L * n;
        long bytes = entries + structs + (pages == null ? 0 : (n + 1) * 4096L);
        try (HypercallBuffer.Buf b = xc.buffers().allocate(bytes)) {
            long base = b.handle();
            MemorySegment s = b.segment();
            s.asSlice(0, entries + structs).fill((byte) 0);
            long pagesHandle = (base + entries + structs + 4095) & ~4095L;
            for (int i = 0; i < n; i++) {
                long st = entries + 24L * i;
                s.set(ValueLayout.JAVA_BYTE, st, (byte) op);
                s.set(U16_UNALIGNED, st + 2, (short) domid);
                if (pages != null) {
                    long h = pagesHandle + 4096L * i;
                    s.asSlice(h - base, 4096).copyFrom(pages[i].asSlice(0, 4096));
                    s.set(U64_UNALIGNED, st + 8, h);
                }
                s.set(U64_UNALIGNED, st + 16, gfns[i]);
                long e = (long) MULTICALL_ENTRY * i;
                s.set(U64_UNALIGNED, e + MC_OP, Hypercalls.MEMORY_OP);
                s.set(U64_UNALIGNED, e + MC_ARGS, XENMEM_paging_op);
                s.set(U64_UNALIGNED, e + MC_ARGS + 8, base + st);
            }
            long rc = xc.hypercall(Hypercalls.MULTICALL, base, n);
            for (int i = 0; i < n; i++) results[i] = rc < 0 ? (int) rc : (int) s.get(U64_UNALIGNED, (long) MULTICALL_ENTRY * i + MC_RESULT);
            return results;
        }
    }

    /** HVMOP_set_param / HVMOP_get_param (hvm_op 34, {@code xen_hvm_param}: domid u16 @0, index u32 @4, value u64 @8). */

    /** xc_hvm_param_set: 0 or a negated errno. The domain builder sets HVM_PARAM_PAGING_RING_PFN (27) this way. */
    public int xc_hvm_param_set(int domid, int index, long value) throws IOException {
        try (HypercallBuffer.Buf b = xc.buffers().allocate(16)) {
            MemorySegment s = b.segment();
            s.fill((byte) 0);
            s.set(U16_UNALIGNED, 0, (short) domid);
            s.set(U32_UNALIGNED, 4, index);
            s.set(U64_UNALIGNED, 8, value);
            return (int) xc.hypercall(Hypercalls.HVM_OP, HVMOP_set_param, b.handle());
        }
    }

    /** xc_hvm_param_get: the value, or a negated errno. */
    public long xc_hvm_param_get(int domid, int index) throws IOException {
        try (HypercallBuffer.Buf b = xc.buffers().allocate(16)) {
            MemorySegment s = b.segment();
            s.fill((byte) 0);
            s.set(U16_UNALIGNED, 0, (short) domid);
            s.set(U32_UNALIGNED, 4, index);
            long rc = xc.hypercall(Hypercalls.HVM_OP, HVMOP_get_param, b.handle());
            return rc < 0 ? rc : s.get(U64_UNALIGNED, 8);
        }
    }

    private int memop(int op, int domid, long gfn, long buffer) throws IOException {
        try (HypercallBuffer.Buf b = xc.buffers().allocate(24)) {
            MemorySegment s = b.segment();
            s.fill((byte) 0);
            s.set(ValueLayout.JAVA_BYTE, 0, (byte) op);
            s.set(U16_UNALIGNED, 2, (short) domid);
            s.set(U64_UNALIGNED, 8, buffer);
            s.set(U64_UNALIGNED, 16, gfn);
            return (int) xc.hypercall(Hypercalls.MEMORY_OP, XENMEM_paging_op, b.handle());
        }
    }
}
