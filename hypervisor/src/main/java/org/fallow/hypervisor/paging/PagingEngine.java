package org.fallow.hypervisor.paging;

import org.fallow.abi.xen.VmEventConstants;
import org.fallow.abi.XenErrno;
import org.fallow.abi.xen.VmEventRequest;
import org.fallow.abi.xen.XenDomctl;
import org.fallow.abi.xen.XenMemPagingOp;
import org.fallow.hypervisor.core.Caller;
import org.fallow.hypervisor.core.ControlOp;
import org.fallow.hypervisor.core.Domain;
import org.fallow.hypervisor.core.DomainLifecycle;
import org.fallow.hypervisor.core.EventChannels;
import org.fallow.hypervisor.core.GuestFault;
import org.fallow.hypervisor.core.HypervisorCore;
import org.fallow.hypervisor.core.MemoryFaultHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_VM_EVENT_OP_PAGING;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_vm_event_op;
import static org.fallow.abi.xen.DomctlConstants.XEN_VM_EVENT_DISABLE;
import static org.fallow.abi.xen.DomctlConstants.XEN_VM_EVENT_ENABLE;
import static org.fallow.abi.xen.DomctlConstants.XEN_VM_EVENT_RESUME;
import static org.fallow.abi.xen.HvmOpConstants.HVM_PARAM_PAGING_RING_PFN;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_paging_op;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_paging_op_evict;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_paging_op_nominate;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_paging_op_prep;
import static org.fallow.hypervisor.paging.PagingMemory.*;

/**
 * Memory paging in the hypervisor (xen/common/vm_event.c + arch/x86/mm/mem_paging.c + the paging parts of p2m.c,
 * 4.12): {@code XEN_DOMCTL_vm_event_op} (56) mode PAGING, {@code XENMEM_paging_op} (20) nominate/evict/prep, the
 * populate path for guest faults on paging types, drop-page on decrease_reservation, and the vm_event ring.
 * Everything runs on the dispatch thread.
 */
public final class PagingEngine implements DomainLifecycle {
    private static final Logger log = LoggerFactory.getLogger(PagingEngine.class);


    private final HypervisorCore core;
    private final PagingMemoryProvider memory;
    /** The vm_event version of rings enabled by 4.12 / 2009 connections (4, or 7 with fallow.vm_event.version=7). */
    private final int version;
    private final MemorySegment scratch4, scratch7;
    private final VmEventRequest ev = new VmEventRequest();

    /** Paging with vm_event interface version 4 (Xen 4.12). */
    public PagingEngine(HypervisorCore core, PagingMemoryProvider memory) {
        this(core, memory, VmEventConstants.VM_EVENT_INTERFACE_VERSION);
    }

    /** Paging with vm_event interface {@code version}: 4 (Xen 4.12, 376-byte entries) or 7 (Xen 4.17, 400 bytes). */
    public PagingEngine(HypervisorCore core, PagingMemoryProvider memory, int version) {
        this.core = core;
        this.memory = memory;
        this.version = version;
        this.scratch4 = Arena.ofAuto().allocate(VmEventRequest.entrySize(VmEventConstants.VM_EVENT_INTERFACE_VERSION), 8);
        this.scratch7 = Arena.ofAuto().allocate(VmEventRequest.entrySize(VmEventConstants.VM_EVENT_INTERFACE_VERSION_4_17), 8);
    }

    /** The vm_event interface version of rings enabled by 4.12 / 2009 connections (a 4.17 connection's ring: 7). */
    public int vmEventVersion() { return version; }

    /** The vm_event interface version of {@code d}'s ring, 0 if it has none. */
    public int ringVersion(Domain d) {
        PagingDomain pd = d.part(PagingDomain.class);
        return pd == null || pd.ring == null ? 0 : pd.ring.version;
    }

    private MemorySegment scratch(PagingRing ring) {
        return ring.version == VmEventConstants.VM_EVENT_INTERFACE_VERSION_4_17 ? scratch7 : scratch4;
    }

    /** Registers domctl 56 and memory_op 20 and listens to domain life cycle. */
    public PagingEngine install() {
        core.domctls().register(XEN_DOMCTL_vm_event_op, this::vmEventOp);
        core.memoryOps().register(XENMEM_paging_op, this::pagingOp);
        core.memoryOps().register(org.fallow.abi.xen.XenAddToPhysmapBatch.XENMEM_add_to_physmap_batch, this::foreignMapBatch);
        core.domains().addListener(this);
        return this;
    }

