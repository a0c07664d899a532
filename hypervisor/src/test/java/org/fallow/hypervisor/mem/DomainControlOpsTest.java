package org.fallow.hypervisor.mem;

import org.fallow.abi.wire.P2mHeader;
import org.fallow.abi.xen.XenDomctlGetdomaininfo;

import org.fallow.hypervisor.testing.InProcessToolstack;
import org.fallow.abi.XenErrno;
import org.fallow.hypervisor.core.Caller;
import org.fallow.hypervisor.core.Domain;
import org.fallow.hypervisor.core.DomainLifecycle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.fallow.abi.xen.XenLayouts.U32_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U64_UNALIGNED;
import static org.fallow.abi.xen.XenLayouts.U16_UNALIGNED;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_CDF_hap;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_CDF_hvm;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_INTERFACE_VERSION;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_createdomain;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_destroydomain;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_getdomaininfo;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_pausedomain;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMCTL_unpausedomain;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMINF_hap;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMINF_hvm_guest;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMINF_paused;
import static org.fallow.abi.xen.DomctlConstants.XEN_DOMINF_running;
import static org.fallow.abi.xen.HvmOpConstants.HVMOP_get_param;
import static org.fallow.abi.xen.HvmOpConstants.HVMOP_set_param;
import static org.fallow.abi.xen.HvmOpConstants.HVM_NR_PARAMS;
import static org.fallow.abi.xen.HvmOpConstants.HVM_PARAM_PAGING_RING_PFN;
import static org.fallow.abi.xen.MemoryOpConstants.XENMEM_populate_physmap;
import static org.fallow.abi.xen.SysctlConstants.XEN_SYSCTL_PHYSCAP_hvm;
import static org.fallow.abi.xen.SysctlConstants.XEN_SYSCTL_getdomaininfolist;
import static org.fallow.abi.xen.SysctlConstants.XEN_SYSCTL_physinfo;
import static org.fallow.hypervisor.mem.MemBed.range;
import static org.fallow.hypervisor.mem.MemConstants.*;
import static org.junit.jupiter.api.Assertions.*;

@Timeout(60)
class DomainControlOpsTest {
    @TempDir Path dir;
    MemBed bed;

    @BeforeEach void up() { bed = new MemBed(dir, 4096); }

    @AfterEach void down() { bed.close(); }

    @Test void createWithHandleThenGetdomaininfo() {
        MemorySegment a = bed.arena();
        a.asSlice(0, DOMCTL_SIZE).fill((byte) 0);
        a.set(U32_UNALIGNED, DOMCTL_CMD, XEN_DOMCTL_createdomain);
        a.set(U32_UNALIGNED, DOMCTL_INTERFACE_VERSION, XEN_DOMCTL_INTERFACE_VERSION);
        for (int i = 0; i < 16; i++) a.set(ValueLayout.JAVA_BYTE, CREATE_HANDLE + i, (byte) (0xA0 + i));
        a.set(U32_UNALIGNED, CREATE_FLAGS, XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap);
        a.set(U32_UNALIGNED, CREATE_MAX_VCPUS, 3);
        a.set(U32_UNALIGNED, CREATE_SSIDREF, 7);
        assertEquals(0, bed.ts.domctl(0));
        int d = Short.toUnsignedInt(a.get(U16_UNALIGNED, DOMCTL_DOMAIN));
        assertTrue(d >= 1);
        Domain dom = bed.domain(d);
        byte[] h = new byte[16];
        for (int i = 0; i < 16; i++) h[i] = (byte) (0xA0 + i);
        assertTrue(dom.handleMatches(h), "the handle is the guest's secret");
        assertTrue(Files.exists(dir.resolve("dom" + d + ".mem")) && Files.exists(dir.resolve("dom" + d + ".p2m")));
        assertEquals(0, bed.maxMem(d, 1024));
        assertEquals(256, bed.pm(d).maxPages());
        assertEquals(256, bed.pm(d).nrFrames(), "max_mem grows the gfn space");
        assertEquals(10, bed.reservation(XENMEM_populate_physmap, d, range(0, 10), 0, 0));

        assertEquals(0, bed.domctl(XEN_DOMCTL_getdomaininfo, 0), "getdomaininfo(0) finds the first domain >= 0");
        assertEquals(d, Short.toUnsignedInt(a.get(U16_UNALIGNED, DOMCTL_DOMAIN)));
        assertEquals(d, Short.toUnsignedInt(a.get(U16_UNALIGNED, INFO_DOMAIN)));
        assertEquals(10, a.get(U64_UNALIGNED, INFO_TOT_PAGES));
        assertEquals(256, a.get(U64_UNALIGNED, INFO_MAX_PAGES));
        assertEquals(3, a.get(U32_UNALIGNED, INFO_NR_ONLINE_VCPUS));
        assertEquals(2, a.get(U32_UNALIGNED, INFO_MAX_VCPU_ID));
        assertEquals(7, a.get(U32_UNALIGNED, INFO_SSIDREF));
        assertEquals((byte) 0xAF, a.get(ValueLayout.JAVA_BYTE, INFO_HANDLE + 15));
        int flags = a.get(U32_UNALIGNED, INFO_FLAGS);
        assertEquals(XEN_DOMINF_hvm_guest | XEN_DOMINF_hap | XEN_DOMINF_paused, flags, "a new domain is paused");

        assertEquals(0, bed.domctl(XEN_DOMCTL_unpausedomain, d));
        assertEquals(-XenErrno.EINVAL, bed.domctl(XEN_DOMCTL_unpausedomain, d), "not paused by the controller");
        assertEquals(P2mHeader.STATE_RUNNING, bed.pm(d).p2m().domainState());
        bed.domctl(XEN_DOMCTL_getdomaininfo, d);
        assertEquals(XEN_DOMINF_running, a.get(U32_UNALIGNED, INFO_FLAGS) & (XEN_DOMINF_running | XEN_DOMINF_paused));
        assertEquals(0, bed.domctl(XEN_DOMCTL_pausedomain, d));
        assertEquals(P2mHeader.STATE_PAUSED, bed.pm(d).p2m().domainState());
        assertEquals(-XenErrno.ESRCH, bed.domctl(XEN_DOMCTL_getdomaininfo, d + 1));
    }

