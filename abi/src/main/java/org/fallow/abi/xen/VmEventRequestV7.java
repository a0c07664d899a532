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
 * vm_event_st (400 bytes)
 * offset size  member                      type
 *      0    4  version                     le32
 *      4    4  flags                       le32
 *      8    4  reason                      le32
 *     12    4  vcpu_id                     le32
 *     16    2  altp2m_idx                  le16
 *     18    6  _pad                        le16[3]
 *     24   32  u                           union
 *     24   16    mem_paging                struct
 *     24    8      gfn                     le64
 *     32    4      p2mt                    le32
 *     36    4      flags                   le32
 *     24   16    mem_sharing               struct
 *     24    8      gfn                     le64
 *     32    4      p2mt                    le32
 *     36    4      _pad                    le32
 *     24   32    mem_access                struct
 *     24    8      gfn                     le64
 *     32    8      offset                  le64
 *     40    8      gla                     le64
 *     48    4      flags                   le32
 *     52    4      _pad                    le32
 *     24   24    write_ctrlreg             struct
 *     24    4      index                   le32
 *     28    4      _pad                    le32
 *     32    8      new_value               le64
 *     40    8      old_value               le64
 *     24   24    mov_to_msr                struct
 *     24    8      msr                     le64
 *     32    8      new_value               le64
 *     40    8      old_value               le64
 *     24   24    desc_access               struct
 *     24   16      arch                    union
 *     24   16        vmx                   struct
 *     24    4          instr_info          le32
 *     28    4          _pad1               le32
 *     32    8          exit_qualification  le64
 *     40    1      descriptor              byte
 *     41    1      is_write                byte
 *     42    6      _pad                    byte[6]
 *     24    8    singlestep                struct
 *     24    8      gfn                     le64
 *     24   24    software_breakpoint       struct
 *     24    8      gfn                     le64
 *     32    8      pending_dbg             le64
 *     40    4      insn_length             le32
 *     44    1      type                    byte
 *     45    3      _pad                    byte[3]
 *     24   24    debug_exception           struct
 *     24    8      gfn                     le64
 *     32    8      pending_dbg             le64
 *     40    4      insn_length             le32
 *     44    1      type                    byte
 *     45    3      _pad                    byte[3]
 *     24   16    cpuid                     struct
 *     24    4      insn_length             le32
 *     28    4      leaf                    le32
 *     32    4      subleaf                 le32
 *     36    4      _pad                    le32
 *     24   24    interrupt                 union
 *     24   24      x86                     struct
 *     24    4        vector                le32
 *     28    4        type                  le32
 *     32    4        error_code            le32
 *     36    4        _pad                  le32
 *     40    8        cr2                   le64
 *     56  344  data                        byte[344]
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
