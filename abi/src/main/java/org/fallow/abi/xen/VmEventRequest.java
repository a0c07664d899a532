package org.fallow.abi.xen;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.UnionLayout;

/**
 * {@code vm_event_request_t} == {@code vm_event_response_t} ({@code struct vm_event_st}): one entry of the paging ring
 * ({@link VmEventSring}), one flyweight for both interface versions Fallow speaks, each with its own layout:
 * version 4 (Xen 4.12, profiles 4.12 and 2009; 376 bytes, align 8; {@link #LAYOUT}, {@code new VmEventRequest()})
 * and version 7 (Xen 4.17, profile 4.17; 400 bytes; {@link #LAYOUT_V7}, {@link #v7()}). The header and
 * {@code u.mem_paging} sit at the same offsets in both, so the accessors serve either; 4.17 added {@code pending_dbg}
 * to the debug events, dropped {@code desc_access.arch.svm}, and {@code data} (the register dump) grew from 320 to
 * 344 bytes.
 * <pre>
 * vm_event_st (376 bytes)
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
 *     24   16        svm                   struct
 *     24    8          exitinfo            le64
 *     32    8          _pad2               le64
 *     40    1      descriptor              byte
 *     41    1      is_write                byte
 *     42    6      _pad                    byte[6]
 *     24    8    singlestep                struct
 *     24    8      gfn                     le64
 *     24   16    software_breakpoint       struct
 *     24    8      gfn                     le64
 *     32    4      insn_length             le32
 *     36    1      type                    byte
 *     37    3      _pad                    byte[3]
 *     24   16    debug_exception           struct
 *     24    8      gfn                     le64
 *     32    4      insn_length             le32
 *     36    1      type                    byte
 *     37    3      _pad                    byte[3]
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
 *     56  320  data                        byte[320]
 * </pre>
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
 * Paging requests use only the first 40 bytes; the rest is zero. Fallow treats {@code data} as opaque bytes. The one
 * declaration of the ring entry: the hypervisor's paging subsystem, the pagers and the benchmarks all use it.
 */
