package org.fallow.abi.wire;

import static org.fallow.abi.xen.XenLayouts.*;

import java.lang.foreign.StructLayout;
import org.fallow.abi.xen.Flyweight;

/**
 * Payload of HYPERCALL_RET ({@code i64 ret}) and FAULT_DONE ({@code i64 status}); {@code struct fallow_status}: one
 * signed 64-bit value, the result or a negated Xen errno.
 * <pre>
 * fallow_status (8 bytes)
 * offset size  member  type
 *      0    8  value   le64
 * </pre>
 */
public final class StatusFrame extends Flyweight<StatusFrame> {
    public static final StructLayout LAYOUT = struct("fallow_status", u64("value"));
    public static final int VALUE_OFFSET = offsetOf(LAYOUT, "value");
    public static final int LENGTH = (int) LAYOUT.byteSize();

    @Override public int size() { return LENGTH; }
    @Override public StructLayout layout() { return LAYOUT; }

    public long value() { return getU64(VALUE_OFFSET); }
    public StatusFrame value(long v) { putU64(VALUE_OFFSET, v); return this; }

    public static byte[] encode(long value) {
        byte[] out = new byte[LENGTH];
        new StatusFrame().wrap(out).value(value);
        return out;
    }
}
