package org.fallow.abi.xen;

import java.util.List;

/**
 * The documented places where Fallow's 4.12 layouts cannot be checked against the installed Debian headers
 * (libxen-dev, Xen 4.17), each with its reason. Everything else in the 4.12 profile must match the C probe exactly.
 * These rows are covered by the hex vectors of {@link GoldenVectorsTest} and by {@link StructSizesTest} instead.
 */
final class HeaderExceptions {
    private HeaderExceptions() {}

    enum Kind {
        /** The member or struct does not exist in the installed headers: it is not probed. */
        ABSENT,
        /** It exists but 4.17 changed it: it IS probed, and the probe must show a difference (so the list stays true). */
        DIFFERS,
        /** 4.17 renamed it ({@code cField}) at the same place: the renamed member is probed and must match exactly. */
        RENAMED
    }

    /** {@code field} is a dotted path, {@code "*"} for the whole struct, or ends with {@code ".*"} for a subtree. */
    record Entry(String struct, String field, Kind kind, String why, String cField, long[] header417) {
        Entry(String struct, String field, Kind kind, String why) {
            this(struct, field, kind, why, null, null);
        }

        Entry(String struct, String field, Kind kind, String why, String cField) {
            this(struct, field, kind, why, cField, null);
        }

        /** A DIFFERS entry with the offset and size the installed 4.17 header must show. */
        Entry(String struct, String field, String why, long offset417, long size417) {
            this(struct, field, Kind.DIFFERS, why, null, new long[] {offset417, size417});
        }

        boolean covers(String s, String f) {
            if (!struct.equals(s)) return false;
            if (field.equals("*")) return true;
            if (field.endsWith(".*")) {
                String prefix = field.substring(0, field.length() - 2);
                return f.equals(prefix) || f.startsWith(prefix + ".");
            }
            return field.equals(f);
        }
    }

    private static final String TMEM_GONE = "tmem was removed after 4.12; 4.17 sysctl.h no longer defines the tmem structs";
    private static final String VM_EVENT_V7 = "4.17 is vm_event interface 7: vm_event_regs_x86 grew to 344 bytes (entry 400, not 376)";
    private static final String DEBUG_V7 = "4.17 added pending_dbg (u64) after gfn in struct vm_event_debug";
    private static final String SVM = "4.17 dropped the svm member of vm_event_desc_access.arch";

    private static final String PORT = "4.17 moved vm_event_op.port into a union (u.enable.port), same offset";

    static final List<Entry> ENTRIES = List.of(
            new Entry("xen_domctl_vm_event_op", "port", Kind.RENAMED, PORT, "u.enable.port"),
            new Entry("xen_domctl", "u.vm_event_op.port", Kind.RENAMED, PORT, "u.vm_event_op.u.enable.port"),
            new Entry("xen_sysctl_tmem_op", "*", Kind.ABSENT, TMEM_GONE),
            new Entry("xen_tmem_client", "*", Kind.ABSENT, TMEM_GONE),
            new Entry("xen_tmem_pool_info", "*", Kind.ABSENT, TMEM_GONE),
            new Entry("tmem_handle", "*", Kind.ABSENT, TMEM_GONE),
            new Entry("xen_sysctl", "u.tmem_op.*", Kind.ABSENT, TMEM_GONE),
            new Entry("vm_event_request", "u.desc_access.arch.svm.*", Kind.ABSENT, SVM),
            new Entry("vm_event_response", "u.desc_access.arch.svm.*", Kind.ABSENT, SVM),
            new Entry("vm_event_request", "data", VM_EVENT_V7, 56, 344),
            new Entry("vm_event_request", LayoutTable.SIZEOF, VM_EVENT_V7, 0, 400),
            new Entry("vm_event_response", "data", VM_EVENT_V7, 56, 344),
            new Entry("vm_event_response", LayoutTable.SIZEOF, VM_EVENT_V7, 0, 400),
            new Entry("vm_event_sring", "ring", VM_EVENT_V7, 64, 400),
            new Entry("vm_event_sring", LayoutTable.SIZEOF, VM_EVENT_V7, 0, 464),
            new Entry("vm_event_request", "u.software_breakpoint", DEBUG_V7, 24, 24),
            new Entry("vm_event_request", "u.software_breakpoint.insn_length", DEBUG_V7, 40, 4),
            new Entry("vm_event_request", "u.software_breakpoint.type", DEBUG_V7, 44, 1),
            new Entry("vm_event_request", "u.software_breakpoint._pad", DEBUG_V7, 45, 3),
            new Entry("vm_event_request", "u.debug_exception", DEBUG_V7, 24, 24),
            new Entry("vm_event_request", "u.debug_exception.insn_length", DEBUG_V7, 40, 4),
            new Entry("vm_event_request", "u.debug_exception.type", DEBUG_V7, 44, 1),
            new Entry("vm_event_request", "u.debug_exception._pad", DEBUG_V7, 45, 3),
            new Entry("vm_event_response", "u.software_breakpoint", DEBUG_V7, 24, 24),
            new Entry("vm_event_response", "u.software_breakpoint.insn_length", DEBUG_V7, 40, 4),
            new Entry("vm_event_response", "u.software_breakpoint.type", DEBUG_V7, 44, 1),
            new Entry("vm_event_response", "u.software_breakpoint._pad", DEBUG_V7, 45, 3),
            new Entry("vm_event_response", "u.debug_exception", DEBUG_V7, 24, 24),
            new Entry("vm_event_response", "u.debug_exception.insn_length", DEBUG_V7, 40, 4),
            new Entry("vm_event_response", "u.debug_exception.type", DEBUG_V7, 44, 1),
            new Entry("vm_event_response", "u.debug_exception._pad", DEBUG_V7, 45, 3));

    static Entry find(String struct, String field) {
        return ENTRIES.stream().filter(e -> e.covers(struct, field)).findFirst().orElse(null);
    }

    static boolean wholeStructAbsent(String struct) {
        return ENTRIES.stream().anyMatch(e -> e.struct().equals(struct) && e.field().equals("*"));
    }
}
