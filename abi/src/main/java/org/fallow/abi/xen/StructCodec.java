package org.fallow.abi.xen;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Generic text codec over any registered struct, for people debugging frames: {@link #decode} prints one
 * {@code path=value} per scalar (arrays as {@code path[i]=value}, byte arrays as {@code path=hex:...}), and
 * {@link #encode} accepts the same notation, so {@code encode(decode(bytes)) == bytes} for every struct.
 * Values: 1/2/4-byte fields in unsigned decimal, 8-byte fields in {@code 0x} hex; encode also takes negative decimals
 * (two's complement, e.g. {@code pool_id=-1}), {@code 0x} hex, and {@code a,b,c} lists for whole arrays.
 * Union members overlap: all of them are printed; when encoding, later assignments win.
 */
public final class StructCodec {
    private StructCodec() {}

    private static final HexFormat HEX = HexFormat.of();

    public static List<String> decode(AbiStruct struct, byte[] bytes) {
        if (bytes.length > struct.size()) {
            throw new IllegalArgumentException(struct.name() + " is " + struct.size() + " bytes, got " + bytes.length);
        }
        MemorySegment seg = MemorySegment.ofArray(new byte[(int) struct.size()]);
        MemorySegment.copy(bytes, 0, seg, ValueLayout.JAVA_BYTE, 0, bytes.length); // array overload: see Flyweight.copyIn
        List<String> out = new ArrayList<>();
        for (LayoutField f : LayoutFields.leaves(struct.layout())) {
            if (f.isScalar()) {
                out.add(f.path() + "=" + format(read(seg, f.offset(), (int) f.size()), (int) f.size()));
            } else if (f.elementSize() == 1 || f.isGroupArray()) {
                out.add(f.path() + "=hex:" + HEX.formatHex(seg.asSlice(f.offset(), f.size()).toArray(ValueLayout.JAVA_BYTE)));
            } else {
                int es = (int) f.elementSize();
                for (int i = 0; i < f.elementCount(); i++) {
                    out.add(f.path() + "[" + i + "]=" + format(read(seg, f.offset() + (long) i * es, es), es));
                }
            }
        }
        return out;
    }

    /** Builds a zeroed struct and applies {@code path=value} assignments in order. */
    public static byte[] encode(AbiStruct struct, List<String> assignments) {
        MemorySegment seg = MemorySegment.ofArray(new byte[(int) struct.size()]);
        for (String a : assignments) {
            int eq = a.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("expected field=value, got '" + a + "'");
            assign(struct, seg, a.substring(0, eq).trim(), a.substring(eq + 1).trim());
        }
        return seg.toArray(ValueLayout.JAVA_BYTE);
    }

    private static void assign(AbiStruct struct, MemorySegment seg, String path, String value) {
        int index = -1;
        String name = path;
        if (path.endsWith("]") && path.contains("[")) {
            name = path.substring(0, path.indexOf('['));
            index = Integer.parseInt(path.substring(path.indexOf('[') + 1, path.length() - 1));
        }
        String fieldName = name;
        LayoutField f = LayoutFields.find(struct.layout(), name).orElseThrow(() -> new IllegalArgumentException(
                "no field '" + fieldName + "' in " + struct.name() + " (" + struct.profile().label() + ")"));
        if (f.isGroup()) throw new IllegalArgumentException(name + " is a struct/union; set its members");
        if (f.isScalar()) {
            if (index >= 0) throw new IllegalArgumentException(name + " is not an array");
            write(seg, f.offset(), (int) f.size(), parse(value, (int) f.size()));
            return;
        }
        int es = (int) f.elementSize();
        if (index >= 0) {
            if (index >= f.elementCount()) throw new IllegalArgumentException(path + ": index out of range 0.." + (f.elementCount() - 1));
            if (f.isGroupArray()) throw new IllegalArgumentException(name + " holds structs; set it as hex:");
            write(seg, f.offset() + (long) index * es, es, parse(value, es));
        } else if (value.startsWith("hex:")) {
            byte[] b = HEX.parseHex(value.substring(4));
            if (b.length > f.size()) throw new IllegalArgumentException(name + " holds " + f.size() + " bytes, got " + b.length);
            seg.asSlice(f.offset(), f.size()).fill((byte) 0);
            MemorySegment.copy(b, 0, seg, ValueLayout.JAVA_BYTE, f.offset(), b.length);
        } else {
            if (f.isGroupArray()) throw new IllegalArgumentException(name + " holds structs; set it as hex:");
            String[] parts = value.split(",");
            if (parts.length > f.elementCount()) throw new IllegalArgumentException(name + " has " + f.elementCount() + " elements");
            for (int i = 0; i < parts.length; i++) write(seg, f.offset() + (long) i * es, es, parse(parts[i].trim(), es));
        }
    }

    static long read(MemorySegment seg, long off, int size) {
        return switch (size) {
            case 1 -> Byte.toUnsignedLong(seg.get(ValueLayout.JAVA_BYTE, off));
            case 2 -> Short.toUnsignedLong(seg.get(XenLayouts.U16_UNALIGNED, off));
            case 4 -> Integer.toUnsignedLong(seg.get(XenLayouts.U32_UNALIGNED, off));
            case 8 -> seg.get(XenLayouts.U64_UNALIGNED, off);
            default -> throw new IllegalStateException("scalar of " + size + " bytes");
        };
    }

    static void write(MemorySegment seg, long off, int size, long v) {
        switch (size) {
            case 1 -> seg.set(ValueLayout.JAVA_BYTE, off, (byte) v);
            case 2 -> seg.set(XenLayouts.U16_UNALIGNED, off, (short) v);
            case 4 -> seg.set(XenLayouts.U32_UNALIGNED, off, (int) v);
            case 8 -> seg.set(XenLayouts.U64_UNALIGNED, off, v);
            default -> throw new IllegalStateException("scalar of " + size + " bytes");
        }
    }

    static String format(long v, int size) {
        return size == 8 ? "0x" + Long.toHexString(v) : Long.toString(v);
    }

    /** Parses decimal (possibly negative) or 0x hex and checks it fits {@code size} bytes (signed or unsigned). */
    static long parse(String s, int size) {
        long v;
        try {
            if (s.startsWith("0x") || s.startsWith("0X")) v = Long.parseUnsignedLong(s.substring(2), 16);
            else if (s.startsWith("-")) v = Long.parseLong(s);
            else v = Long.parseUnsignedLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a number: '" + s + "'");
        }
        if (size < 8) {
            long max = (1L << (8 * size)) - 1, min = -(1L << (8 * size - 1));
            if (v > max || v < min) throw new IllegalArgumentException(s + " does not fit in " + size + " bytes");
        }
        return v;
    }
}