    @Test void hugeMaxMemIsAcceptedAndTheGfnSpaceIsCapped() {
        int d = bed.createDomain(16);
        assertEquals(0, bed.maxMem(d, -1L), "max_memkb = 2^64 - 1, as xl's 'unlimited'");
        assertEquals(-1L >>> 2, bed.pm(d).maxPages());
        assertEquals(DomainPhysmap.MAX_FRAMES, bed.pm(d).nrFrames());
        assertEquals(4, bed.reservation(XENMEM_populate_physmap, d, range(0, 4), 0, 0));
    }

    @Test void createRejectsBadArguments() {
        MemorySegment a = bed.arena();
        a.asSlice(0, DOMCTL_SIZE).fill((byte) 0);
        a.set(U32_UNALIGNED, DOMCTL_CMD, XEN_DOMCTL_createdomain);
        a.set(U32_UNALIGNED, DOMCTL_INTERFACE_VERSION, XEN_DOMCTL_INTERFACE_VERSION);
        a.set(U32_UNALIGNED, CREATE_MAX_VCPUS, 0);
        assertEquals(-XenErrno.EINVAL, bed.ts.domctl(0), "max_vcpus 0");
        a.set(U32_UNALIGNED, CREATE_MAX_VCPUS, 1);
        a.set(U32_UNALIGNED, CREATE_FLAGS, 1 << 20);
        assertEquals(-XenErrno.EINVAL, bed.ts.domctl(0), "unknown flag");
        a.set(U32_UNALIGNED, CREATE_FLAGS, 0);
        a.set(U16_UNALIGNED, DOMCTL_DOMAIN, (short) 42);
        assertEquals(0, bed.ts.domctl(0));
        assertEquals(42, a.get(U16_UNALIGNED, DOMCTL_DOMAIN), "a requested free domid is used");
        a.set(U16_UNALIGNED, DOMCTL_DOMAIN, (short) 42);
        assertEquals(-XenErrno.EINVAL, bed.ts.domctl(0), "domid taken");
        assertEquals(-XenErrno.ESRCH, bed.domctl(XEN_DOMCTL_pausedomain, 43));
    }

    @Test void destroyFreesEverythingAndTellsListeners() {
        List<Integer> destroyed = new ArrayList<>();
        bed.core.domains().addListener(new DomainLifecycle() {
            @Override public void destroyed(Domain d) { destroyed.add(d.domid()); }
        });
        int d = bed.buildPodGuest(1024, 512);
        assertTrue(bed.pm(d).allocateExtra(5));
        assertEquals(0, bed.guestWriteLong(d, 0x300, 1));
        assertTrue(bed.core.host().freePages() < 4096);
        assertEquals(0, bed.domctl(XEN_DOMCTL_destroydomain, d));
        assertEquals(List.of(d), destroyed);
        assertNull(bed.domain(d));
        assertEquals(4096, bed.core.host().freePages(), "every page is back");
        assertFalse(Files.exists(dir.resolve("dom" + d + ".mem")));
        assertFalse(Files.exists(dir.resolve("dom" + d + ".p2m")));
        assertEquals(-XenErrno.ESRCH, bed.domctl(XEN_DOMCTL_destroydomain, d));
    }

