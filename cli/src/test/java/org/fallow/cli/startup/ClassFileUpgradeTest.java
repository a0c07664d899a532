package org.fallow.cli.startup;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.MethodModel;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The build step that lets the AOT cache keep picocli: run on the picocli jar the cli depends on. */
class ClassFileUpgradeTest {

    static Path picocliJar() throws URISyntaxException {
        return Path.of(picocli.CommandLine.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    static List<String> classNames(Path jar) throws IOException {
        List<String> names = new ArrayList<>();
        try (JarFile j = new JarFile(jar.toFile())) {
            j.stream().map(ZipEntry::getName).filter(n -> n.endsWith(".class") && !n.contains("module-info")).forEach(names::add);
        }
        return names;
    }

    static byte[] entry(Path jar, String name) throws IOException {
        try (JarFile j = new JarFile(jar.toFile())) {
            return j.getInputStream(j.getEntry(name)).readAllBytes();
        }
    }

    @Test
    void picocliComesOutAsJava8ClassesWithStackMapsThatTheVerifierAccepts(@TempDir Path dir) throws Exception {
        Path in = picocliJar();
        assertEquals(49, ClassFileUpgrade.majorVersion(entry(in, "picocli/CommandLine.class")), "picocli 4.7 ships Java 5 classes");
        Path out = dir.resolve(in.getFileName());

        ClassFileUpgrade.Result r = ClassFileUpgrade.upgrade(in, out);

        List<String> classes = classNames(in);
        assertEquals(classes.size(), r.upgraded(), "every class upgraded");
        assertEquals(0, r.kept());
        assertEquals(classes, classNames(out), "same classes, same order");
        ClassModel cm = ClassFile.of().parse(entry(out, "picocli/CommandLine$Interpreter.class"));
        assertEquals(52, cm.majorVersion());
        boolean branchyMethodHasFrames = false;
        for (MethodModel m : cm.methods()) {
            if (m.code().isPresent() && m.code().get().findAttribute(Attributes.stackMapTable()).isPresent()) branchyMethodHasFrames = true;
        }
        assertTrue(branchyMethodHasFrames, "the parser's methods carry StackMapTables");

        // every class loads, links and initialises under the split verifier, and picocli still parses a command line
        try (URLClassLoader loader = new URLClassLoader(new URL[]{out.toUri().toURL()}, ClassLoader.getPlatformClassLoader())) {
            for (String c : classes) {
                Class<?> k = Class.forName(c.substring(0, c.length() - 6).replace('/', '.'), true, loader); // links: verifies
                assertEquals(loader, k.getClassLoader());
            }
            Class<?> spec = loader.loadClass("picocli.CommandLine$Model$CommandSpec");
            Object root = spec.getMethod("create").invoke(null);
            Class<?> optionSpec = loader.loadClass("picocli.CommandLine$Model$OptionSpec");
            Object builder = optionSpec.getMethod("builder", String.class, String[].class).invoke(null, "--run-dir", new String[0]);
            java.lang.reflect.Method type = builder.getClass().getMethod("type", Class.class);
            type.setAccessible(true); // declared by a package-private superclass
            type.invoke(builder, String.class);
            Object option = builder.getClass().getMethod("build").invoke(builder);
            spec.getMethod("addOption", optionSpec).invoke(root, option);
            Class<?> cl = loader.loadClass("picocli.CommandLine");
            Object line = cl.getConstructor(Object.class).newInstance(root);
            Object parsed = cl.getMethod("parseArgs", String[].class).invoke(line, (Object) new String[]{"--run-dir", "/tmp/x"});
            Object value = parsed.getClass().getMethod("matchedOptionValue", String.class, Object.class).invoke(parsed, "--run-dir", null);
            assertEquals("/tmp/x", value);
        }
    }

    @Test
    void aJarWithoutOldClassesIsNotCopied(@TempDir Path dir) throws Exception {
        Path modern = Path.of(org.junit.jupiter.api.Test.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertTrue(ClassFileUpgrade.majorVersion(entry(modern, "org/junit/jupiter/api/Test.class")) >= 50);
        Path out = dir.resolve("copy.jar");

        ClassFileUpgrade.Result r = ClassFileUpgrade.upgrade(modern, out);

        assertEquals(new ClassFileUpgrade.Result(0, 0), r);
        assertFalse(Files.exists(out));
        try (var left = Files.list(dir)) {
            assertEquals(0, left.count(), "no temporary file left behind");
        }
    }

    @Test
    void majorVersionReadsTheHeaderAndRejectsWhatIsNotAClassFile() {
        assertEquals(49, ClassFileUpgrade.majorVersion(new byte[]{(byte) 0xCA, (byte) 0xFE, (byte) 0xBA, (byte) 0xBE, 0, 0, 0, 49}));
        assertEquals(69, ClassFileUpgrade.majorVersion(new byte[]{(byte) 0xCA, (byte) 0xFE, (byte) 0xBA, (byte) 0xBE, 0, 0, 0, 69}));
        assertEquals(-1, ClassFileUpgrade.majorVersion(new byte[]{'P', 'K', 3, 4, 0, 0, 0, 49}));
        assertEquals(-1, ClassFileUpgrade.majorVersion(new byte[]{(byte) 0xCA, (byte) 0xFE}));
    }
}
