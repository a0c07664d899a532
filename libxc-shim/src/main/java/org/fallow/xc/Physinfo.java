package org.fallow.xc;

import org.fallow.abi.XenErrno;
import org.fallow.abi.xen.SysctlConstants;
import org.fallow.abi.xen.XenSysctl;
import org.fallow.abi.xen.XenSysctlPhysinfo;

import java.io.IOException;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;

/** libxc's {@code xc_physinfo} (XEN_SYSCTL_physinfo): the host's total and free pages. */
public record Physinfo(long totalPages, long freePages, long outstandingPages) {
    public static Physinfo query(XcHandle xc) throws IOException {
        XenSysctl sysctl = new XenSysctl().wrapNew();
        sysctl.segment().set(U32_UNALIGNED,
                XenSysctl.CMD_OFFSET, SysctlConstants.XEN_SYSCTL_physinfo);
        long rc = xc.sysctl(sysctl.segment());
        if (rc < 0) throw new IOException("physinfo failed: " + rc + " (" + XenErrno.name(rc) + ")");
        XenSysctlPhysinfo p = new XenSysctlPhysinfo().wrap(sysctl.segment(), XenSysctl.U_OFFSET);
        return new Physinfo(p.totalPages(), p.freePages(), p.outstandingPages());
    }
}
