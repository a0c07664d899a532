package org.fallow.abi.check;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every Xen constant and struct offset is declared once, in abi: this test reads the Java sources of every other
 * module (main and test) and fails, naming file and line, where one is declared again:
 * <ul>
 *   <li>a {@code static final} number whose name is one of abi's constants ({@code HVM_PARAM_PAGING_RING_PFN = 27},
 *       {@code XS_WRITE = 11}) or carries a Xen prefix ({@code XENMEM_}, {@code HVM_PARAM_}, {@code MEMOP_}, ...) and is
 *       given a literal rather than abi's value;</li>
 *   <li>a struct member read or written at a literal offset ({@code seg.get(U32_UNALIGNED, 12)},
 *       {@code buf.getInt(16)}, {@code in.getUnsignedIntLE(at + 12)}, {@code seg.set(U64_UNALIGNED, base + 16, v)}) instead of the flyweight's accessor or offset
 *       constant (offset 0 is not flagged: it is also how one reads the first word of a page).</li>
 * </ul>
 * No file is exempt: the last test harnesses that placed struct members by hand were converted (issue 11).
 */
class OneDeclarationTest {
    private static final List<String> MODULES = List.of("hypervisor", "libxc-shim", "guest-kernel-sim", "conformance", "cli");
    private static final Pattern XEN_PREFIX = Pattern.compile(
            "(XENMEMF?|HVM_PARAM|HVMOP|XEN_DOMCTL|XEN_SYSCTL|XEN_DOMINF|XEN_VM_EVENT|VM_EVENT|MEM_PAGING|MEMOP|TMEM|XS|XENFEAT|__HYPERVISOR|XEN_VERSION|XENVER)_\\w+");
    private static final Pattern DECLARATION = Pattern.compile("static\\s+final\\s+(?:int|long|short|byte)\\s+([^;]+);");
    private static final Pattern DECLARATOR = Pattern.compile("(\\w+)\\s*=\\s*([^,]+)");
    private static final Pattern LITERAL = Pattern.compile("-?\\(?\\s*(0[xX][0-9a-fA-F_]+|\\d[\\d_]*)[lL]?(\\s*<<\\s*\\d+)?\\s*\\)?");
    private static final Pattern RAW_OFFSET = Pattern.compile(
            "\\.(?:get|set)\\(\\s*(?:[\\w.]*\\.)?(?:JAVA_(?:INT|LONG|SHORT)(?:_UNALIGNED)?|U16|U32|U64|U16_UNALIGNED|U32_UNALIGNED|U64_UNALIGNED)\\s*,\\s*(?:[\\w.]+\\s*\\+\\s*)?[1-9]\\d*\\s*[,)]"
                    + "|\\.put(?:Int|Long|Short)\\(\\s*(?:[\\w.]+\\s*\\+\\s*)?[1-9]\\d*\\s*,"
                    + "|\\.get(?:Int|Long|Short)\\(\\s*[1-9]\\d*\\s*\\)"
                    + "|\\.get(?:Unsigned)?(?:Int|Short|Long)(?:LE)?\\([^()]*\\+\\s*[1-9]\\d*\\s*\\)");

