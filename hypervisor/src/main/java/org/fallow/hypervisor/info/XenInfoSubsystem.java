package org.fallow.hypervisor.info;

import org.fallow.abi.AbiProfile;
import org.fallow.abi.Hypercalls;
import org.fallow.abi.XenErrno;
import org.fallow.abi.xen.XenDomctl;
import org.fallow.abi.xen.XenFeatureInfo;
import org.fallow.abi.xen.XenDomctlGetvcpuinfo;
import org.fallow.abi.xen.XenSysctl;
import org.fallow.abi.xen.XenSysctlCpupoolOp;
import org.fallow.abi.xen.XenSysctlSchedId;
import org.fallow.hypervisor.Subsystem;
import org.fallow.hypervisor.core.Caller;
import org.fallow.hypervisor.core.ControlOp;
import org.fallow.hypervisor.core.Domain;
import org.fallow.hypervisor.core.GuestFault;
import org.fallow.hypervisor.core.HypervisorCore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_getvcpuinfo;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_get_sharing_freed_pages;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_get_sharing_shared_pages;
import static org.fallow.abi.xen.SysctlConstants.XEN_SYSCTL_cpupool_op;
import static org.fallow.abi.xen.SysctlConstants.XEN_SYSCTL_sched_id;
import static org.fallow.abi.xen.XenLayouts.U16_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.fallow.abi.xen.XenVersionConstants.*;

/**
 * The read-only information calls the real Xen 4.17 tools make before anything else ({@code xl list}, {@code xl info},
 * xenpaging): {@code __HYPERVISOR_xen_version} (17) sub-ops, {@code XEN_SYSCTL_sched_id} (4),
 * {@code XEN_SYSCTL_cpupool_op} (18: INFO of pool 0 and FREEINFO), {@code XEN_DOMCTL_getvcpuinfo} (14) and
 * memory_op {@code XENMEM_get_sharing_freed_pages} / {@code _shared_pages} (18 / 19: no sharing, 0). They change no
 * state. xen_version answers every caller (as Xen does) with the version of the caller's profile.
 */
public final class XenInfoSubsystem implements Subsystem {
    private static final Logger log = LoggerFactory.getLogger(XenInfoSubsystem.class);

    static final int EXTRAVERSION_LEN = XEN_EXTRAVERSION_LEN, COMPILE_INFO_LEN = XEN_COMPILE_INFO_LEN,
            CAPABILITIES_LEN = XEN_CAPABILITIES_INFO_LEN, CHANGESET_LEN = XEN_CHANGESET_INFO_LEN, COMMANDLINE_LEN = XEN_COMMANDLINE_LEN;
    public static final String EXTRAVERSION = "-fallow";
    public static final String CAPABILITIES = "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64";
    /** HYPERVISOR_VIRT_START of x86_64 (XENVER_platform_parameters). */
    static final long VIRT_START = 0xFFFF800000000000L;


    private HypervisorCore core;

    @Override public void install(HypervisorCore core) {
        this.core = core;
        core.registerHypercall(Hypercalls.XEN_VERSION, this::xenVersion);
        core.sysctls().register(XEN_SYSCTL_sched_id, this::schedId);
        core.sysctls().register(XEN_SYSCTL_cpupool_op, this::cpupoolOp);
        core.domctls().register(XEN_DOMCTL_getvcpuinfo, this::getvcpuinfo);
        core.memoryOps().register(XENMEM_get_sharing_freed_pages, (c, a) -> 0);
        core.memoryOps().register(XENMEM_get_sharing_shared_pages, (c, a) -> 0);
        try {
            // dom0's name, as xl shows it (a 4.17 toolstack lists Domain-0: DomainControlOps.fillDom0)
            core.xenstore().write(org.fallow.hypervisor.xenstore.XenStore.HYPERVISOR, "/local/domain/0/name",
                    "Domain-0".getBytes(StandardCharsets.US_ASCII));
        } catch (org.fallow.hypervisor.xenstore.XsError e) {
            log.warn("cannot write /local/domain/0/name: {}", e.getMessage());
        }
    }

