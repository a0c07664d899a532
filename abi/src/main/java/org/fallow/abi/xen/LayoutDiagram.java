package org.fallow.abi.xen;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.SequenceLayout;
import java.lang.foreign.UnionLayout;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The diagram of a struct, drawn from its layout (never by hand): one line per member, nested members indented under
 * their struct or union, compiler padding shown where it sits. Every flyweight's class comment carries this diagram
 * ({@code LayoutDiagramTest} compares the two), {@code fallow abi diagram} prints it.
 * <pre>
 * offset size  member           type
 *      0    4  cmd              le32
 *      8   48  u                union
 *      8   24    creat          struct
 * </pre>
 */
public final class LayoutDiagram {
    private LayoutDiagram() {}

    /** The diagram's lines: a header, then one line per member (depth-first, declaration order). */
    public static List<String> lines(GroupLayout root) {
        List<String[]> rows = new ArrayList<>();
        walk(root, 0, 0, rows);
        int w = "member".length();
        for (String[] r : rows) w = Math.max(w, r[2].length());
        List<String> out = new ArrayList<>();
        String title = root.name().orElse("struct") + " (" + root.byteSize() + " bytes)";
        out.add(title);
        out.add(String.format("%6s %4s  %-" + w + "s  %s", "offset", "size", "member", "type"));
        for (String[] r : rows) out.add(String.format("%6s %4s  %-" + w + "s  %s", r[0], r[1], r[2], r[3]).stripTrailing());
        return List.copyOf(out);
    }

    /** {@link #lines} joined with newlines. */
    public static String of(GroupLayout root) { return String.join("\n", lines(root)) + "\n"; }

    private static void walk(GroupLayout group, long base, int depth, List<String[]> rows) {
        boolean union = group instanceof UnionLayout;
        long offset = 0;
        String indent = "  ".repeat(depth);
        for (MemoryLayout m : group.memberLayouts()) {
            long at = base + (union ? 0 : offset);
            if (m instanceof PaddingLayout) {
                rows.add(new String[] {Long.toString(at), Long.toString(m.byteSize()), indent + "(padding)", ""});
            } else {
                String name = m.name().orElse("?");
                rows.add(new String[] {Long.toString(at), Long.toString(m.byteSize()), indent + name, type(m)});
                if (m instanceof GroupLayout g) walk(g, at, depth + 1, rows);
            }
            if (!union) offset += m.byteSize();
        }
    }

    private static String type(MemoryLayout m) {
        return switch (m) {
            case UnionLayout u -> "union";
            case GroupLayout g -> "struct";
            case SequenceLayout s -> elementType(s.elementLayout()) + "[" + s.elementCount() + "]";
            case ValueLayout v -> scalar(v);
            default -> "?";
        };
    }

    /** {@code byte}, or {@code le16}/{@code le32}/{@code le64}: the width and the (explicit) byte order. */
    private static String scalar(ValueLayout v) {
        return v.byteSize() == 1 ? "byte" : (v.order() == java.nio.ByteOrder.LITTLE_ENDIAN ? "le" : "be") + 8 * v.byteSize();
    }

    private static String elementType(MemoryLayout e) {
        if (e instanceof ValueLayout v) return scalar(v);
        return e.name().orElse(e instanceof UnionLayout ? "union" : "struct");
    }
}