    @Test void physinfoReportsHostPages() {
        bed.createDomain(64);
        bed.reservation(XENMEM_populate_physmap, 1, range(0, 30), 0, 0);
        MemorySegment a = bed.arena();
        a.asSlice(0, 136).fill((byte) 0);
        a.set(U32_UNALIGNED, 0, XEN_SYSCTL_physinfo);
        a.set(U32_UNALIGNED, org.fallow.abi.xen.XenSysctl.INTERFACE_VERSION_OFFSET, 0x12);
        assertEquals(0, bed.ts.sysctl(0));
        assertEquals(4096, a.get(U64_UNALIGNED, PHYS_TOTAL_PAGES));
        assertEquals(4096 - 30, a.get(U64_UNALIGNED, PHYS_FREE_PAGES));
        assertEquals(XEN_SYSCTL_PHYSCAP_hvm, a.get(U32_UNALIGNED, PHYS_CAPABILITIES));
    }

    @Test void getdomaininfolistFillsTheCallersBuffer() {
        int d1 = bed.createDomain(64), d2 = bed.createDomain(32);
        MemorySegment a = bed.arena();
        a.asSlice(0, 136).fill((byte) 0);
        a.set(U32_UNALIGNED, 0, XEN_SYSCTL_getdomaininfolist);
        a.set(U32_UNALIGNED, org.fallow.abi.xen.XenSysctl.INTERFACE_VERSION_OFFSET, 0x12);
        a.set(U16_UNALIGNED, LIST_FIRST_DOMAIN, (short) 0);
        a.set(U32_UNALIGNED, LIST_MAX_DOMAINS, 10);
        a.set(U64_UNALIGNED, LIST_BUFFER, InProcessToolstack.handle(8192));
        assertEquals(0, bed.ts.sysctl(0));
        assertEquals(2, a.get(U32_UNALIGNED, LIST_NUM_DOMAINS));
        assertEquals(d1, a.get(U16_UNALIGNED, 8192 + XenDomctlGetdomaininfo.DOMAIN_OFFSET));
        assertEquals(d2, a.get(U16_UNALIGNED, 8192 + GETDOMAININFO_SIZE + XenDomctlGetdomaininfo.DOMAIN_OFFSET));
        assertEquals(32, a.get(U64_UNALIGNED, 8192 + GETDOMAININFO_SIZE + INFO_MAX_PAGES - DOMCTL_U));
    }

    @Test void hvmParamsForThePager() {
        int d = bed.createDomain(64);
        MemorySegment a = bed.arena();
        a.asSlice(0, 16).fill((byte) 0);
        a.set(U16_UNALIGNED, HVM_PARAM_DOMID, (short) d);
        a.set(U32_UNALIGNED, HVM_PARAM_INDEX, HVM_PARAM_PAGING_RING_PFN);
        a.set(U64_UNALIGNED, HVM_PARAM_VALUE, 0x3F);
        long h = InProcessToolstack.handle(0);
        assertEquals(0, bed.ts.hvmOp(bed.ts.caller(), HVMOP_set_param, h));
        assertEquals(0x3F, bed.pm(d).hvmParam(HVM_PARAM_PAGING_RING_PFN));
        a.set(U64_UNALIGNED, HVM_PARAM_VALUE, 0);
        assertEquals(0, bed.ts.hvmOp(bed.ts.caller(), HVMOP_get_param, h));
        assertEquals(0x3F, a.get(U64_UNALIGNED, HVM_PARAM_VALUE));
        a.set(U32_UNALIGNED, HVM_PARAM_INDEX, HVM_NR_PARAMS);
        assertEquals(-XenErrno.EINVAL, bed.ts.hvmOp(bed.ts.caller(), HVMOP_get_param, h));
        assertEquals(-XenErrno.ENOSYS, bed.ts.hvmOp(bed.ts.caller(), 77, h));
        // the guest may not read or set the paging ring's gfn
        Caller g = bed.guestStructCaller(d);
        MemorySegment f = bed.pm(d).file().frame(0);
        f.set(U16_UNALIGNED, HVM_PARAM_DOMID, (short) 0x7FF0);
        f.set(U32_UNALIGNED, HVM_PARAM_INDEX, HVM_PARAM_PAGING_RING_PFN);
        assertEquals(-XenErrno.EPERM, bed.ts.hvmOp(g, HVMOP_get_param, 0));
        assertEquals(-XenErrno.EPERM, bed.ts.hvmOp(g, HVMOP_set_param, 0));
        f.set(U32_UNALIGNED, HVM_PARAM_INDEX, 1);
        assertEquals(0, bed.ts.hvmOp(g, HVMOP_get_param, 0), "HVM_PARAM_STORE_PFN is guest-readable");
    }
}