    /** d->paged_pages, for getdomaininfo. */
    public long pagedPages(Domain d) {
        PagingMemory mem = memory.of(d);
        return mem == null ? 0 : mem.pagedPages();
    }

    /** True while a paging ring exists for {@code d}. */
    public boolean enabled(Domain d) {
        PagingDomain pd = d.part(PagingDomain.class);
        return pd != null && pd.ring != null;
    }

    /** Requests waiting in the hypervisor for a ring slot (for statistics and tests). */
    public int queuedRequests(Domain d) {
        PagingDomain pd = d.part(PagingDomain.class);
        return pd == null ? 0 : pd.queue.size();
    }

    /** Guest accesses paused on a page-in. */
    public int pausedAccesses(Domain d) {
        PagingDomain pd = d.part(PagingDomain.class);
        return pd == null ? 0 : pd.pausedCount();
    }

    private PagingDomain state(Domain d) { return d.part(PagingDomain.class, PagingDomain::new); }

    // ------------------------------------------------------------------------------------------------ domctl 56

    long vmEventOp(ControlOp cop) {
        XenDomctl op = new XenDomctl().wrap(cop.op(), 0);
        Caller caller = cop.caller();
        int domid = op.domain();
        int vop = (int) op.vmEventOp().op();
        int mode = (int) op.vmEventOp().mode();
        if (!caller.privileged()) return -XenErrno.EPERM;
        // do_domctl looks the target up with rcu_lock_domain_by_id, which knows no DOMID_SELF: -ESRCH. Then
        // vm_event_domctl refuses the caller's own domain (the toolstack is dom0): -EINVAL.
        if ((domid & 0xFFFF) == org.fallow.abi.Hypercalls.DOMID_SELF) return -XenErrno.ESRCH;
        if (targetsSelf(caller, domid)) return -XenErrno.EINVAL;
        Domain d = core.domains().resolve(caller, domid);
        if (d == null) return -XenErrno.ESRCH;
        if (d.dying()) return 0;
        if (d.maxVcpus() < 1) return -XenErrno.EINVAL;
        if (mode != XEN_DOMCTL_VM_EVENT_OP_PAGING) {
            log.info("d{}: vm_event mode {} is not emulated -> -ENOSYS", d.domid(), mode);
            return -XenErrno.ENOSYS;
        }
        long rc = switch (vop) {
            case XEN_VM_EVENT_ENABLE -> enable(cop, d);
            case XEN_VM_EVENT_DISABLE -> disable(d);
            case XEN_VM_EVENT_RESUME -> enabled(d) ? resume(d) : -XenErrno.ENODEV;
            default -> -XenErrno.ENOSYS;
        };
        cop.copyBack();
        return rc;
    }