    @Test
    void noModuleButAbiDeclaresAXenConstantOrStructOffsetAgain() throws Exception {
        Map<String, Number> abiConstants = abiConstants();
        assertTrue(abiConstants.containsKey("HVM_PARAM_PAGING_RING_PFN") && abiConstants.containsKey("XS_WRITE"),
                "abi's constants were not found");
        Path root = Path.of(System.getProperty("fallow.repo.root", ".."));
        List<String> failures = new ArrayList<>();
        int files = 0;
        for (String module : MODULES) {
            Path src = root.resolve(module).resolve("src");
            if (!Files.isDirectory(src)) continue;
            List<Path> java;
            try (Stream<Path> s = Files.walk(src)) {
                java = s.filter(p -> p.toString().endsWith(".java")).sorted().toList();
            }
            for (Path file : java) {
                files++;
                String rel = root.relativize(file).toString().replace('\\', '/');
                String text = Files.readString(file);
                redeclaredConstants(rel, text, abiConstants, failures);
                Matcher m = RAW_OFFSET.matcher(text);
                List<String> where = new ArrayList<>();
                while (m.find()) where.add(rel + ":" + line(text, m.start()) + ": " + m.group().strip());
                if (!where.isEmpty())
                    failures.add(String.join("\n", where) + "\n  -> read/write it through the abi flyweight (or its *_OFFSET)");
            }
        }
        assertTrue(files > 200, "only " + files + " source files read under " + root.toAbsolutePath());
        assertEquals("", String.join("\n", failures), "declared again outside abi");
    }

    private static void redeclaredConstants(String rel, String text, Map<String, Number> abi, List<String> failures) {
        Matcher d = DECLARATION.matcher(text);
        while (d.find()) {
            Matcher v = DECLARATOR.matcher(d.group(1));
            while (v.find()) {
                String name = v.group(1), init = v.group(2).strip();
                if (!LITERAL.matcher(init).matches()) continue; // assigned from abi (or computed): fine
                String same = abi.containsKey(name) ? name : shortNameOf(name, init, abi);
                if (same != null || XEN_PREFIX.matcher(name).matches())
                    failures.add(rel + ":" + line(text, d.start()) + ": " + name + " = " + init
                            + (same != null ? " (abi declares " + same + " = " + abi.get(same) + ")" : "")
                            + "\n  -> import it from abi (a local short name only by assignment from abi)");
            }
        }
    }

    /** The abi constant that {@code name} shortens ({@code REASON_MEM_PAGING} of {@code VM_EVENT_REASON_MEM_PAGING}) with the same value. */
    private static String shortNameOf(String name, String literal, Map<String, Number> abi) {
        if (!name.contains("_")) return null; // one-word names (PAGE, SIZE) are too common to judge by
        long value;
        try {
            String digits = literal.replaceAll("[()\\s_lL]", "");
            String[] shift = digits.split("<<");
            value = Long.decode(shift[0]) << (shift.length > 1 ? Integer.parseInt(shift[1]) : 0);
        } catch (NumberFormatException e) {
            return null;
        }
        for (Map.Entry<String, Number> e : abi.entrySet())
            if (e.getKey().endsWith("_" + name) && e.getValue().longValue() == value) return e.getKey();
        return null;
    }

    /** The public static final numbers of abi's constant-holding classes, by name. */
    private static Map<String, Number> abiConstants() throws Exception {
        Map<String, Number> out = new HashMap<>();
        List<String> classes = new ArrayList<>(List.of("org.fallow.abi.Hypercalls", "org.fallow.abi.XenErrno",
                "org.fallow.abi.wire.FrameType", "org.fallow.abi.wire.XsSockMsg", "org.fallow.abi.xen.P2mType"));
        Path xen = Path.of(System.getProperty("fallow.repo.root", "..")).resolve("abi/src/main/java/org/fallow/abi/xen");
        try (Stream<Path> s = Files.list(xen)) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith("Constants.java"))
                    .forEach(n -> classes.add("org.fallow.abi.xen." + n.substring(0, n.length() - 5)));
        }
        for (String c : classes) {
            for (Field f : Class.forName(c).getFields()) {
                int mod = f.getModifiers();
                if (!Modifier.isStatic(mod) || !Modifier.isFinal(mod)) continue;
                Class<?> t = f.getType();
                if (t == int.class || t == long.class || t == short.class || t == byte.class) out.put(f.getName(), (Number) f.get(null));
            }
        }
        return out;
    }

    private static int line(String text, int at) {
        int n = 1;
        for (int i = 0; i < at; i++) if (text.charAt(i) == '\n') n++;
        return n;
    }
}
