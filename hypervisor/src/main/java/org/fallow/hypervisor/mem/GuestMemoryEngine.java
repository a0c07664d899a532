package org.fallow.hypervisor.mem;

import org.fallow.abi.wire.P2mHeader;

import org.fallow.abi.XenErrno;
import org.fallow.abi.fs.SafeFiles;
import org.fallow.hypervisor.core.Domain;
import org.fallow.hypervisor.core.DomainLifecycle;
import org.fallow.hypervisor.core.DomainMemory;
import org.fallow.hypervisor.core.DomainTable;
import org.fallow.hypervisor.core.GuestAddressSpace;
import org.fallow.hypervisor.core.HypervisorCore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.RejectedExecutionException;

import static org.fallow.abi.Hypercalls.DOMID_FIRST_RESERVED;

/**
 * The guest-memory subsystem: per-domain {@link DomainPhysmap}s (memory files, shared p2m, PoD), the domain
 * life-cycle domctls, physinfo, memory_op reservation/PoD sub-ops, HVMOP_set/get_param and the guest fault handler.
 * {@link #install} wires it into a {@link HypervisorCore}. A domain's physmap is its part
 * {@code DomainPhysmap.class} (also {@code domain.memory()}); its guest address space is the part
 * {@code GuestAddressSpace.class}.
 */
public final class GuestMemoryEngine implements DomainLifecycle {
    private static final Logger log = LoggerFactory.getLogger(GuestMemoryEngine.class);

    private final HypervisorCore core;
    private final Path runDir;

    private GuestMemoryEngine(HypervisorCore core, Path runDir) {
        this.core = core;
        this.runDir = runDir;
    }

    /** Registers everything in {@code core}; memory files go to {@code runDir}. */
    public static GuestMemoryEngine install(HypervisorCore core, Path runDir) {
        try {
            SafeFiles.ensurePrivateDir(runDir);
        } catch (IOException e) {
            throw new IllegalStateException("cannot use run directory " + runDir + ": " + e.getMessage(), e);
        }
        GuestMemoryEngine m = new GuestMemoryEngine(core, runDir);
        core.domains().addListener(m);
        new ReservationOps(m).register(core);
        new DomainControlOps(m).register(core);
        new HvmParamOps(m).register(core);
        core.faultHandler(new GuestFaults());
        log.info("guest memory subsystem installed (run dir {}, host {} pages)", runDir, core.host().totalPages());
        return m;
    }

    public HypervisorCore core() { return core; }

    public Path runDir() { return runDir; }

    /** The physmap of {@code d}, or null if it has none. */
    public static DomainPhysmap physmap(Domain d) { return d.part(DomainPhysmap.class); }

    /**
     * XEN_DOMCTL_createdomain's work: a domain with id {@code requested} (0 or reserved = pick one) and handle
     * (secret). Returns the domid, or a negated errno (-EINVAL bad flags/vcpus or domid taken, -ENOMEM no domid
     * free or the memory files could not be made).
     */
    public long createDomain(int requested, byte[] handle, int flags, int maxVcpus, int ssidref) {
        if ((flags & ~MemConstants.CDF_KNOWN) != 0) return -XenErrno.EINVAL;
        if (maxVcpus < 1 || maxVcpus > 128) return -XenErrno.EINVAL;
        DomainTable table = core.domains();
        int domid;
        if (requested > 0 && requested < DOMID_FIRST_RESERVED) {
            if (table.get(requested) != null) return -XenErrno.EINVAL;
            domid = requested;
        } else {
            domid = table.allocateDomid();
            if (domid < 0) return -XenErrno.ENOMEM;
        }
        Domain d = new Domain(domid, handle, maxVcpus);
        DomainPhysmap pm;
        try {
            pm = new DomainPhysmap(d, core.host(), runDir, flags, ssidref);
        } catch (IOException e) {
            log.error("d{}: cannot create memory files in {}", domid, runDir, e);
            return -XenErrno.ENOMEM;
        }
        pm.crasher(reason -> table.crash(d, reason));
        pm.afterHypercall(this::afterHypercall);
        d.attach(DomainPhysmap.class, pm);
        d.attach(GuestAddressSpace.class, new GuestPhysicalSpace(pm));
        d.memory(pm);
        if (!table.add(d)) {
            pm.release();
            return -XenErrno.EINVAL;
        }
        log.info("d{}: created (flags 0x{}, {} vcpus)", domid, Integer.toHexString(flags), maxVcpus);
        return domid;
    }

    /** Runs {@code r} after the current dispatch task (hypervisor pins last until the hypercall is over). */
    private void afterHypercall(Runnable r) {
        if (core.onDispatchThread()) {
            try {
                core.dispatcher().execute(r);
                return;
            } catch (RejectedExecutionException ignored) {
                // shutting down: release now
            }
        }
        r.run();
    }

    /**
     * guest_remove_page: frees a gfn's page (0), -ENOENT for an invalid gfn, paging types are dropped (DROP_PAGE to
     * the pager), anything else -EINVAL.
     */
    int guestRemovePage(DomainPhysmap pm, long gfn) { return guestRemovePage(pm, gfn, false); }

    /** guest_remove_page by a caller that is ({@code foreign}) or is not another domain than the gfn's. */
    int guestRemovePage(DomainPhysmap pm, long gfn, boolean foreign) {
        P2m p2m = pm.p2m();
        int t = p2m.type(gfn);
        if (t == P2mType.INVALID || t == P2mType.MMIO_DM) return -XenErrno.ENOENT;
        if (t == P2mType.RAM_PAGING_OUT && pm.backed(gfn)) {
            // Xen 4.12 guest_remove_page: "If the page hasn't yet been paged out, there is an actual page that needs
            // to be released" -> goto obtain_page: freed like RAM, no drop request (the pager's evict then fails).
            p2m.setType(gfn, P2mType.INVALID);
            pm.releaseFrame(gfn);
            return 0;
        }
        if (P2mType.isPaging(t)) {
            p2m.setType(gfn, P2mType.INVALID);
            if (pm.backed(gfn)) pm.releaseFrame(gfn);
            else pm.pagedPagesAdd(-1);
            PagingHook hook = pm.pagingHook();
            if (hook != null) hook.dropPage(pm.domain(), gfn, t, foreign);
            return 0;
        }
        if (t == P2mType.RAM_RW && pm.backed(gfn)) {
            p2m.setType(gfn, P2mType.INVALID);
            pm.releaseFrame(gfn);
            return 0;
        }
        return -XenErrno.EINVAL;
    }

    // ---- DomainLifecycle ---------------------------------------------------------------------------------------

    @Override public void crashed(Domain d, String reason) {
        DomainPhysmap pm = physmap(d);
        if (pm != null && !pm.released()) pm.p2m().domainState(P2mHeader.STATE_CRASHED);
        log.warn("d{} crashed: {}", d.domid(), reason);
    }

    @Override public void destroyed(Domain d) {
        DomainPhysmap pm = physmap(d);
        if (pm != null) pm.release();
    }

    /** The {@link DomainMemory} of {@code domid} for other subsystems, or null. */
    public DomainPhysmap physmap(int domid) {
        Domain d = core.domains().get(domid);
        return d == null ? null : physmap(d);
    }

}
