package org.fallow.abi.xen;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** Sizes and offsets written out by hand from the 4.12 headers compiled on x86_64 (independent of the C probe, and for the structs it cannot see). */
class StructSizesTest {
    @Test
    void sizes() {
        assertEquals(48, PrivcmdHypercall.SIZE);
        assertEquals(64, MulticallEntry.SIZE);
        assertEquals(24, XenTmemOid.SIZE);
        assertEquals(56, TmemOp.SIZE);
        assertEquals(40, TmemOp2009.SIZE);
        assertEquals(136, XenSysctl.SIZE);
        assertEquals(56, XenSysctlTmemOp.SIZE);
        assertEquals(20, XenTmemClient.SIZE);
        assertEquals(32, XenTmemPoolInfo.SIZE);
        assertEquals(32, TmemHandle.SIZE);
        assertEquals(16, TmemHandle2009.SIZE);
        assertEquals(144, XenDomctl.SIZE);
        assertEquals(12, XenDomctlVmEventOp.SIZE);
        assertEquals(8, XenDomctlMaxMem.SIZE);
        assertEquals(32, XenMemoryReservation.SIZE);
        assertEquals(40, XenPodTarget.SIZE);
        assertEquals(24, XenMemPagingOp.SIZE);
        assertEquals(16, XenHvmParam.SIZE);
        assertEquals(4, XenHvmParam.INDEX_OFFSET);
        assertEquals(8, XenHvmParam.VALUE_OFFSET);
        assertEquals(376, VmEventRequest.SIZE);
        assertEquals(64, VmEventSring.HEADER_SIZE);
        assertEquals(64 + 376, VmEventSring.SIZE);
    }

    @Test
    void tmemOp412Offsets() {
        assertEquals(0, TmemOp.CMD_OFFSET);
        assertEquals(4, TmemOp.POOL_ID_OFFSET);
        assertEquals(8, TmemOp.CREAT_UUID_OFFSET);
        assertEquals(24, TmemOp.CREAT_FLAGS_OFFSET);
        assertEquals(28, TmemOp.CREAT_ARG1_OFFSET);
        assertEquals(8, TmemOp.GEN_OID_OFFSET);
        assertEquals(32, TmemOp.GEN_INDEX_OFFSET);
        assertEquals(36, TmemOp.GEN_TMEM_OFFSET_OFFSET);
        assertEquals(40, TmemOp.GEN_PFN_OFFSET_OFFSET);
        assertEquals(44, TmemOp.GEN_LEN_OFFSET);
        assertEquals(48, TmemOp.GEN_CMFN_OFFSET);
    }

    @Test
    void tmemOp2009Offsets6009f4ddb2() {
        assertEquals(8, TmemOp2009.NEW_UUID_OFFSET);
        assertEquals(24, TmemOp2009.NEW_FLAGS_OFFSET);
        assertEquals(8, TmemOp2009.CTRL_SUBOP_OFFSET);
        assertEquals(12, TmemOp2009.CTRL_CLI_ID_OFFSET);
        assertEquals(16, TmemOp2009.CTRL_ARG1_OFFSET);
        assertEquals(20, TmemOp2009.CTRL_ARG2_OFFSET);
        assertEquals(24, TmemOp2009.CTRL_BUF_OFFSET);
        assertEquals(8, TmemOp2009.GEN_OBJECT_OFFSET);
        assertEquals(16, TmemOp2009.GEN_INDEX_OFFSET);
        assertEquals(20, TmemOp2009.GEN_TMEM_OFFSET_OFFSET);
        assertEquals(24, TmemOp2009.GEN_PFN_OFFSET_OFFSET);
        assertEquals(28, TmemOp2009.GEN_LEN_OFFSET);
        assertEquals(32, TmemOp2009.GEN_CMFN_OFFSET);
    }

    @Test
    void sysctlTmemOffsets() {
        assertEquals(8, XenSysctl.U_OFFSET);
        assertEquals(8, XenSysctlTmemOp.CLI_ID_OFFSET);
        assertEquals(12, XenSysctlTmemOp.LEN_OFFSET);
        assertEquals(16, XenSysctlTmemOp.ARG_OFFSET);
        assertEquals(20, XenSysctlTmemOp.PAD_OFFSET);
        assertEquals(24, XenSysctlTmemOp.OID_OFFSET);
        assertEquals(48, XenSysctlTmemOp.U_BUF_OFFSET);
        assertEquals(56, XenLayouts.offsetOf(XenSysctl.LAYOUT, "u.tmem_op.u.buf"));
        assertEquals(12, XenTmemClient.FLAGS_OFFSET);
        assertEquals(16, XenTmemClient.WEIGHT_OFFSET);
        assertEquals(8, XenTmemPoolInfo.N_PAGES_OFFSET);
        assertEquals(16, XenTmemPoolInfo.UUID_OFFSET);
        assertEquals(8, TmemHandle.OID_OFFSET);
        assertEquals(8, TmemHandle2009.OID_OFFSET);
    }

    @Test
    void vmEventOffsets() {
        assertEquals(16, VmEventRequest.ALTP2M_IDX_OFFSET);
        assertEquals(24, VmEventRequest.MEM_PAGING_GFN_OFFSET);
        assertEquals(32, VmEventRequest.MEM_PAGING_P2MT_OFFSET);
        assertEquals(36, VmEventRequest.MEM_PAGING_FLAGS_OFFSET);
        assertEquals(24, VmEventRequest.MEM_ACCESS_GFN_OFFSET);
        assertEquals(56, VmEventRequest.DATA_OFFSET);
        assertEquals(32, XenLayouts.sizeOf(VmEventRequest.LAYOUT, "u"));
        assertEquals(40, XenLayouts.offsetOf(VmEventRequest.LAYOUT, "u.desc_access.descriptor"));
        assertEquals(32, XenLayouts.offsetOf(VmEventRequest.LAYOUT, "u.software_breakpoint.insn_length"));
        assertEquals(24, XenLayouts.offsetOf(XenDomctl.LAYOUT, "u.vm_event_op.port"));
        assertEquals(16, XenDomctl.U_OFFSET);
        assertEquals(8, XenDomctl.DOMAIN_OFFSET);
    }
}