    private long enable(ControlOp cop, Domain d) {
        PagingMemory mem = memory.of(d);
        if (mem == null) return -XenErrno.EINVAL;
        // vm_event_domctl PAGING ENABLE: "if ( !hap_enabled(d) ) break;" with rc -ENODEV. A PV domain, or an HVM
        // domain created without XEN_DOMCTL_CDF_hap (shadow paging), cannot be paged.
        if (!mem.hap()) return -XenErrno.ENODEV;
        if (mem.podEntries() > 0) return -XenErrno.EXDEV;
        PagingDomain pd = state(d);
        Caller caller = cop.caller();
        EventChannels evtchn = core.eventChannels();
        if (evtchn == null) return -XenErrno.ENOSYS;
        if (pd.ring != null) {
            if (!pd.ring.pagerGone()) return -XenErrno.EBUSY;
            // Fallow deviation (docs/DEVIATIONS.md ## paging): the pager that owned the ring died; a new pager
            // takes the ring over instead of getting -EBUSY, and every paused access is asked for again.
            evtchn.close(pd.ring.port);
            int port = evtchn.allocate(d.domid(), caller.peer(), p -> kick(d));
            if (port < 0) return port;
            pd.ring.attach(port, caller.peer());
            requeueForNewPager(pd);
            new XenDomctl().wrap(cop.op(), 0).vmEventOp().port(port);
            log.info("d{}: paging ring re-attached to {} (port {}), {} requests waiting", d.domid(),
                    caller.peer().describe(), port, pd.queue.size());
            return 0;
        }
        long ringGfn = mem.hvmParam(HVM_PARAM_PAGING_RING_PFN);
        if (ringGfn == 0) return -XenErrno.ENOSYS;
        if (ringGfn < 0 || ringGfn >= mem.maxPages()) return -XenErrno.EINVAL;
        int t = PagingMemory.type(mem.p2mWord(ringGfn));
        if (t == P2M_PAGING_OUT || t == P2M_PAGED || t == P2M_PAGING_IN || t == P2M_SHARED) return -XenErrno.ENOENT;
        if (t != P2M_RAM_RW && t != P2M_RAM_LOGDIRTY) return -XenErrno.EINVAL;
        PagingRing ring;
        boolean v417 = caller.profile() == org.fallow.abi.AbiProfile.XEN_4_17;
        // A ring keeps the vm_event version of the profile that enabled it (PROTOCOL §3.4).
        int ringVersion = v417 ? caller.profile().vmEventVersion() : version;
        try {
            if (v417 && mem.memoryFile() != null) {
                // 4.17: the ring is the ring gfn's frame itself, where the pager mapped it before ENABLE
                ring = PagingRing.inFrame(ringGfn, mem.memoryFile(), VmEventRequest.entrySize(ringVersion), ringVersion,
                        caller.vmEventResponseCompat());
                mem.holdStorage(ringGfn, true);
            } else {
                ring = PagingRing.create(ringGfn, mem.runDir().resolve("dom" + d.domid() + ".vmring"), mem.frame(ringGfn),
                        VmEventRequest.entrySize(ringVersion), ringVersion, caller.vmEventResponseCompat());
            }
        } catch (IOException e) {
            log.error("d{}: cannot create the paging ring", d.domid(), e);
            return -XenErrno.ENOMEM;
        }
        int port = evtchn.allocate(d.domid(), caller.peer(), p -> kick(d));
        if (port < 0) {
            ring.close();
            return port;
        }
        ring.attach(port, caller.peer());
        pd.ring = ring;
        mem.pagingEnabled(d, this);
        new XenDomctl().wrap(cop.op(), 0).vmEventOp().port(port);
        log.info("d{}: paging enabled, ring gfn {} ({}, vm_event v{}{}) port {} pager {}", d.domid(), ringGfn,
                ring.file == null ? "in the gfn's frame" : ring.file.getFileName(), ringVersion,
                ring.responseCompat ? ", response-version compat" : "", port, caller.peer().describe());
        // Accesses that faulted while no ring existed (after a disable) wait for this pager.
        requeueForNewPager(pd);
        return 0;
    }

    private long disable(Domain d) {
        PagingDomain pd = d.part(PagingDomain.class);
        if (pd == null || pd.ring == null) return -XenErrno.EINVAL;
        if (!pd.queue.isEmpty()) return -XenErrno.EBUSY;
        closeRing(d, pd);
        // vm_event_disable unpauses only vCPUs blocked on a full ring (none here: the queue is empty, else -EBUSY).
        // vCPUs paused by a request (VCPU_PAUSED) that the pager never answered stay paused, as in Xen; Fallow asks
        // the next pager that enables paging for them again (requeueForNewPager, docs/DEVIATIONS.md ## paging).
        log.info("d{}: paging disabled ({} pages still paged out, {} accesses still paused)", d.domid(), pagedPages(d),
                pd.pausedCount());
        return 0;
    }

    private void closeRing(Domain d, PagingDomain pd) {
        EventChannels evtchn = core.eventChannels();
        if (evtchn != null) evtchn.close(pd.ring.port);
        pd.ring.close();
        if (pd.ring.file == null) {
            PagingMemory mem = memory.of(d);
            if (mem != null) mem.holdStorage(pd.ring.ringGfn, false);
        }
        pd.ring = null;
    }

    /** A new pager: requests it must hear about are one per paused access; the old ring's contents are gone. */
    private void requeueForNewPager(PagingDomain pd) {
        pd.queue.removeIf(PagingRequest::pausesVcpu);
        var again = new ArrayDeque<PagingRequest>();
        pd.paused.forEach((vcpu, q) -> {
            for (PagingDomain.Paused p : q)
                again.add(new PagingRequest(p.gfn(), P2M_PAGING_IN, vcpu, VmEventConstants.VM_EVENT_FLAG_VCPU_PAUSED, 0));
        });
        again.addAll(pd.queue);
        pd.queue.clear();
        pd.queue.addAll(again);
    }

