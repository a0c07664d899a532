package org.fallow.abi.xen;

/** vm_event.h (interface version 4, Xen 4.12) constants for memory paging; the ring gfn params are in {@link HvmOpConstants}. */
public final class VmEventConstants {
    private VmEventConstants() {}

    public static final int VM_EVENT_INTERFACE_VERSION = 4;
    /** Xen 4.17's version, offered as an option; its request is 400 bytes (not modelled here). */
    public static final int VM_EVENT_INTERFACE_VERSION_4_17 = 7;

    // VM_EVENT_FLAG_*
    public static final int VM_EVENT_FLAG_VCPU_PAUSED = 1 << 0, VM_EVENT_FLAG_FOREIGN = 1 << 1,
            VM_EVENT_FLAG_EMULATE = 1 << 2, VM_EVENT_FLAG_EMULATE_NOWRITE = 1 << 3,
            VM_EVENT_FLAG_TOGGLE_SINGLESTEP = 1 << 4, VM_EVENT_FLAG_SET_EMUL_READ_DATA = 1 << 5,
            VM_EVENT_FLAG_DENY = 1 << 6, VM_EVENT_FLAG_ALTERNATE_P2M = 1 << 7, VM_EVENT_FLAG_SET_REGISTERS = 1 << 8,
            VM_EVENT_FLAG_SET_EMUL_INSN_DATA = 1 << 9, VM_EVENT_FLAG_GET_NEXT_INTERRUPT = 1 << 10;

    // VM_EVENT_REASON_*
    public static final int VM_EVENT_REASON_UNKNOWN = 0, VM_EVENT_REASON_MEM_ACCESS = 1,
            VM_EVENT_REASON_MEM_SHARING = 2, VM_EVENT_REASON_MEM_PAGING = 3, VM_EVENT_REASON_WRITE_CTRLREG = 4,
            VM_EVENT_REASON_MOV_TO_MSR = 5, VM_EVENT_REASON_SOFTWARE_BREAKPOINT = 6, VM_EVENT_REASON_SINGLESTEP = 7,
            VM_EVENT_REASON_GUEST_REQUEST = 8, VM_EVENT_REASON_DEBUG_EXCEPTION = 9, VM_EVENT_REASON_CPUID = 10,
            VM_EVENT_REASON_PRIVILEGED_CALL = 11, VM_EVENT_REASON_INTERRUPT = 12,
            VM_EVENT_REASON_DESCRIPTOR_ACCESS = 13, VM_EVENT_REASON_EMUL_UNIMPLEMENTED = 14;

    // u.mem_paging.flags
    public static final int MEM_PAGING_DROP_PAGE = 1 << 0, MEM_PAGING_EVICT_FAIL = 1 << 1;
}