public final class VmEventRequest extends Flyweight<VmEventRequest> {
    public static final int DATA_SIZE = 320;
    public static final int DATA_SIZE_V7 = 344;
    private static StructLayout debug(String name) {
        return struct(name, u64("gfn"), u32("insn_length"), u8("type"), array("_pad", 3, U8));
    }
    private static StructLayout debugV7(String name) {
        return struct(name, u64("gfn"), u64("pending_dbg"), u32("insn_length"), u8("type"), array("_pad", 3, U8));
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
    /** {@code u} of interface version 7. */
    public static final UnionLayout U_V7 = union("u",
            struct("mem_paging", u64("gfn"), u32("p2mt"), u32("flags")),
            struct("mem_sharing", u64("gfn"), u32("p2mt"), u32("_pad")),
            struct("mem_access", u64("gfn"), u64("offset"), u64("gla"), u32("flags"), u32("_pad")),
            struct("write_ctrlreg", u32("index"), u32("_pad"), u64("new_value"), u64("old_value")),
            struct("mov_to_msr", u64("msr"), u64("new_value"), u64("old_value")),
            struct("desc_access",
                    union("arch", struct("vmx", u32("instr_info"), u32("_pad1"), u64("exit_qualification"))),
                    u8("descriptor"), u8("is_write"), array("_pad", 6, U8)),
            struct("singlestep", u64("gfn")),
            debugV7("software_breakpoint"),
            debugV7("debug_exception"),
            struct("cpuid", u32("insn_length"), u32("leaf"), u32("subleaf"), u32("_pad")),
            union("interrupt",
                    struct("x86", u32("vector"), u32("type"), u32("error_code"), u32("_pad"), u64("cr2"))));
    /** The entry of interface version 7 (Xen 4.17). */
    public static final StructLayout LAYOUT_V7 = struct("vm_event_st",
            u32("version"), u32("flags"), u32("reason"), u32("vcpu_id"), u16("altp2m_idx"), array("_pad", 3, U16),
            U_V7, array("data", DATA_SIZE_V7, U8));
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
    /** Entry size of vm_event interface version 7 (Xen 4.17; the C probe checks {@link #LAYOUT_V7}). */
    public static final int SIZE_V7 = (int) LAYOUT_V7.byteSize();
    static {
        // the accessors read both versions through one set of offsets
        for (String member : new String[] {"version", "flags", "reason", "vcpu_id", "altp2m_idx", "u.mem_paging.gfn",
                "u.mem_paging.p2mt", "u.mem_paging.flags", "u.mem_access.gfn", "data"})
            if (offsetOf(LAYOUT, member) != offsetOf(LAYOUT_V7, member))
                throw new AssertionError("vm_event v7 moved " + member);
    }
    /** Bytes a paging request/response actually uses (header + mem_paging); the rest is zero. */
    public static final int PAGING_BYTES = DATA_OFFSET;

    private final StructLayout layout;

    /** A flyweight over an interface version 4 entry (profiles 4.12 and 2009). */
    public VmEventRequest() { this(LAYOUT); }

    private VmEventRequest(StructLayout layout) {
        this.layout = layout;
        this.entryBytes = layout.byteSize();
    }

    /** A flyweight over an interface version 7 entry (profile 4.17). */
    public static VmEventRequest v7() { return new VmEventRequest(LAYOUT_V7); }

    /** A flyweight over an entry of interface {@code version} (4 or 7). */
    public static VmEventRequest ofVersion(int version) {
        entrySize(version);
        return version == VmEventConstants.VM_EVENT_INTERFACE_VERSION_4_17 ? v7() : new VmEventRequest();
    }

    @Override public int size() { return (int) layout.byteSize(); }
    @Override public StructLayout layout() { return layout; }

    /** Entry size of vm_event interface {@code version}: 4 (Xen 4.12) 376 bytes, 7 (Xen 4.17) 400 bytes. */
    public static int entrySize(int version) {
        return switch (version) {
            case VmEventConstants.VM_EVENT_INTERFACE_VERSION -> SIZE;
            case VmEventConstants.VM_EVENT_INTERFACE_VERSION_4_17 -> SIZE_V7;
            default -> throw new IllegalArgumentException("vm_event interface version " + version + " is not supported (4 or 7)");
        };
    }

    /** Bytes {@link #clear} zeroes: the whole ring entry when wrapped with {@link #wrap(MemorySegment)}. */
    private long entryBytes;

    /**
     * Wraps one ring entry (or a buffer of one entry's size) of either interface version: the paging fields are the
     * same in both; {@link #clear} zeroes the whole entry, as Xen's designated initializer does.
     */
    public VmEventRequest wrap(MemorySegment entry) {
        wrap(entry, 0);
        entryBytes = entry.byteSize();
        return this;
    }

    @Override public VmEventRequest wrap(MemorySegment seg, long offset) {
        entryBytes = size();
        return super.wrap(seg, offset);
    }

    @Override public VmEventRequest clear() {
        segment().asSlice(offset(), entryBytes).fill((byte) 0);
        return this;
    }

    public int version() { return getI32(VERSION_OFFSET); }
    public VmEventRequest version(int v) { putU32(VERSION_OFFSET, v); return this; }
    /** VM_EVENT_FLAG_* bits. */
    public int flags() { return getI32(FLAGS_OFFSET); }
    public VmEventRequest flags(int v) { putU32(FLAGS_OFFSET, v); return this; }
    /** VM_EVENT_REASON_*. */
    public int reason() { return getI32(REASON_OFFSET); }
    public VmEventRequest reason(int v) { putU32(REASON_OFFSET, v); return this; }
    public int vcpuId() { return getI32(VCPU_ID_OFFSET); }
    public VmEventRequest vcpuId(int v) { putU32(VCPU_ID_OFFSET, v); return this; }
    public int altp2mIdx() { return getU16(ALTP2M_IDX_OFFSET); }
    public VmEventRequest altp2mIdx(int v) { putU16(ALTP2M_IDX_OFFSET, v); return this; }
    /** {@code u.mem_paging.gfn}. */
    public long gfn() { return getU64(MEM_PAGING_GFN_OFFSET); }
    public VmEventRequest gfn(long v) { putU64(MEM_PAGING_GFN_OFFSET, v); return this; }
    /** {@code u.mem_paging.p2mt}: the old p2m type (4.12 numbering). */
    public int p2mt() { return getI32(MEM_PAGING_P2MT_OFFSET); }
    public VmEventRequest p2mt(int v) { putU32(MEM_PAGING_P2MT_OFFSET, v); return this; }
    /** {@code u.mem_paging.flags}: MEM_PAGING_*. */
    public int pagingFlags() { return getI32(MEM_PAGING_FLAGS_OFFSET); }
    public VmEventRequest pagingFlags(int v) { putU32(MEM_PAGING_FLAGS_OFFSET, v); return this; }

    /** The header and {@code u.mem_paging} members (all a paging event uses), drawn from the layout. */
    @Override public String toString() {
        return describe(f -> f.path().startsWith("u.mem_paging.") || !(f.path().startsWith("u.") || f.path().startsWith("data")
                || f.path().startsWith("_pad")));
    }
}