    /** EVTCHN_SEND from the pager, or RESUME: the pager is alive; take responses and place waiting requests. */
    private void kick(Domain d) {
        PagingDomain pd = d.part(PagingDomain.class);
        if (pd == null || pd.ring == null) return;
        resume(d);
    }

    private long resume(Domain d) {
        PagingDomain pd = state(d);
        PagingRing ring = pd.ring;
        ring.armed = true;
        MemorySegment scratch = scratch(ring);
        ev.wrap(scratch);
        if (ring.front.responseProdOverflow())
            log.warn("d{}: pager's rsp_prod {} is more than a ring ahead of rsp_cons {}: only the {} outstanding requests are read",
                    d.domid(), Integer.toUnsignedString(ring.front.sring().rspProd()), Integer.toUnsignedString(ring.front.rspCons()),
                    ring.front.unconsumedResponses());
        while (ring.front.takeResponse(scratch)) {
            pd.responsesTaken++;
            handleResponse(d, pd, ring, ev);
        }
        ring.front.consumedResponses();
        flush(d, pd);
        return 0;
    }

    private void handleResponse(Domain d, PagingDomain pd, PagingRing ring, VmEventRequest rsp) {
        boolean unversioned = false;
        if (rsp.version() != ring.version) {
            if (!ring.responseCompat) {
                log.warn("d{}: vm_event interface version mismatch ({} != {}): response dropped: {}", d.domid(), rsp.version(), ring.version, rsp);
                return;
            }
            // Response-version compatibility (HELLO flag bit 0; DEVIATIONS.md): real xenpaging never sets the field.
            unversioned = true;
            if (!ring.compatLogged) {
                ring.compatLogged = true;
                log.info("d{}: response with vm_event version {} taken as version {} (compatibility switch; logged once per ring)",
                        d.domid(), rsp.version(), ring.version);
            }
        }
        int vcpu = rsp.vcpuId();
        if (vcpu < 0 || vcpu >= d.maxVcpus()) {
            log.warn("d{}: response for vcpu {} out of range: dropped", d.domid(), vcpu);
            return;
        }
        ArrayDeque<PagingDomain.Paused> q = pd.paused.get(vcpu);
        if (q == null || q.isEmpty()) return; // Xen ignores responses for vcpus that are not paused
        // Real xenpaging fills only gfn, vcpu_id and flags of its response (an uninitialised stack struct): under the
        // compatibility switch its reason and u.mem_paging.flags are garbage too, so an unversioned response on the
        // paging ring is a paging response and its drop bit is not trusted (resumePage only turns a backed paging_in
        // gfn into RAM, a no-op for a dropped gfn). Without this a nominated-then-touched page stayed paging_in.
        if (unversioned) resumePage(d, pd, rsp.gfn(), 0);
        else if (rsp.reason() == VmEventConstants.VM_EVENT_REASON_MEM_PAGING) resumePage(d, pd, rsp.gfn(), rsp.pagingFlags());
        if ((rsp.flags() & VmEventConstants.VM_EVENT_FLAG_VCPU_PAUSED) != 0) {
            PagingDomain.Paused p = q.poll();
            if (q.isEmpty()) pd.paused.remove(vcpu);
            p.reply().resolved();
        }
    }

    /** p2m_mem_paging_resume: a nominated-then-touched page that still has its frame becomes RAM again. */
    private void resumePage(Domain d, PagingDomain pd, long gfn, int pagingFlags) {
        if ((pagingFlags & VmEventConstants.MEM_PAGING_DROP_PAGE) != 0) return;
        PagingMemory mem = memory.of(d);
        if (mem == null || gfn < 0 || gfn >= mem.maxPages() || !mem.backed(gfn)) return;
        for (;;) {
            int w = mem.p2mWord(gfn);
            if (PagingMemory.type(w) != P2M_PAGING_IN) return;
            if (mem.casP2mWord(gfn, w, PagingMemory.withType(w, P2M_RAM_RW))) return;
        }
    }

