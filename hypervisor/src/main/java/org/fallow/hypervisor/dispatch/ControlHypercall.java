package org.fallow.hypervisor.dispatch;

import org.fallow.abi.XenErrno;
import org.fallow.abi.xen.XenDomctl;
import org.fallow.abi.xen.XenSysctl;
import org.fallow.hypervisor.core.Caller;
import org.fallow.hypervisor.core.ControlOp;
import org.fallow.hypervisor.core.GuestFault;
import org.fallow.hypervisor.core.HypercallHandler;
import org.fallow.hypervisor.core.SubopTable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.MemorySegment;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;

/**
 * {@code __HYPERVISOR_domctl} (36) and {@code __HYPERVISOR_sysctl} (35), as do_domctl/do_sysctl: copy the whole
 * struct in (-EFAULT), check {@code interface_version} against the caller's profile (4.12: domctl 0x11 / sysctl
 * 0x12; 4.17: 0x15 / 0x15; else -EACCES), require the toolstack (-EPERM, Xen's XSM check),
 * dispatch by {@code cmd} (-ENOSYS when unknown), then copy the struct back — sysctl when the result is 0, domctl when
 * the handler asked ({@link ControlOp#copyBack()}); a failed copy-back turns the result into -EFAULT.
 *
 * <pre>
 * xen_domctl (144 B) / xen_sysctl (136 B):
 * +---------------------------------------------------------------+
 * |                          cmd (u32)                            |  0
 * +---------------------------------------------------------------+
 * |                   interface_version (u32)                     |  4
 * +---------------------------------------------------------------+
 * |   domctl: u16 domain, pad; then the 128-byte union u @16      |  8
 * |   sysctl: the 128-byte union u @8                             |
 * </pre>
 */
public final class ControlHypercall implements HypercallHandler {
    private static final Logger log = LoggerFactory.getLogger(ControlHypercall.class);

    // cmd and interface_version lead both structs
    private static final int CMD_OFFSET = XenDomctl.CMD_OFFSET;
    private static final int INTERFACE_VERSION_OFFSET = XenDomctl.INTERFACE_VERSION_OFFSET;
    static {
        if (XenSysctl.CMD_OFFSET != CMD_OFFSET || XenSysctl.INTERFACE_VERSION_OFFSET != INTERFACE_VERSION_OFFSET)
            throw new AssertionError("xen_domctl and xen_sysctl headers differ");
    }

    private final String name;
    private final int size;
    private final java.util.function.ToIntFunction<org.fallow.abi.AbiProfile> interfaceVersion;
    private final boolean copyBackOnSuccess;
    private final SubopTable<ControlOp.Handler> table;

    private ControlHypercall(String name, int size, java.util.function.ToIntFunction<org.fallow.abi.AbiProfile> interfaceVersion, boolean copyBackOnSuccess, SubopTable<ControlOp.Handler> table) {
        this.name = name;
        this.size = size;
        this.interfaceVersion = interfaceVersion;
        this.copyBackOnSuccess = copyBackOnSuccess;
        this.table = table;
    }

    public static ControlHypercall domctl(SubopTable<ControlOp.Handler> table) {
        return new ControlHypercall("domctl", XenDomctl.SIZE, org.fallow.abi.AbiProfile::domctlInterfaceVersion, false, table);
    }

    public static ControlHypercall sysctl(SubopTable<ControlOp.Handler> table) {
        return new ControlHypercall("sysctl", XenSysctl.SIZE, org.fallow.abi.AbiProfile::sysctlInterfaceVersion, true, table);
    }

    @Override public long invoke(Caller caller, long[] args) {
        long handle = args[0];
        // The hypervisor's private copy: a long[] so that it is 8-byte aligned for handlers using aligned layouts.
        MemorySegment op = MemorySegment.ofArray(new long[size / 8]);
        try {
            MemorySegment.copy(caller.memory().map(handle, size), 0, op, 0, size);
        } catch (GuestFault f) {
            log.info("{}: {} copy-in: {} -> -EFAULT", caller, name, f.getMessage());
            return -XenErrno.EFAULT;
        }
        int cmd = op.get(U32_UNALIGNED, CMD_OFFSET);
        int version = op.get(U32_UNALIGNED, INTERFACE_VERSION_OFFSET);
        int expected = interfaceVersion.applyAsInt(caller.profile()); // per connection profile (PROTOCOL §2.1)
        if (version != expected) {
            log.info("{}: {} cmd {} interface_version 0x{} != 0x{} -> -EACCES", caller, name, cmd,
                    Integer.toHexString(version), Integer.toHexString(expected));
            return -XenErrno.EACCES;
        }
        if (!caller.privileged()) {
            log.info("{}: {} cmd {} from an unprivileged caller -> -EPERM", caller, name, cmd);
            return -XenErrno.EPERM;
        }
        ControlOp.Handler h = table.get(cmd);
        if (h == null) {
            log.warn("{}: unknown {} cmd {} -> -ENOSYS", caller, name, cmd);
            return -XenErrno.ENOSYS;
        }
        ControlOp control = new ControlOp(caller, op);
        long ret = h.invoke(control);
        boolean copyBack = copyBackOnSuccess ? ret == 0 : control.copyBackRequested();
        if (copyBack) {
            try {
                MemorySegment.copy(op, 0, caller.memory().map(handle, size), 0, size);
            } catch (GuestFault f) {
                log.info("{}: {} cmd {} copy-back: {} -> -EFAULT", caller, name, cmd, f.getMessage());
                return -XenErrno.EFAULT;
            }
        }
        return ret;
    }
}