    @Override public int order() { return 300; }

    @Override public String name() { return "xen info (xen_version, sched_id, cpupool, getvcpuinfo)"; }

    // ---- hypercall 17

    long xenVersion(Caller caller, long[] args) {
        int cmd = (int) args[0];
        long h = args[1];
        AbiProfile p = caller.profile();
        try {
            return switch (cmd) {
                case XENVER_version -> p.xenVersion();
                case XENVER_extraversion -> string(caller, h, EXTRAVERSION_LEN, EXTRAVERSION);
                case XENVER_compile_info -> {
                    MemorySegment s = caller.memory().map(h, COMPILE_INFO_LEN);
                    s.fill((byte) 0);
                    put(s, 0, 64, "gcc (Fallow emulation)");
                    put(s, 64, 16, "fallow");
                    put(s, 80, 32, "fallow");
                    put(s, 112, 32, "Fallow");
                    yield 0;
                }
                case XENVER_capabilities -> string(caller, h, CAPABILITIES_LEN, CAPABILITIES);
                case XENVER_changeset -> string(caller, h, CHANGESET_LEN, "fallow");
                case XENVER_platform_parameters -> {
                    caller.memory().map(h, 8).set(U64_UNALIGNED, 0, VIRT_START);
                    yield 0;
                }
                case XENVER_get_features -> {
                    XenFeatureInfo fi = new XenFeatureInfo().wrap(caller.memory().map(h, XenFeatureInfo.SIZE), 0);
                    if (fi.submapIdx() != 0) yield -XenErrno.EINVAL; // XENFEAT_NR_SUBMAPS is 1
                    fi.submap(0); // no XENFEAT_* advertised
                    yield 0;
                }
                case XENVER_pagesize -> 4096;
                case XENVER_guest_handle -> {
                    MemorySegment s = caller.memory().map(h, 16);
                    Domain d = caller.role() == Caller.Role.GUEST ? core.domains().get(caller.domid()) : null;
                    s.fill((byte) 0); // dom0's handle is all zero
                    if (d != null) MemorySegment.copy(d.handle(), 0, s, ValueLayout.JAVA_BYTE, 0, 16); // array overload: see Flyweight.copyIn
                    yield 0;
                }
                case XENVER_commandline -> string(caller, h, COMMANDLINE_LEN, "");
                case XENVER_build_id -> -XenErrno.ENODATA; // built without a build id
                default -> {
                    log.info("{}: xen_version sub-op {} -> -ENOSYS", caller, cmd);
                    yield -XenErrno.ENOSYS;
                }
            };
        } catch (GuestFault f) {
            return -XenErrno.EFAULT;
        }
    }

    private static long string(Caller caller, long h, int len, String v) throws GuestFault {
        MemorySegment s = caller.memory().map(h, len);
        s.fill((byte) 0);
        put(s, 0, len, v);
        return 0;
    }

    private static void put(MemorySegment s, int off, int len, String v) {
        byte[] b = v.getBytes(StandardCharsets.US_ASCII);
        MemorySegment.copy(b, 0, s, ValueLayout.JAVA_BYTE, off, Math.min(b.length, len - 1));
    }

    // ---- sysctl 4, 18

    long schedId(ControlOp op) {
        op.op().set(U32_UNALIGNED, XenSysctl.U_OFFSET + XenSysctlSchedId.SCHED_ID_OFFSET, XenSysctlSchedId.XEN_SCHEDULER_CREDIT2);
        return 0;
    }

