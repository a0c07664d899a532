package org.fallow.abi.wire;

/**
 * Payload of HYPERCALL_RET ({@code i64 ret}) and FAULT_DONE ({@code i64 status}): one signed 64-bit value, 8 bytes.
 *
 * <pre>
 * +---------------------------------------------------------------+
 * |          value (i64: result, or negated Xen errno)            |  0
 * +---------------------------------------------------------------+
 * </pre>
 */
public final class StatusFrame extends Flyweight<StatusFrame> {
    public static final int VALUE_OFFSET = 0;
    public static final int LENGTH = 8;

    public long value() { return i64(VALUE_OFFSET); }
    public StatusFrame value(long v) { i64(VALUE_OFFSET, v); return this; }

    public static byte[] encode(long value) {
        byte[] out = new byte[LENGTH];
        new StatusFrame().wrap(out).value(value);
        return out;
    }
}
