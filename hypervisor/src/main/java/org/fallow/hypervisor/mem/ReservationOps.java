package org.fallow.hypervisor.mem;

import org.fallow.abi.XenErrno;
import org.fallow.hypervisor.core.Caller;
import org.fallow.hypervisor.core.Domain;
import org.fallow.hypervisor.core.GuestFault;
import org.fallow.hypervisor.core.HypervisorCore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.MemorySegment;

import static org.fallow.abi.xen.MemoryOpConstants.MEMOP_CMD_MASK;
import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U16_UNALIGNED;
import static org.fallow.abi.xen.MemoryOpConstants.MEMOP_EXTENT_SHIFT;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEMF_populate_on_demand;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEMF_vnode;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEMF_exact_node_request;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_current_reservation;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_decrease_reservation;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_get_pod_target;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_increase_reservation;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_maximum_gpfn;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_maximum_ram_page;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_maximum_reservation;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_populate_physmap;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_set_pod_target;
import static org.fallow.hypervisor.mem.MemConstants.*;

/**
 * {@code __HYPERVISOR_memory_op} (12) sub-ops of the reservation / PoD family with Xen 4.12's return conventions
 * (Xen 4.12 common/memory.c, common/memory.c, arch/x86/mm.c):
 * <ul>
 * <li>increase/decrease_reservation, populate_physmap return the number of extents done. Bad domid, copy fault,
 *     malformed arguments and permission failures return the start extent ({@code cmd >> 6}; 0 on a first call).</li>
 * <li>maximum_ram_page: the host's page count (max_page); -EINVAL with a start extent.</li>
 * <li>current/maximum_reservation, maximum_gpfn: -EINVAL with a start extent, -EFAULT, -ESRCH, -EPERM (XSM_TARGET).</li>
 * <li>set/get_pod_target: -EFAULT, -ESRCH, -EPERM (XSM_PRIV), set above max_pages -EINVAL; OUT fields copied back
 *     only on success.</li>
 * </ul>
 * increase/decrease_reservation and populate_physmap yield as Xen's do: between two extents, when
 * {@link HypervisorCore#preemptCheck()} says so, they return a continuation {@code memory_op(cmd | nr_done << 6, arg)}
 * that resumes at the next extent. set_pod_target yields while it grows the PoD cache (Xen's -ERESTART from
 * {@code p2m_pod_set_mem_target}) and is re-issued unchanged; it continues from the cache size reached.
 */
public final class ReservationOps {
    private static final Logger log = LoggerFactory.getLogger(ReservationOps.class);
    private static final long UINT_MAX = 0xFFFF_FFFFL;

    private final GuestMemoryEngine mem;

    ReservationOps(GuestMemoryEngine mem) { this.mem = mem; }

    void register(HypervisorCore core) {
        core.memoryOps().register(XENMEM_increase_reservation, (c, a) -> reservation(c, a, XENMEM_increase_reservation));
        core.memoryOps().register(XENMEM_decrease_reservation, (c, a) -> reservation(c, a, XENMEM_decrease_reservation));
        core.memoryOps().register(XENMEM_populate_physmap, (c, a) -> reservation(c, a, XENMEM_populate_physmap));
        core.memoryOps().register(XENMEM_maximum_ram_page, (c, a) ->
                (a[0] >>> MEMOP_EXTENT_SHIFT) != 0 ? -XenErrno.EINVAL : mem.core().host().totalPages());
        core.memoryOps().register(XENMEM_current_reservation, (c, a) -> stat(c, a, XENMEM_current_reservation));
        core.memoryOps().register(XENMEM_maximum_reservation, (c, a) -> stat(c, a, XENMEM_maximum_reservation));
        core.memoryOps().register(XENMEM_maximum_gpfn, (c, a) -> stat(c, a, XENMEM_maximum_gpfn));
        core.memoryOps().register(XENMEM_set_pod_target, (c, a) -> podTarget(c, a, true));
        core.memoryOps().register(XENMEM_get_pod_target, (c, a) -> podTarget(c, a, false));
    }