    /** Places waiting requests on the ring while it has free slots, pushes, and notifies the pager. */
    private void flush(Domain d, PagingDomain pd) {
        PagingRing ring = pd.ring;
        if (ring == null || !ring.armed || pd.queue.isEmpty()) return;
        int placed = 0;
        while (!pd.queue.isEmpty()) {
            MemorySegment slot = ring.front.nextRequest();
            if (slot == null) break;
            pd.queue.poll().writeTo(ev.wrap(slot), ring.version);
            ring.front.commitRequest();
            placed++;
        }
        if (placed == 0) return;
        pd.requestsSent += placed;
        ring.front.pushRequests();
        core.eventChannels().notifyRemote(ring.port); // Xen always notifies
    }

    private void send(Domain d, PagingDomain pd, PagingRequest r) {
        pd.queue.add(r);
        flush(d, pd);
    }

    // ------------------------------------------------------------------------------------------ faults (populate)

    /** The handler the memory subsystem delegates paging-type faults (p2m types 9, 10, 11) to. */
    public MemoryFaultHandler faultHandler() { return this::onPagingFault; }

    /**
     * p2m_mem_paging_populate for a target vcpu: paging_out/paged → paging_in, the vcpu is paused (the guest's
     * FAULT_DONE is held back) and a request goes to the pager, waiting in the hypervisor if the ring is full.
     */
    public void onPagingFault(Domain d, long gfn, boolean write, int vcpu, MemoryFaultHandler.Reply reply) {
        PagingMemory mem = memory.of(d);
        if (mem == null || gfn < 0 || gfn >= mem.maxPages()) { reply.failed(-XenErrno.EFAULT, "gfn out of range"); return; }
        if (d.dying() || d.state() == Domain.State.CRASHED) { reply.failed(-XenErrno.ESRCH, "domain is gone"); return; }
        if (vcpu < 0 || vcpu >= d.maxVcpus()) { reply.failed(-XenErrno.EINVAL, "no vcpu " + vcpu); return; }
        PagingDomain pd = state(d);
        int old;
        int pagingFlags = 0;
        for (;;) {
            int w = mem.p2mWord(gfn);
            old = PagingMemory.type(w);
            if (old == P2M_PAGING_OUT || old == P2M_PAGED) {
                if (!mem.casP2mWord(gfn, w, PagingMemory.withType(w, P2M_PAGING_IN))) continue;
                if (old == P2M_PAGING_OUT) pagingFlags = VmEventConstants.MEM_PAGING_EVICT_FAIL;
            }
            break;
        }
        if (old != P2M_PAGING_OUT && old != P2M_PAGED && old != P2M_PAGING_IN) {
            reply.resolved(); // no longer a paging type: let the guest retry (the memory subsystem handles the rest)
            return;
        }
        pd.paused.computeIfAbsent(vcpu, k -> new ArrayDeque<>()).add(new PagingDomain.Paused(gfn, reply));
        PagingRequest r = new PagingRequest(gfn, old, vcpu, VmEventConstants.VM_EVENT_FLAG_VCPU_PAUSED, pagingFlags);
        if (pd.ring == null) {
            log.debug("d{}: vcpu {} touched gfn {} with no pager: paused until a pager enables paging", d.domid(), vcpu, gfn);
            return;
        }
        send(d, pd, r);
    }

    /**
     * p2m_mem_paging_populate from the guest's own vCPU for a hypervisor copy of its hypercall (copy_from_guest on a
     * paging-state gfn): the vCPU is paused and a VCPU_PAUSED request with its id goes to the pager, as for a fault;
     * the copy has already failed (-EFAULT), so the pause has nothing to resume but soaks up the pager's response.
     * A vCPU already paused on this gfn is not paused again (a guest retrying the hypercall adds no request).
     */
    public void populateForVcpu(Domain d, long gfn, int vcpu) {
        PagingDomain pd = d.part(PagingDomain.class);
        ArrayDeque<PagingDomain.Paused> q = pd == null ? null : pd.paused.get(vcpu);
        if (q != null) for (PagingDomain.Paused p : q) if (p.gfn() == gfn) return;
        onPagingFault(d, gfn, false, vcpu, NOTHING_TO_RESUME);
    }

    private static final MemoryFaultHandler.Reply NOTHING_TO_RESUME = new MemoryFaultHandler.Reply() {
        @Override public void resolved() {}
        @Override public void failed(int negErrno, String why) {}
    };

