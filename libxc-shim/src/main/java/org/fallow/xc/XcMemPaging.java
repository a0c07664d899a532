package org.fallow.xc;

import org.fallow.abi.Hypercalls;
import org.fallow.abi.toolstack.ToolstackCalls;
import org.fallow.abi.xen.MulticallEntry;
import org.fallow.abi.xen.XenDomctl;
import org.fallow.abi.xen.XenHvmParam;
import org.fallow.abi.xen.XenMemPagingOp;
import org.fallow.xc.transport.HypercallBuffer;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_VM_EVENT_OP_PAGING;
import static org.fallow.abi.xen.DomctlConstants.XEN_VM_EVENT_DISABLE;
import static org.fallow.abi.xen.DomctlConstants.XEN_VM_EVENT_ENABLE;
import static org.fallow.abi.xen.DomctlConstants.XEN_VM_EVENT_RESUME;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_paging_op;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_paging_op_evict;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_paging_op_nominate;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_paging_op_prep;

/**
 * libxc's xc_mem_paging.c and xc_vm_event.c over an {@link XcHandle}: {@code XEN_DOMCTL_vm_event_op} (56) and
 * {@code XENMEM_paging_op} (20). Return values are Xen's (negated errno on failure) rather than libxc's -1/errno.
 * The structs are abi's flyweights: {@link XenDomctl} / {@link org.fallow.abi.xen.XenDomctlVmEventOp},
 * {@link XenMemPagingOp}, {@link XenHvmParam} and {@link MulticallEntry}.
 */
public final class XcMemPaging {

    private final XcHandle xc;
    private final ToolstackCalls calls;

    public XcMemPaging(XcHandle xc) {
        this.xc = xc;
        this.calls = xc.calls();
    }

    /** xc_vm_event_control: returns {rc, port}. */
    public long[] xc_vm_event_control(int domid, int op, int mode) throws IOException {
        XenDomctl d = new XenDomctl();
        long rc = calls.vmEventOp(domid, op, mode, d);
        return new long[] {rc, d.vmEventOp().port()};
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
        long entries = (long) n * MulticallEntry.SIZE, structs = (long) XenMemPagingOp.SIZE * n;
        long bytes = entries + structs + (pages == null ? 0 : (n + 1) * 4096L);
        try (HypercallBuffer.Buf b = xc.buffers().allocate(bytes)) {
            long base = b.handle();
            MemorySegment s = b.segment();
            s.asSlice(0, entries + structs).fill((byte) 0);
            long pagesHandle = (base + entries + structs + 4095) & ~4095L;
            XenMemPagingOp po = new XenMemPagingOp();
            MulticallEntry mc = new MulticallEntry();
            for (int i = 0; i < n; i++) {
                long st = entries + (long) XenMemPagingOp.SIZE * i;
                po.wrap(s, st).op(op).domain(domid).gfn(gfns[i]);
                if (pages != null) {
                    long h = pagesHandle + 4096L * i;
                    s.asSlice(h - base, 4096).copyFrom(pages[i].asSlice(0, 4096));
                    po.buffer(h);
                }
                mc.wrap(s, (long) MulticallEntry.SIZE * i).op(Hypercalls.MEMORY_OP).args(0, XENMEM_paging_op).args(1, base + st);
            }
            long rc = xc.hypercall(Hypercalls.MULTICALL, base, n);
            for (int i = 0; i < n; i++) results[i] = rc < 0 ? (int) rc : (int) mc.wrap(s, (long) MulticallEntry.SIZE * i).result();
            return results;
        }
    }

    /** xc_hvm_param_set: 0 or a negated errno. The domain builder sets HVM_PARAM_PAGING_RING_PFN this way. */
    public int xc_hvm_param_set(int domid, int index, long value) throws IOException {
        return (int) calls.setHvmParam(domid, index, value);
    }

    /** xc_hvm_param_get: the value, or a negated errno. */
    public long xc_hvm_param_get(int domid, int index) throws IOException { return calls.getHvmParam(domid, index); }

    private int memop(int op, int domid, long gfn, long buffer) throws IOException {
        return (int) calls.pagingOp(op, domid, gfn, buffer);
    }
}
