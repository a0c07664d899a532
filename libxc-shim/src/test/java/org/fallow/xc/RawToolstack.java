package org.fallow.xc;

import org.fallow.abi.Hypercalls;
import org.fallow.abi.xen.XenDomctl;
import org.fallow.abi.xen.XenDomctlCreatedomain;
import org.fallow.abi.xen.XenDomctlMaxMem;
import org.fallow.xc.transport.HypercallBuffer;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U16_UNALIGNED;

/**
 * The few domain-building calls the tmem end-to-end tests need, issued as raw domctl/memory_op structs : createdomain, max_mem, populate_physmap, destroydomain.
 */
final class RawToolstack {

    private RawToolstack() {}

    private static MemorySegment domctl(int cmd, int domid) {
        MemorySegment s = Arena.ofAuto().allocate(144, 8);
        s.set(U32_UNALIGNED, 0, cmd);
        s.set(U16_UNALIGNED, 8, (short) domid);
        return s;
    }

    /** XEN_DOMCTL_createdomain (1): returns the new domid or a negated errno. */
    static int createDomain(XcHandle xc, byte[] handle) throws IOException {
        MemorySegment s = domctl(1, 0);
        int u = XenDomctl.U_OFFSET;
        MemorySegment.copy(MemorySegment.ofArray(handle), 0, s, u + XenDomctlCreatedomain.HANDLE_OFFSET, 16);
        s.set(U32_UNALIGNED, u + XenDomctlCreatedomain.FLAGS_OFFSET, 3); // XEN_DOMCTL_CDF_hvm_guest | XEN_DOMCTL_CDF_hap
        s.set(U32_UNALIGNED, u + XenDomctlCreatedomain.MAX_VCPUS_OFFSET, 1);
        long rc = xc.domctl(s);
        return rc < 0 ? (int) rc : Short.toUnsignedInt(s.get(U16_UNALIGNED, 8));
    }

    /** XEN_DOMCTL_max_mem (11). */
    static long maxMem(XcHandle xc, int domid, long kb) throws IOException {
        MemorySegment s = domctl(11, domid);
        s.set(U64_UNALIGNED, XenDomctl.U_OFFSET + XenDomctlMaxMem.MAX_MEMKB_OFFSET, kb);
        return xc.domctl(s);
    }

    static long destroy(XcHandle xc, int domid) throws IOException { return xc.domctl(domctl(2, domid)); }

    static long unpause(XcHandle xc, int domid) throws IOException { return xc.domctl(domctl(4, domid)); }

    /** XENMEM_populate_physmap (6) of gfns [0, n): returns the extents done. */
    static long populate(XcHandle xc, int domid, int n) throws IOException {
        try (HypercallBuffer.Buf gfns = xc.buffers().allocate(8L * n); HypercallBuffer.Buf res = xc.buffers().allocate(32)) {
            for (int i = 0; i < n; i++) gfns.segment().set(U64_UNALIGNED, 8L * i, i);
            MemorySegment r = res.segment();
            r.set(U64_UNALIGNED, 0, gfns.handle());
            r.set(U64_UNALIGNED, 8, n);
            r.set(U32_UNALIGNED, 16, 0);
            r.set(U32_UNALIGNED, 20, 0);
            r.set(U16_UNALIGNED, 24, (short) domid);
            return xc.hypercall(Hypercalls.MEMORY_OP, 6, res.handle());
        }
    }
}
