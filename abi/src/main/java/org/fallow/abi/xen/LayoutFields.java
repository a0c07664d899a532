package org.fallow.abi.xen;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Walks a struct layout into its {@link LayoutField}s, depth first in declaration order. */
public final class LayoutFields {
    private LayoutFields() {}

    /** Every named member at any depth (groups, scalars and arrays; padding skipped; arrays not expanded). */
    public static List<LayoutField> of(GroupLayout struct) {
        List<LayoutField> out = new ArrayList<>();
        walk(struct, "", 0, out);
        return List.copyOf(out);
    }

    /** The scalar and array members only (what decode prints and encode sets). */
    public static List<LayoutField> leaves(GroupLayout struct) {
        return of(struct).stream().filter(f -> !f.isGroup()).toList();
    }

    public static Optional<LayoutField> find(GroupLayout struct, String path) {
        return of(struct).stream().filter(f -> f.path().equals(path)).findFirst();
    }

    private static void walk(GroupLayout group, String prefix, long base, List<LayoutField> out) {
        long offset = 0;
        boolean union = group instanceof java.lang.foreign.UnionLayout;
        for (MemoryLayout member : group.memberLayouts()) {
            long at = base + (union ? 0 : offset);
            if (!(member instanceof PaddingLayout) && member.name().isPresent()) {
                String path = prefix + member.name().get();
                out.add(new LayoutField(path, at, member.byteSize(), member));
                if (member instanceof GroupLayout g) walk(g, path + ".", at, out);
            }
            if (!union) offset += member.byteSize();
        }
    }
}