    /** One cpupool, id 0, credit2, holding every domain and every host cpu. */
    long cpupoolOp(ControlOp op) {
        MemorySegment s = op.op().asSlice(XenSysctl.U_OFFSET, XenSysctlCpupoolOp.SIZE);
        int sub = s.get(U32_UNALIGNED, XenSysctlCpupoolOp.OP_OFFSET);
        int cpus = 1; // physinfo reports one cpu (nr_cpus 1, max_cpu_id 0)
        switch (sub) {
            case XenSysctlCpupoolOp.OP_INFO -> {
                if (Integer.toUnsignedLong(s.get(U32_UNALIGNED, XenSysctlCpupoolOp.CPUPOOL_ID_OFFSET)) > 0) return -XenErrno.ENOENT;
                s.set(U32_UNALIGNED, XenSysctlCpupoolOp.CPUPOOL_ID_OFFSET, 0);
                s.set(U32_UNALIGNED, XenSysctlCpupoolOp.SCHED_ID_OFFSET, XenSysctlSchedId.XEN_SCHEDULER_CREDIT2);
                s.set(U32_UNALIGNED, XenSysctlCpupoolOp.N_DOM_OFFSET, core.domains().all().size() + 1); // + dom0
                return bitmap(op.caller(), s, cpus, true);
            }
            case XenSysctlCpupoolOp.OP_FREEINFO -> { return bitmap(op.caller(), s, cpus, false); }
            default -> {
                log.info("{}: cpupool_op {} (pools are not emulated) -> -EOPNOTSUPP", op.caller(), sub);
                return -XenErrno.EOPNOTSUPP;
            }
        }
    }

    /** xenctl_bitmap out: copies min(nr_bits, cpus) bits (all set or all clear), zero-fills the rest of the buffer. */
    private static long bitmap(Caller caller, MemorySegment s, int cpus, boolean set) {
        long handle = s.get(U64_UNALIGNED, XenSysctlCpupoolOp.CPUMAP_BITMAP_OFFSET);
        int nrBits = s.get(U32_UNALIGNED, XenSysctlCpupoolOp.CPUMAP_NR_BITS_OFFSET);
        if (nrBits <= 0 || handle == 0) return 0;
        int bytes = (Math.min(nrBits, 1 << 16) + 7) / 8;
        try {
            MemorySegment b = caller.memory().map(handle, bytes);
            b.fill((byte) 0);
            if (set) for (int cpu = 0; cpu < Math.min(cpus, nrBits); cpu++)
                b.set(ValueLayout.JAVA_BYTE, cpu / 8, (byte) (b.get(ValueLayout.JAVA_BYTE, cpu / 8) | (1 << (cpu % 8))));
        } catch (GuestFault f) {
            return -XenErrno.EFAULT;
        }
        return 0;
    }

    // ---- domctl 14

    long getvcpuinfo(ControlOp op) {
        int domid = Short.toUnsignedInt(op.op().get(U16_UNALIGNED, XenDomctl.DOMAIN_OFFSET));
        Domain d = core.domains().get(domid);
        if (d == null) return -XenErrno.ESRCH;
        MemorySegment s = op.op().asSlice(XenDomctl.U_OFFSET, XenDomctlGetvcpuinfo.SIZE);
        long vcpu = Integer.toUnsignedLong(s.get(U32_UNALIGNED, XenDomctlGetvcpuinfo.VCPU_OFFSET));
        if (vcpu >= d.maxVcpus()) return -XenErrno.EINVAL;
        boolean running = d.state() == Domain.State.RUNNING;
        s.set(ValueLayout.JAVA_BYTE, XenDomctlGetvcpuinfo.ONLINE_OFFSET, (byte) 1);
        s.set(ValueLayout.JAVA_BYTE, XenDomctlGetvcpuinfo.BLOCKED_OFFSET, (byte) (running ? 0 : 1));
        s.set(ValueLayout.JAVA_BYTE, XenDomctlGetvcpuinfo.RUNNING_OFFSET, (byte) (running ? 1 : 0));
        s.set(U64_UNALIGNED, XenDomctlGetvcpuinfo.CPU_TIME_OFFSET, 0L); // no CPU time is emulated (DEVIATIONS.md)
        s.set(U32_UNALIGNED, XenDomctlGetvcpuinfo.CPU_OFFSET, 0);
        op.copyBack();
        return 0;
    }
}