    /** XSM_TARGET: a guest may only act on itself; the toolstack on anyone. */
    private static boolean targetAllowed(Caller c, Domain d) { return c.privileged() || c.domid() == d.domid(); }

    private static int maxOrder(Caller c) { return c.privileged() ? CTLDOM_MAX_ORDER : DOMU_MAX_ORDER; }

    // ---- increase / decrease / populate ---------------------------------------------------------------------------

    long reservation(Caller c, long[] args, int op) {
        long cmd = args[0];
        long start = cmd >>> MEMOP_EXTENT_SHIFT;
        MemorySegment r;
        try {
            r = c.memory().map(args[1], RES_SIZE);
        } catch (GuestFault f) {
            log.debug("{}: memory_op {}: {}", c, op, f.getMessage());
            return start;
        }
        long extentStart = r.get(U64_UNALIGNED, RES_EXTENT_START);
        long nrExtents = r.get(U64_UNALIGNED, RES_NR_EXTENTS);
        int order = r.get(U32_UNALIGNED, RES_EXTENT_ORDER);
        int memFlags = r.get(U32_UNALIGNED, RES_MEM_FLAGS);
        int domid = Short.toUnsignedInt(r.get(U16_UNALIGNED, RES_DOMID));
        if (Long.compareUnsigned(nrExtents, UINT_MAX >>> MEMOP_EXTENT_SHIFT) > 0) return start;
        if (Long.compareUnsigned(start, nrExtents) >= 0) return start;
        Domain d = mem.core().domains().resolve(c, domid);
        DomainPhysmap pm = d == null ? null : GuestMemoryEngine.physmap(d);
        if (pm == null) {
            log.debug("{}: memory_op {} on unknown domain {}", c, op, domid);
            return start;
        }
        int addressBits = memFlags & 0xFF;
        if (addressBits != 0 && addressBits <= 12) return start;
        if (!targetAllowed(c, d)) {
            log.debug("{}: memory_op {} on d{} denied", c, op, d.domid());
            return start;
        }
        if ((memFlags & XENMEMF_vnode) != 0) return start; // no vNUMA topology: the node cannot be translated
        if (!propagateNode(c, memFlags)) {
            log.debug("{}: memory_op {} node request 0x{} refused", c, op, Integer.toHexString(memFlags));
            return start;
        }
        boolean podFlag = op == XENMEM_populate_physmap && (memFlags & XENMEMF_populate_on_demand) != 0;
        Args a = new Args(c, pm, extentStart, nrExtents, order, start, mem.core());
        switch (op) {
            case XENMEM_increase_reservation -> increase(a);
            case XENMEM_decrease_reservation -> decrease(a);
            default -> populate(a, podFlag);
        }
        if (a.preempted)
            return mem.core().createContinuation(org.fallow.abi.Hypercalls.MEMORY_OP,
                    (cmd & MEMOP_CMD_MASK) | (a.nrDone << MEMOP_EXTENT_SHIFT), args[1]);
        return a.nrDone;
    }

    /**
     * memory.c propagate_node (4.12): no node (field 0) is fine; the toolstack (control domain) may name any node below
     * MAX_NUMNODES, exact or not; a guest's node is only a hint, but an exact-node request is refused. (The host has
     * one node; a node hint changes nothing else.)
     */
    static boolean propagateNode(Caller c, int memFlags) {
        int node = ((memFlags >>> 8) - 1) & 0xFF; // XENMEMF_get_node
        if (node == NUMA_NO_NODE) return true;
        if (c.privileged()) return node < MAX_NUMNODES;
        return (memFlags & XENMEMF_exact_node_request) == 0;
    }

    private static final class Args {
        final Caller caller;
        final DomainPhysmap pm;
        final long list;
        final long nrExtents;
        final int order;
        final HypervisorCore core;
        final long firstExtent;
        long nrDone;
        boolean preempted;

        Args(Caller caller, DomainPhysmap pm, long list, long nrExtents, int order, long start, HypervisorCore core) {
            this.core = core;
            this.firstExtent = start;
            this.caller = caller;
            this.pm = pm;
            this.list = list;
            this.nrExtents = nrExtents;
            this.order = order;
            this.nrDone = start;
        }

