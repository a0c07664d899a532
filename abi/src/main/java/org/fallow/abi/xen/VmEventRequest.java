package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;
import java.lang.foreign.UnionLayout;

/**
 * {@code vm_event_request_t} == {@code vm_event_response_t} ({@code struct vm_event_st}, vm_event.h interface
 * version 4 = Xen 4.12; 376 bytes, align 8). One entry of the paging ring ({@link VmEventSring}).
 * <pre>
 *  0         4       8        12        16           18        24                          56                    376
 *  +---------+-------+--------+---------+------------+---------+---------------------------+----------------------+
 *  | version | flags | reason | vcpu_id | altp2m_idx | _pad[3] | u (32-byte union)         | data (320-byte union |
 *  | u32 =4  | u32   | u32    | u32     | u16        | u16 x 3 |                           |  regs.x86 / emul...) |
 *  +---------+-------+--------+---------+------------+---------+---------------------------+----------------------+
 *  u.mem_paging:                                               | gfn (u64) | p2mt | flags  |
 *                                                              24          32     36       40
 * </pre>
 * Paging requests use only the first 56 bytes; the rest is zero. Fallow treats {@code data} as opaque bytes.
 */
public final class VmEventRequest extends Flyweight<VmEventRequest> {
    public static final int DATA_SIZE = 320;
    private static StructLayout debug(String name) {
        return struct(name, u64("gfn"), u32("insn_length"), u8("type"), array("_pad", 3, U8));
    }
    public static final UnionLayout U = union("u",
            struct("mem_paging", u64("gfn"), u32("p2mt"), u32("flags")),
            struct("mem_sharing", u64("gfn"), u32("p2mt"), u32("_pad")),
            struct("mem_access", u64("gfn"), u64("offset"), u64("gla"), u32("flags"), u32("_pad")),
            struct("write_ctrlreg", u32("index"), u32("_pad"), u64("new_value"), u64("old_value")),
            struct("mov_to_msr", u64("msr"), u64("new_value"), u64("old_value")),
            struct("desc_access",
                    union("arch",
                            struct("vmx", u32("instr_info"), u32("_pad1"), u64("exit_qualification")),
                            struct("svm", u64("exitinfo"), u64("_pad2"))),
                    u8("descriptor"),
                    u8("is_write"),
                    array("_pad", 6, U8)),
            struct("singlestep", u64("gfn")),
            debug("software_breakpoint"),
            debug("debug_exception"),
            struct("cpuid", u32("insn_length"), u32("leaf"), u32("subleaf"), u32("_pad")),
            union("interrupt",
                    struct("x86", u32("vector"), u32("type"), u32("error_code"), u32("_pad"), u64("cr2"))));
    public static final StructLayout LAYOUT = struct("vm_event_st",
            u32("version"),
            u32("flags"),
            u32("reason"),
            u32("vcpu_id"),
            u16("altp2m_idx"),
            array("_pad", 3, U16),
            U,
            array("data", DATA_SIZE, U8));
    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int VERSION_OFFSET = offsetOf(LAYOUT, "version");
    public static final int FLAGS_OFFSET = offsetOf(LAYOUT, "flags");
    public static final int REASON_OFFSET = offsetOf(LAYOUT, "reason");
    public static final int VCPU_ID_OFFSET = offsetOf(LAYOUT, "vcpu_id");
    public static final int ALTP2M_IDX_OFFSET = offsetOf(LAYOUT, "altp2m_idx");
    public static final int U_OFFSET = offsetOf(LAYOUT, "u");
    public static final int MEM_PAGING_GFN_OFFSET = offsetOf(LAYOUT, "u.mem_paging.gfn");
    public static final int MEM_PAGING_P2MT_OFFSET = offsetOf(LAYOUT, "u.mem_paging.p2mt");
    public static final int MEM_PAGING_FLAGS_OFFSET = offsetOf(LAYOUT, "u.mem_paging.flags");
    public static final int MEM_ACCESS_GFN_OFFSET = offsetOf(LAYOUT, "u.mem_access.gfn");
    public static final int DATA_OFFSET = offsetOf(LAYOUT, "data");
    /**
     * Entry size of vm_event interface version 7 (Xen 4.17, the installed headers; the C probe checks it): its
     * first 56 bytes (header and {@code u}) are laid out as here, only {@code data} grew to 344 bytes.
     */
    public static final int SIZE_V7 = 400;
    /** Bytes a paging request/response actually uses (header + mem_paging); the rest is zero. */
    public static final int PAGING_BYTES = DATA_OFFSET;

    @Override public int size() { return SIZE; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long version() { return getU32(VERSION_OFFSET); }
    public VmEventRequest version(long v) { putU32(VERSION_OFFSET, v); return this; }
    public long flags() { return getU32(FLAGS_OFFSET); }
    public VmEventRequest flags(long v) { putU32(FLAGS_OFFSET, v); return this; }
    public long reason() { return getU32(REASON_OFFSET); }
    public VmEventRequest reason(long v) { putU32(REASON_OFFSET, v); return this; }
    public long vcpuId() { return getU32(VCPU_ID_OFFSET); }
    public VmEventRequest vcpuId(long v) { putU32(VCPU_ID_OFFSET, v); return this; }
    public int altp2mIdx() { return getU16(ALTP2M_IDX_OFFSET); }
    public VmEventRequest altp2mIdx(int v) { putU16(ALTP2M_IDX_OFFSET, v); return this; }
    public long memPagingGfn() { return getU64(MEM_PAGING_GFN_OFFSET); }
    public VmEventRequest memPagingGfn(long v) { putU64(MEM_PAGING_GFN_OFFSET, v); return this; }
    public long memPagingP2mt() { return getU32(MEM_PAGING_P2MT_OFFSET); }
    public VmEventRequest memPagingP2mt(long v) { putU32(MEM_PAGING_P2MT_OFFSET, v); return this; }
    public long memPagingFlags() { return getU32(MEM_PAGING_FLAGS_OFFSET); }
    public VmEventRequest memPagingFlags(long v) { putU32(MEM_PAGING_FLAGS_OFFSET, v); return this; }
}