    /**
     * A foreign populate (dom0 needs the frame, e.g. a toolstack mapping it): starts a
     * page-in without pausing anybody. Returns 0 (request sent or nothing to do), -EBUSY if no ring slot is free
     * now (Xen's answer to foreign producers; the caller retries), -EOPNOTSUPP if there is no ring.
     */
    public int populateForeign(Domain d, long gfn) {
        PagingMemory mem = memory.of(d);
        PagingDomain pd = d.part(PagingDomain.class);
        if (mem == null || pd == null || pd.ring == null) return -XenErrno.EOPNOTSUPP;
        if (!pd.ring.armed || pd.ring.front.freeRequests() - pd.queue.size() <= 0) return -XenErrno.EBUSY;
        for (;;) {
            int w = mem.p2mWord(gfn);
            int old = PagingMemory.type(w);
            if (old != P2M_PAGING_OUT && old != P2M_PAGED) return 0;
            if (!mem.casP2mWord(gfn, w, PagingMemory.withType(w, P2M_PAGING_IN))) continue;
            int pf = old == P2M_PAGING_OUT ? VmEventConstants.MEM_PAGING_EVICT_FAIL : 0;
            send(d, pd, new PagingRequest(gfn, old, 0, VmEventConstants.VM_EVENT_FLAG_FOREIGN, pf));
            return 0;
        }
    }

    /**
     * p2m_mem_paging_drop_page: the guest freed (decrease_reservation) a gfn in a paging state; the memory
     * subsystem has removed the p2m entry and fixed the accounting. We tell the pager to free its copy. Unlike Xen
     * (which sends nothing when no slot is free) the request waits for a slot: docs/DEVIATIONS.md.
     */
    public void dropPage(Domain d, long gfn, int oldType) { dropPage(d, gfn, oldType, false); }

    /** As above; {@code foreign}: the toolstack freed the gfn, so the request carries VM_EVENT_FLAG_FOREIGN (as Xen). */
    public void dropPage(Domain d, long gfn, int oldType, boolean foreign) {
        PagingDomain pd = d.part(PagingDomain.class);
        if (pd == null || pd.ring == null) return;
        int pf = VmEventConstants.MEM_PAGING_DROP_PAGE | (oldType == P2M_PAGING_OUT ? VmEventConstants.MEM_PAGING_EVICT_FAIL : 0);
        // Xen's request is a designated initializer setting only reason, gfn and flags: p2mt stays 0, vcpu_id 0.
        send(d, pd, new PagingRequest(gfn, 0, 0, foreign ? VmEventConstants.VM_EVENT_FLAG_FOREIGN : 0, pf));
    }

    // -------------------------------------------------------------------------------------- memory_op 20

    /** Does {@code domid} name the caller's own domain by number (the toolstack is domain 0)? */
    private static boolean targetsSelf(Caller caller, int domid) {
        return (domid & 0xFFFF) == (caller.privileged() ? 0 : caller.domid());
    }

    long pagingOp(Caller caller, long[] args) {
        XenMemPagingOp arg;
        try {
            arg = new XenMemPagingOp().wrap(caller.memory().map(args[1], XenMemPagingOp.SIZE), 0);
        } catch (GuestFault f) {
            return -XenErrno.EFAULT;
        }
        int op = arg.op();
        int domid = arg.domain();
        long buffer = arg.buffer();
        long gfn = arg.gfn();
        // rcu_lock_live_remote_domain_by_id: the lookup (rcu_lock_domain_by_id, no DOMID_SELF) fails first
        // (-ESRCH, also for DOMID_SELF), then the caller's own domain is refused (-EPERM), then a dying one (-EINVAL).
        if ((domid & 0xFFFF) == org.fallow.abi.Hypercalls.DOMID_SELF) return -XenErrno.ESRCH;
        if (targetsSelf(caller, domid)) return -XenErrno.EPERM;
        Domain d = core.domains().resolve(caller, domid);
        if (d == null) return -XenErrno.ESRCH;
        if (d.dying()) return -XenErrno.EINVAL;
        if (!caller.privileged()) return -XenErrno.EPERM; // XSM: DM_PRIV
        PagingDomain pd = d.part(PagingDomain.class);
        if (pd == null || pd.ring == null) return -XenErrno.ENODEV;
        PagingMemory mem = memory.of(d);
        if (pd.ring.pager == caller.peer() && !pd.ring.armed) {
            pd.ring.armed = true; // the pager is running: its ring is initialised
            flush(d, pd);
        }
        return switch (op) {
            case XENMEM_paging_op_nominate -> nominate(mem, gfn);
            case XENMEM_paging_op_evict -> evict(d, pd, mem, gfn);
            case XENMEM_paging_op_prep -> prep(caller, d, pd, mem, gfn, buffer);
            default -> -XenErrno.ENOSYS;
        };
    }