        /** Xen's {@code if (i != a->nr_done && hypercall_preempt_check())} at the top of each extent loop. */
        boolean preempt(long i) {
            if (i == firstExtent || !core.preemptCheck()) return false;
            preempted = true;
            return true;
        }

        /** extent_order is an unsigned int: 0x80000000 and up are above any limit (never a negative shift). */
        boolean orderAbove(int max) {
            if (Integer.compareUnsigned(order, max) <= 0) return false;
            log.debug("{}: extent_order {} above the limit {}: 0 extents", caller, Integer.toUnsignedString(order), max);
            return true;
        }

        /** guest_handle_subrange_okay(list, nr_done, nr_extents - 1): an address-range check, nothing is populated. */
        boolean listOkay() {
            long len = (nrExtents - nrDone) * 8;
            if (caller.memory() instanceof GuestPhysicalSpace g) return g.rangeOkay(list + nrDone * 8, len);
            try {
                caller.memory().map(list + nrDone * 8, (nrExtents - nrDone) * 8);
                return true;
            } catch (GuestFault f) {
                return false;
            }
        }

        /** __copy_from_guest_offset(&x, list, i, 1); -1 on a fault. */
        long read(long i) {
            try {
                return caller.memory().map(list + i * 8, 8).get(U64_UNALIGNED, 0);
            } catch (GuestFault f) {
                return -1;
            }
        }
    }

    /** HVM increase_reservation: allocates extents to the domain without mapping them (nothing is written back). */
    private void increase(Args a) {
        if (a.list != 0 && !a.listOkay()) return;
        if (a.orderAbove(maxOrder(a.caller))) return;
        long i;
        for (i = a.nrDone; i < a.nrExtents; i++) {
            if (a.preempt(i)) break;
            long n = 1L << a.order;
            if (!a.pm.assign(n)) {
                log.debug("d{}: could not allocate order={} extent ({} of {})", a.pm.domain().domid(), a.order, i, a.nrExtents);
                break;
            }
            a.pm.addExtraAssigned(n);
        }
        a.nrDone = i;
    }

    private void populate(Args a, boolean pod) {
        if (!a.listOkay()) return;
        if (a.orderAbove(pod ? MAX_ORDER : maxOrder(a.caller))) return;
        DomainPhysmap pm = a.pm;
        long i;
        for (i = a.nrDone; i < a.nrExtents; i++) {
            if (a.preempt(i)) break;
            if (!readable(a, i)) break;
            long gpfn = a.read(i);
            if (pod) {
                if (!a.caller.privileged() && a.caller.domid() == pm.domain().domid()) break; // no PoD on oneself
                if (pm.hvm() && pm.pod().markPopulateOnDemand(gpfn, a.order) < 0) break;
            } else if (!populateExtent(pm, gpfn, a.order)) {
                break;
            }
        }
        a.nrDone = i;
    }

    private static boolean readable(Args a, long i) {
        try {
            a.caller.memory().map(a.list + i * 8, 8);
            return true;
        } catch (GuestFault f) {
            return false;
        }
    }

    /** alloc_domheap_pages + guest_physmap_add_page for one extent. */
    private static boolean populateExtent(DomainPhysmap pm, long gpfn, int order) {
        long n = 1L << order;
        P2m p2m = pm.p2m();
        if (gpfn < 0 || (gpfn & (n - 1)) != 0 || !p2m.contains(gpfn + n - 1)) {
            log.debug("d{}: populate_physmap gfn 0x{} order {} outside the physmap", pm.domain().domid(), Long.toHexString(gpfn), order);
            return false;
        }
        if (!pm.assign(n)) {
            log.debug("d{}: could not allocate order={} extent", pm.domain().domid(), order);
            return false;
        }
        long podReplaced = 0;
        for (long g = gpfn; g < gpfn + n; g++) {
            int ot = p2m.type(g);
            if (pm.backed(g)) {
                // the old page stays allocated to the domain, unmapped (Xen leaves it on the domain's list)
                pm.detachFrame(g);
                pm.addExtraAssigned(1);
            } else if (ot == P2mType.POPULATE_ON_DEMAND) {
                podReplaced++;
            } else if (P2mType.isPaging(ot)) {
                pm.pagedPagesAdd(-1); // plugging a hole where a paged-out page was
            }
            pm.attachFrame(g);
            p2m.setType(g, P2mType.RAM_RW);
        }
        if (podReplaced > 0) pm.pod().entriesAdded(-podReplaced);
        return true;
    }

