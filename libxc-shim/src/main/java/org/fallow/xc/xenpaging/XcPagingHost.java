package org.fallow.xc.xenpaging;

import org.fallow.abi.fs.SafeFiles;
import org.fallow.abi.wire.P2mHeader;
import org.fallow.abi.xen.XenDomctl;
import org.fallow.abi.xen.XenMemoryReservation;
import org.fallow.abi.Hypercalls;
import org.fallow.abi.xen.XenDomctlGetdomaininfo;
import org.fallow.xc.XcHandle;
import org.fallow.xc.XcMemPaging;
import org.fallow.xc.transport.HypercallBuffer;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMINF_dying;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_decrease_reservation;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_populate_physmap;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_getdomaininfo;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_paging_op_evict;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_paging_op_nominate;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_paging_op_prep;

/**
 * {@link PagingHost} over a real toolstack connection: hypercalls through {@link XcHandle}, guest frames, the shared
 * p2m view and the ring file mapped from the hypervisor's run directory (PROTOCOL.md §3.2-3.4), xenstore through
 * XENSTORE frames, event channels through EVTCHN_SEND frames.
 */
public final class XcPagingHost implements PagingHost {
    private final XcHandle xc;
    private final XcMemPaging paging;
    private final Path runDir;
    private final Arena maps = Arena.ofShared();
    private MemorySegment guestMem;
    private MemorySegment p2m;

    public XcPagingHost(XcHandle xc) {
        this.xc = xc;
        this.paging = new XcMemPaging(xc);
        this.runDir = xc.connection().runDir();
    }

    @Override public DomainInfo domainInfo(int domid) throws IOException {
        XenDomctl d = new XenDomctl().wrapNew().cmd(XEN_DOMCTL_getdomaininfo).domain(domid);
        long rc = xc.domctl(d.segment());
        if (rc < 0) return null;
        XenDomctlGetdomaininfo info = d.getdomaininfo();
        if (info.domain() != domid) return null; // next domain up
        return new DomainInfo(info.maxPages(), info.totPages(), info.pagedPages(), (info.flags() & XEN_DOMINF_dying) != 0);
    }

    @Override public long hvmParam(int domid, int index) throws IOException { return paging.xc_hvm_param_get(domid, index); }

    private synchronized MemorySegment p2m(int domid) throws IOException {
        if (p2m == null) p2m = map(runDir.resolve("dom" + domid + ".p2m"), FileChannel.MapMode.READ_ONLY);
        return p2m;
    }

    @Override public int p2mType(int domid, long gfn) throws IOException {
        MemorySegment m = p2m(domid);
        long off = P2mHeader.entryOffset(gfn);
        if (gfn < 0 || off + 4 > m.byteSize()) return -1;
        return P2mHeader.typeAt(m, gfn);
    }

    private int reservation(int cmd, int domid, long gfn) throws IOException {
        try (HypercallBuffer.Buf b = xc.buffers().allocate(XenMemoryReservation.SIZE + 8)) {
            MemorySegment s = b.segment();
            s.set(U64_UNALIGNED, XenMemoryReservation.SIZE, gfn); // the extent list: one gfn, after the struct
            new XenMemoryReservation().wrap(s, 0).clear().extentStart(b.handle() + XenMemoryReservation.SIZE)
                    .nrExtents(1).domid(domid);
            long rc = xc.hypercall(Hypercalls.MEMORY_OP, cmd, b.handle());
            return rc == 1 ? 0 : rc < 0 ? (int) rc : -org.fallow.abi.XenErrno.ENOMEM;
        }
    }

    @Override public int populateOne(int domid, long gfn) throws IOException { return reservation(XENMEM_populate_physmap, domid, gfn); }

    @Override public int decreaseOne(int domid, long gfn) throws IOException { return reservation(XENMEM_decrease_reservation, domid, gfn); }

    @Override public int pagingEnable(int domid) throws IOException { return paging.xc_mem_paging_enable(domid); }

    @Override public int pagingDisable(int domid) throws IOException { return paging.xc_mem_paging_disable(domid); }

    @Override public int nominate(int domid, long gfn) throws IOException { return paging.xc_mem_paging_nominate(domid, gfn); }

    @Override public int evict(int domid, long gfn) throws IOException { return paging.xc_mem_paging_evict(domid, gfn); }

    @Override public int load(int domid, long gfn, MemorySegment page) throws IOException { return paging.xc_mem_paging_load(domid, gfn, page); }

    @Override public int[] nominateAll(int domid, long[] gfns) throws IOException {
        return paging.xc_mem_paging_batch(XENMEM_paging_op_nominate, domid, gfns, null);
    }

    @Override public int[] evictAll(int domid, long[] gfns) throws IOException {
        return paging.xc_mem_paging_batch(XENMEM_paging_op_evict, domid, gfns, null);
    }

    @Override public int[] loadAll(int domid, long[] gfns, MemorySegment[] pages) throws IOException {
        return paging.xc_mem_paging_batch(XENMEM_paging_op_prep, domid, gfns, pages);
    }

    @Override public synchronized MemorySegment guestFrame(int domid, long gfn) throws IOException {
        if (guestMem == null) guestMem = map(runDir.resolve("dom" + domid + ".mem"), FileChannel.MapMode.READ_ONLY);
        return guestMem.asSlice(gfn * 4096, 4096);
    }

    @Override public MemorySegment mapRing(int domid) throws IOException {
        return map(runDir.resolve("dom" + domid + ".vmring"), FileChannel.MapMode.READ_WRITE);
    }

    private MemorySegment map(Path f, FileChannel.MapMode mode) throws IOException {
        try (FileChannel ch = SafeFiles.openExisting(f, mode != FileChannel.MapMode.READ_ONLY)) {
            return ch.map(mode, 0, ch.size(), maps);
        }
    }

    @Override public void notify(int port) throws IOException { xc.connection().sendEvent(port); }

    @Override public void onEvent(IntConsumer listener) { xc.connection().onEvent(listener); }

    @Override public String xsRead(String path) throws IOException { return xc.xenstore().readOrNull(path); }

    @Override public void xsWrite(String path, String value) throws IOException { xc.xenstore().write(path, value); }

    @Override public void xsWatch(String path, String token, Consumer<String> onChange) throws IOException {
        xc.xenstore().watch(path, token, onChange);
    }

    @Override public void close() {
        xc.close();
    }
}