    /** p2m_mem_paging_nominate: ram_rw with no access in flight (the page-reference check) → paging_out. */
    static long nominate(PagingMemory mem, long gfn) {
        if (gfn < 0 || gfn >= mem.maxPages()) return -XenErrno.EBUSY;
        int w = mem.p2mWord(gfn);
        int t = PagingMemory.type(w);
        if ((t != P2M_RAM_RW && t != P2M_RAM_LOGDIRTY) || PagingMemory.inflight(w) != 0) return -XenErrno.EBUSY;
        return mem.casP2mWord(gfn, w, PagingMemory.withType(w, P2M_PAGING_OUT)) ? 0 : -XenErrno.EBUSY;
    }

    /** p2m_mem_paging_evict: still paging_out and untouched → paged; the frame goes back to the host. */
    private static long evict(Domain d, PagingDomain pd, PagingMemory mem, long gfn) {
        if (gfn < 0 || gfn >= mem.maxPages()) return -XenErrno.EBUSY;
        int w = mem.p2mWord(gfn);
        if (PagingMemory.type(w) != P2M_PAGING_OUT || PagingMemory.inflight(w) != 0) return -XenErrno.EBUSY;
        if (!mem.casP2mWord(gfn, w, PagingMemory.withType(w, P2M_PAGED))) return -XenErrno.EBUSY;
        mem.releaseFrame(gfn);
        mem.pagedPagesAdd(1);
        return 0;
    }

    /** p2m_mem_paging_prep: paged/paging_in → ram_rw, copying the page from the pager's buffer if evicted. */
    private long prep(Caller caller, Domain d, PagingDomain pd, PagingMemory mem, long gfn, long buffer) {
        // 4.12 wants a page-aligned buffer; 4.13+ takes any (4.17's libxc passes a bounce buffer that is not aligned)
        if ((buffer & 0xFFF) != 0 && caller.profile() != org.fallow.abi.AbiProfile.XEN_4_17) return -XenErrno.EINVAL;
        if (gfn < 0 || gfn >= mem.maxPages()) return -XenErrno.ENOENT;
        int t = PagingMemory.type(mem.p2mWord(gfn));
        if (t != P2M_PAGING_IN && t != P2M_PAGED) return -XenErrno.ENOENT;
        if (!mem.backed(gfn)) {
            if (buffer == 0) return -XenErrno.EINVAL;
            MemorySegment src;
            try {
                src = caller.memory().map(buffer, 4096);
            } catch (GuestFault f) {
                return -XenErrno.EFAULT;
            }
            if (!mem.allocateFrame(gfn)) return -XenErrno.ENOMEM;
            mem.frame(gfn).copyFrom(src);
            mem.pagedPagesAdd(-1);
        }
        for (;;) {
            int w = mem.p2mWord(gfn);
            if (mem.casP2mWord(gfn, w, PagingMemory.withType(w, P2M_RAM_RW))) break;
        }
        return 0;
    }

    // ------------------------------------------------------------------- memory_op 23: toolstack foreign mapping