    private void decrease(Args a) {
        if (!a.listOkay() || a.orderAbove(maxOrder(a.caller))) return;
        DomainPhysmap pm = a.pm;
        long i;
        outer:
        for (i = a.nrDone; i < a.nrExtents; i++) {
            if (a.preempt(i)) break;
            if (!readable(a, i)) break;
            long gmfn = a.read(i);
            long podDone = pm.hvm() ? pm.pod().decreaseReservation(gmfn, a.order) : 0;
            for (long j = 0; j + podDone < (1L << a.order); j++) {
                int rc = mem.guestRemovePage(pm, gmfn + j, a.caller.privileged() || a.caller.domid() != pm.domain().domid());
                if (rc == 0) continue;
                if (rc == -XenErrno.ENOENT && podDone > 0) {
                    podDone--;
                    continue;
                }
                break outer;
            }
        }
        a.nrDone = i;
    }

    // ---- current / maximum reservation, maximum_gpfn ------------------------------------------------------------

    long stat(Caller c, long[] args, int op) {
        if ((args[0] >>> MEMOP_EXTENT_SHIFT) != 0) return -XenErrno.EINVAL;
        int domid;
        try {
            domid = Short.toUnsignedInt(c.memory().map(args[1], 2).get(U16_UNALIGNED, 0));
        } catch (GuestFault f) {
            return -XenErrno.EFAULT;
        }
        Domain d = mem.core().domains().resolve(c, domid);
        DomainPhysmap pm = d == null ? null : GuestMemoryEngine.physmap(d);
        if (pm == null) return -XenErrno.ESRCH;
        if (!targetAllowed(c, d)) return -XenErrno.EPERM;
        return switch (op) {
            case XENMEM_current_reservation -> pm.totPages();
            case XENMEM_maximum_reservation -> pm.maxPages();
            default -> pm.maxMappedPfn();
        };
    }

    // ---- set/get_pod_target -----------------------------------------------------------------------------------

    long podTarget(Caller c, long[] args, boolean set) {
        MemorySegment t;
        try {
            t = c.memory().map(args[1], POD_SIZE);
        } catch (GuestFault f) {
            return -XenErrno.EFAULT;
        }
        long target = t.get(U64_UNALIGNED, POD_TARGET_PAGES);
        int domid = Short.toUnsignedInt(t.get(U16_UNALIGNED, POD_DOMID));
        Domain d = mem.core().domains().resolve(c, domid);
        DomainPhysmap pm = d == null ? null : GuestMemoryEngine.physmap(d);
        if (pm == null) return -XenErrno.ESRCH;
        if (!c.privileged()) return -XenErrno.EPERM;
        long rc = 0;
        if (set) {
            if (Long.compareUnsigned(target, pm.maxPages()) > 0) return -XenErrno.EINVAL;
            rc = pm.pod().setMemTarget(target, mem.core()::preemptCheck);
            // Xen: -ERESTART from p2m_pod_set_mem_target becomes a continuation of the same call
            if (rc == Pod.RESTART) return mem.core().createContinuation(org.fallow.abi.Hypercalls.MEMORY_OP, args[0], args[1]);
        }
        if (rc >= 0) {
            t.set(U64_UNALIGNED, POD_TOT_PAGES, pm.totPages());
            t.set(U64_UNALIGNED, POD_CACHE_PAGES, pm.pod().count());
            t.set(U64_UNALIGNED, POD_ENTRIES, pm.pod().entryCount());
        }
        return rc;
    }
}
