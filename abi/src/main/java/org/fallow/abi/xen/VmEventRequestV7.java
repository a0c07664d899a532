package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;
import java.lang.foreign.UnionLayout;

/**
 * {@code vm_event_request_t} == {@code vm_event_response_t} of vm_event interface version 7 (Xen 4.17, profile 4.17;
 * 400 bytes, align 8): the entry of a paging ring enabled by a 4.17 connection. The header and {@code u.mem_paging}
 * are where {@link VmEventRequest} (version 4) has them; 4.17 added {@code pending_dbg} to the debug events, dropped
 * {@code desc_access.arch.svm}, and {@code data} (the register dump) grew from 320 to 344 bytes.
 * <pre>
 *  0         4       8        12        16           18        24                          56                    400
 *  +---------+-------+--------+---------+------------+---------+---------------------------+----------------------+
 *  | version | flags | reason | vcpu_id | altp2m_idx | _pad[3] | u (32-byte union)         | data (344-byte union |
 *  | u32 =7  | u32   | u32    | u32     | u16        | u16 x 3 |                           |  regs.x86 / emul...) |
 *  +---------+-------+--------+---------+------------+---------+---------------------------+----------------------+
 *  u.mem_paging:                                               | gfn (u64) | p2mt | flags  |
 *                                                              24          32     36       40
 * </pre>
 */
public final class VmEventRequestV7 extends Flyweight<VmEventRequestV7> {
    public static final int VERSION = 7;
    public static final int DATA_SIZE = 344;
    private static StructLayout debug(String name) {
        return struct(name, u64("gfn"), u64("pending_dbg"), u32("insn_length"), u8("type"), array("_pad", 3, U8));
    }
    public static final UnionLayout U = union("u",
            struct("mem_paging", u64("gfn"), u32("p2mt"), u32("flags")),
            struct("mem_sharing", u64("gfn"), u32("p2mt"), u32("_pad")),
            struct("mem_access", u64("gfn"), u64("offset"), u64("gla"), u32("flags"), u32("_pad")),
            struct("write_ctrlreg", u32("index"), u32("_pad"), u64("new_value"), u64("old_value")),
            struct("mov_to_msr", u64("msr"), u64("new_value"), u64("old_value")),
            struct("desc_access",
                    union("arch", struct("vmx", u32("instr_info"), u32("_pad1"), u64("exit_qualification"))),
                    u8("descriptor"), u8("is_write"), array("_pad", 6, U8)),
            struct("singlestep", u64("gfn")),
            debug("software_breakpoint"),
            debug("debug_exception"),
            struct("cpuid", u32("insn_length"), u32("leaf"), u32("subleaf"), u32("_pad")),
            union("interrupt",
                    struct("x86", u32("vector"), u32("type"), u32("error_code"), u32("_pad"), u64("cr2"))));
    public static final StructLayout LAYOUT = struct("vm_event_st",
            u32("version"), u32("flags"), u32("reason"), u32("vcpu_id"), u16("altp2m_idx"), array("_pad", 3, U16),
            U, array("data", DATA_SIZE, U8));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int VERSION_OFFSET = offsetOf(LAYOUT, "version");
    public static final int FLAGS_OFFSET = offsetOf(LAYOUT, "flags");
    public static final int REASON_OFFSET = offsetOf(LAYOUT, "reason");
    public static final int VCPU_ID_OFFSET = offsetOf(LAYOUT, "vcpu_id");
    public static final int MEM_PAGING_GFN_OFFSET = offsetOf(LAYOUT, "u.mem_paging.gfn");
    public static final int MEM_PAGING_P2MT_OFFSET = offsetOf(LAYOUT, "u.mem_paging.p2mt");
    public static final int MEM_PAGING_FLAGS_OFFSET = offsetOf(LAYOUT, "u.mem_paging.flags");
    public static final int DATA_OFFSET = offsetOf(LAYOUT, "data");
    static {
        // the paging ring code reads both versions through one set of offsets
        if (VERSION_OFFSET != VmEventRequest.VERSION_OFFSET || MEM_PAGING_GFN_OFFSET != VmEventRequest.MEM_PAGING_GFN_OFFSET
                || MEM_PAGING_FLAGS_OFFSET != VmEventRequest.MEM_PAGING_FLAGS_OFFSET || DATA_OFFSET != VmEventRequest.DATA_OFFSET
                || SIZE != VmEventRequest.SIZE_V7)
            throw new AssertionError("vm_event v7 header differs from v4");
    }

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long version() { return getU32(VERSION_OFFSET); }
    public VmEventRequestV7 version(long v) { putU32(VERSION_OFFSET, v); return this; }
    public long flags() { return getU32(FLAGS_OFFSET); }
    public long reason() { return getU32(REASON_OFFSET); }
    public long vcpuId() { return getU32(VCPU_ID_OFFSET); }
    public long memPagingGfn() { return getU64(MEM_PAGING_GFN_OFFSET); }
    public long memPagingP2mt() { return getU32(MEM_PAGING_P2MT_OFFSET); }
    public long memPagingFlags() { return getU32(MEM_PAGING_FLAGS_OFFSET); }
}
