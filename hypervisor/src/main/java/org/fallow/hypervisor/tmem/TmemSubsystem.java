package org.fallow.hypervisor.tmem;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.Hypercalls;
import org.fallow.hypervisor.Subsystem;
import org.fallow.hypervisor.core.Caller;
import org.fallow.hypervisor.core.Domain;
import org.fallow.hypervisor.core.DomainLifecycle;
import org.fallow.hypervisor.core.DomainMemory;
import org.fallow.hypervisor.core.GuestFault;
import org.fallow.hypervisor.core.HypervisorCore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.MemorySegment;

import static org.fallow.abi.xen.SysctlConstants.XEN_SYSCTL_tmem_op;

/**
 * Wires tmem into a {@link HypervisorCore}: hypercall 38 ({@code tmem_op}, 56- or 40-byte struct per the caller's
 * ABI profile, page data from/to the domain's frame {@code cmfn}), sysctl 24 ({@code XEN_SYSCTL_tmem_op}), domain
 * destruction (tmem_destroy of the client) and host-memory reclaim (ephemeral eviction).
 *
 * <p>Boot options as system properties: {@code fallow.tmem} (default true: Xen's {@code tmem=1}),
 * {@code fallow.tmem.compress} (default false: {@code tmem_compress}), {@code fallow.tmem.codec} ({@code words},
 * {@code lz4}, or {@code lzo}: Xen's algorithm; default {@link TmemCompression#preferred()}: words where its vector
 * encoder runs, else lz4; see {@link PageCodec}), {@code fallow.tmem.lz4.acceleration}
 * (liblz4's acceleration, default {@value PageCodec#DEFAULT_LZ4_ACCELERATION}: higher is faster and stores fewer pages).
 */
public final class TmemSubsystem implements Subsystem, DomainLifecycle {
    private static final Logger log = LoggerFactory.getLogger(TmemSubsystem.class);

    private final TmemEngine.Config config;
    private HypervisorCore core;
    private TmemEngine engine;
    private TmemControl control;
    private TmemControl2009 control2009;

    public TmemSubsystem() {
        this(new TmemEngine.Config(Boolean.parseBoolean(System.getProperty("fallow.tmem", "true")),
                Boolean.getBoolean("fallow.tmem.compress"), System::nanoTime,
                codec(System.getProperty("fallow.tmem.codec")),
                Integer.getInteger("fallow.tmem.lz4.acceleration", PageCodec.DEFAULT_LZ4_ACCELERATION)));
    }

    public TmemSubsystem(TmemEngine.Config config) { this.config = config; }

    /** The {@code fallow.tmem.codec} boot option's codec; unset: {@link TmemCompression#preferred()}. */
    static TmemCompression codec(String option) {
        return option == null || option.isBlank() ? TmemCompression.preferred() : TmemCompression.parse(option);
    }

    @Override public void install(HypervisorCore core) {
        this.core = core;
        this.engine = new TmemEngine(core.host(), this::memoryOf, config);
        this.control = new TmemControl(engine);
        this.control2009 = new TmemControl2009(control);
        core.registerHypercall(Hypercalls.TMEM_OP, this::tmemOp);
        TmemSysctl sysctl = new TmemSysctl(control);
        // sysctl 24 is gone from 4.17's sysctl.h: a 4.17 connection gets do_sysctl's -ENOSYS for an unknown cmd
        core.sysctls().register(XEN_SYSCTL_tmem_op,
                cop -> cop.caller().profile().hasTmem() ? sysctl.invoke(cop) : -org.fallow.abi.XenErrno.ENOSYS);
        core.domains().addListener(this);
        core.host().addReclaimer(engine);
        log.info("tmem: installed (enabled={}, compress={}, codec={})", config.enabled(), config.compressByDefault(),
                engine.compressionImplementation());
    }

    /** The engine; use it only on the dispatch thread. */
    public TmemEngine engine() { return engine; }

    public TmemControl control() { return control; }

    private DomainMemory memoryOf(int domid) {
        Domain d = core.domains().get(domid);
        return d == null ? null : d.memory();
    }

    /** Hypercall 38: {@code args[0]} is the handle of the caller's tmem_op. */
    long tmemOp(Caller caller, long[] args) {
        AbiProfile profile = caller.profile();
        if (!profile.hasTmem()) return -org.fallow.abi.XenErrno.ENOSYS; // tmem left Xen in 4.13 (do_ni_hypercall)
        Domain dom = caller.role() == Caller.Role.GUEST ? core.domains().get(caller.domid()) : null;
        int domid = caller.role() == Caller.Role.GUEST ? caller.domid() : Hypercalls.DOMID_0;
        DomainMemory mem = dom == null ? null : dom.memory();
        TmemEngine.FrameResolver frames = mem == null ? TmemEngine.FrameResolver.NONE : mem::ramFrame;
        long handle = args[0];
        return engine.tmemOp(profile, domid, dom != null && dom.dying(), () -> {
            try {
                MemorySegment s = caller.memory().map(handle, TmemOpCodec.size(profile));
                return TmemOpCodec.decode(profile, s);
            } catch (GuestFault e) {
                log.debug("tmem: {} tmem_op copy-in failed: {}", caller, e.getMessage());
                return null;
            }
        }, frames, op -> control2009.invoke(caller, op));
    }

    @Override public void destroyed(Domain d) {
        engine.destroyClient(d.domid());
    }
}
