package org.fallow.abi.xen;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The struct diagrams in the flyweights' class comments are drawn from the layouts: each registered struct's
 * {@code <pre>} block must be exactly {@link LayoutDiagram#lines} of its layout (so a hand-edited diagram that
 * disagrees with the layout, like the old {@code u.gen.index} at 28 in tmem_op, fails here).
 */
class LayoutDiagramTest {
    private static final Pattern PRE = Pattern.compile("<pre>\\n(.*?)\\n \\* </pre>", Pattern.DOTALL);

    @Test
    void tmemOpDiagramPutsGenIndexAt32() {
        List<String> lines = LayoutDiagram.lines(TmemOp.LAYOUT);
        assertEquals("tmem_op (56 bytes)", lines.getFirst());
        assertTrue(lines.stream().anyMatch(l -> l.matches(" +32 +4 +index +le32")), String.join("\n", lines));
        assertTrue(lines.stream().anyMatch(l -> l.matches(" +48 +8 +cmfn +le64")), String.join("\n", lines));
    }

    @Test
    void paddingIsDrawnWhereTheCompilerPutsIt() {
        List<String> lines = LayoutDiagram.lines(XenHvmParam.LAYOUT);
        assertEquals(List.of("xen_hvm_param (16 bytes)",
                "offset size  member     type",
                "     0    2  domid      le16",
                "     2    2  (padding)",
                "     4    4  index      le32",
                "     8    8  value      le64"), lines);
    }

    @Test
    void everyFlyweightCommentCarriesItsLayoutDiagram() throws IOException {
        Path root = Path.of(System.getProperty("fallow.repo.root", "..")).resolve("abi/src/main/java");
        List<String> failures = new ArrayList<>();
        int checked = 0;
        for (AbiStruct s : AbiRegistry.all()) {
            Class<?> c = s.flyweight().get().getClass();
            Path src = root.resolve(c.getName().replace('.', '/') + ".java");
            String text = Files.readString(src);
            int cls = text.indexOf("public final class " + c.getSimpleName());
            int doc = text.lastIndexOf("/**", cls);
            // a flyweight with one layout per profile (VmEventRequest) carries one diagram per layout
            Matcher m = PRE.matcher(text.substring(doc, cls));
            List<List<String>> diagrams = new ArrayList<>();
            while (m.find()) diagrams.add(m.group(1).lines().map(l -> l.replaceFirst("^ \\*( |$)", "")).toList());
            if (diagrams.isEmpty()) {
                failures.add(c.getSimpleName() + ": no <pre> diagram in the class comment");
                continue;
            }
            if (!diagrams.contains(LayoutDiagram.lines(s.layout())))
                failures.add(c.getSimpleName() + " (" + s.name() + "): the diagram differs from the layout; it should be\n"
                        + LayoutDiagram.of(s.layout()));
            checked++;
        }
        assertEquals(List.of(), failures);
        assertTrue(checked >= 25, "checked " + checked);
    }
}