    /**
     * {@code XENMEM_add_to_physmap_batch} with {@code XENMAPSPACE_gmfn_foreign} from a toolstack (dom0 mapping gfns
     * of {@code u.foreign_domid}, e.g. the privcmd bridge's IOCTL_PRIVCMD_MMAPBATCH_V2): the foreign-fault path of
     * PROTOCOL §4. Per gfn {@code errs[i]}: 0 = mappable (RAM, a nominated page, a page-in whose frame is back; a
     * PoD gfn is populated first, as P2M_ALLOC does), -ENOENT = paged out: a page-in is started (a request with
     * VM_EVENT_FLAG_FOREIGN, no vCPU paused) and the caller retries, as libxenforeignmemory does; -EINVAL = not
     * guest memory; -ENOMEM = a PoD populate failed. Dom0 has no physmap in Fallow: {@code gpfns} is not used (the
     * caller maps the accepted frames from {@code dom<D>.mem} itself). Returns 0.
     */
    long foreignMapBatch(Caller caller, long[] args) {
        org.fallow.abi.xen.XenAddToPhysmapBatch b = new org.fallow.abi.xen.XenAddToPhysmapBatch();
        MemorySegment hdr;
        try {
            hdr = caller.memory().map(args[1], org.fallow.abi.xen.XenAddToPhysmapBatch.SIZE);
        } catch (GuestFault f) {
            return -XenErrno.EFAULT;
        }
        b.wrap(hdr, 0);
        if (!caller.privileged()) return -XenErrno.EPERM;
        if (b.space() != org.fallow.abi.xen.XenAddToPhysmapBatch.XENMAPSPACE_gmfn_foreign) {
            log.info("{}: add_to_physmap_batch space {} is not emulated -> -EOPNOTSUPP", caller, b.space());
            return -XenErrno.EOPNOTSUPP;
        }
        if (b.domid() != org.fallow.abi.Hypercalls.DOMID_SELF && b.domid() != 0) return -XenErrno.ESRCH;
        int n = b.count();
        if (n == 0) return 0;
        Domain d = core.domains().get(b.foreignDomid());
        if (d == null || b.foreignDomid() == 0) return -XenErrno.ESRCH;
        PagingMemory mem = memory.of(d);
        if (mem == null || d.dying()) return -XenErrno.ESRCH;
        MemorySegment idxs, errs;
        try {
            idxs = caller.memory().map(b.idxs(), 8L * n);
            errs = caller.memory().map(b.errs(), 4L * n);
        } catch (GuestFault f) {
            return -XenErrno.EFAULT;
        }
        int pagedOut = 0;
        for (int i = 0; i < n; i++) {
            long gfn = idxs.get(U64_UNALIGNED, 8L * i); // xen_ulong_t idxs[]
            int rc = foreignMapOne(d, mem, gfn);
            if (rc == -XenErrno.ENOENT) pagedOut++;
            errs.set(U32_UNALIGNED, 4L * i, rc);     // int errs[]
        }
        if (pagedOut > 0) log.debug("d{}: toolstack mapping of {} gfns: {} paged out (page-ins started)", d.domid(), n, pagedOut);
        return 0;
    }

    private int foreignMapOne(Domain d, PagingMemory mem, long gfn) {
        if (gfn < 0 || gfn >= mem.maxPages()) return -XenErrno.EINVAL;
        int t = mem.p2mType(gfn);
        switch (t) {
            case P2M_RAM_RW, P2M_RAM_LOGDIRTY, P2M_PAGING_OUT -> { return 0; }
            case P2M_POD -> { return mem.populateOnDemand(gfn) ? 0 : -XenErrno.ENOMEM; }
            case P2M_PAGED -> {
                int rc = populateForeign(d, gfn);
                if (rc < 0 && rc != -XenErrno.EBUSY)
                    log.debug("d{}: foreign page-in of gfn {} not started: {}", d.domid(), gfn, XenErrno.name(rc));
                return -XenErrno.ENOENT;
            }
            case P2M_PAGING_IN -> { return mem.backed(gfn) ? 0 : -XenErrno.ENOENT; }
            default -> { return -XenErrno.EINVAL; }
        }
    }

    // -------------------------------------------------------------------------------------- life cycle

    @Override public void destroyed(Domain d) {
        PagingDomain pd = d.detach(PagingDomain.class);
        if (pd == null) return;
        if (pd.ring != null) closeRing(d, pd);
        for (ArrayDeque<PagingDomain.Paused> q : pd.paused.values())
            for (PagingDomain.Paused p : q) p.reply().failed(-XenErrno.ESRCH, "domain destroyed");
        pd.paused.clear();
        pd.queue.clear();
    }

    @Override public void crashed(Domain d, String reason) {
        PagingDomain pd = d.part(PagingDomain.class);
        if (pd == null) return;
        for (ArrayDeque<PagingDomain.Paused> q : pd.paused.values())
            for (PagingDomain.Paused p : q) p.reply().failed(-XenErrno.ESRCH, "domain crashed: " + reason);
        pd.paused.clear();
    }
}
