package org.fallow.cli.startup;

import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassFileVersion;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Build step of {@code ./fallow}: re-emits the pre-Java-6 class files of a jar as Java 8 class files with stack maps
 * (the same bytecode; only the version and the StackMapTable attributes change), so that the JDK's AOT cache can keep
 * them loaded and linked. The cache skips "old" classes (major version &lt; 50, checked by the old type-inferring
 * verifier): picocli 4.7 is compiled for Java 5, so without this every short command parses and verifies its ~170
 * picocli classes from the jar on each start.
 *
 * <p>{@code ClassFileUpgrade OUT_DIR JAR...}: for each jar that holds at least one old class, writes
 * {@code OUT_DIR/<same name>} with those classes upgraded and every other entry copied as it is; a jar without old
 * classes is not copied. A class whose stack maps cannot be computed (a supertype not found) stays as it was: the
 * JVM still loads it, only the cache skips it.
 */
public final class ClassFileUpgrade {
    /** Java 6: the first version checked by the split (stack-map) verifier, which the AOT cache can record. */
    static final int FIRST_SPLIT_VERIFIED = 50;
    /** The version written: Java 8. */
    static final int UPGRADED_MAJOR = 52;
    /** Bound on one jar entry (picocli's largest class is under 100 KiB). */
    private static final int MAX_ENTRY_BYTES = 16 << 20;

    private ClassFileUpgrade() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: ClassFileUpgrade OUT_DIR JAR...");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        Files.createDirectories(out);
        for (int i = 1; i < args.length; i++) {
            Path jar = Path.of(args[i]);
            Result r = upgrade(jar, out.resolve(jar.getFileName()));
            System.out.println(jar.getFileName() + ": " + r.upgraded() + " classes upgraded, " + r.kept() + " old classes kept");
        }
    }

    /** How many old classes were upgraded and how many had to stay old. */
    public record Result(int upgraded, int kept) { }

    /** Writes {@code target} (via a temporary file in its directory) unless {@code jar} has no old classes. */
    public static Result upgrade(Path jar, Path target) throws IOException {
        Path tmp = Files.createTempFile(target.toAbsolutePath().getParent(), ".upgrade-", ".jar");
        int upgraded = 0, kept = 0;
        try (URLClassLoader loader = new URLClassLoader(new URL[]{jar.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
             ZipInputStream in = new ZipInputStream(Files.newInputStream(jar, LinkOption.NOFOLLOW_LINKS));
             ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(tmp))) {
            ClassFile cf = ClassFile.of(ClassFile.StackMapsOption.GENERATE_STACK_MAPS,
                    ClassFile.ClassHierarchyResolverOption.of(ClassHierarchyResolver.ofResourceParsing(loader)
                            .orElse(ClassHierarchyResolver.defaultResolver())));
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                byte[] bytes = read(in, e.getName());
                int major = e.getName().endsWith(".class") ? majorVersion(bytes) : -1;
                if (major >= 0 && major < FIRST_SPLIT_VERIFIED) {
                    byte[] up = upgradeClass(cf, bytes);
                    if (up != null) {
                        bytes = up;
                        upgraded++;
                    } else {
                        kept++;
                    }
                }
                ZipEntry copy = new ZipEntry(e.getName());
                if (e.getLastModifiedTime() != null) copy.setLastModifiedTime(e.getLastModifiedTime());
                zip.putNextEntry(copy);
                zip.write(bytes);
                zip.closeEntry();
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        if (upgraded == 0) {
            Files.deleteIfExists(tmp);
        } else {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        return new Result(upgraded, kept);
    }

    /** One class at version 52 with stack maps computed for every method, or null if they cannot be computed. */
    static byte[] upgradeClass(ClassFile cf, byte[] bytes) {
        try {
            ClassModel model = cf.parse(bytes);
            ClassTransform version = (b, el) -> {
                if (el instanceof ClassFileVersion) b.withVersion(UPGRADED_MAJOR, 0);
                else b.with(el);
            };
            // rebuilding every method body (ACCEPT_ALL) makes the builder generate its StackMapTable
            return cf.transformClass(model, version.andThen(ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL)));
        } catch (IllegalArgumentException | IllegalStateException e) {
            return null;
        }
    }

    /** The class file's major version (bytes 6-7, big-endian); -1 if it is not a class file. */
    static int majorVersion(byte[] b) {
        if (b.length < 8 || (b[0] & 0xFF) != 0xCA || (b[1] & 0xFF) != 0xFE || (b[2] & 0xFF) != 0xBA || (b[3] & 0xFF) != 0xBE) return -1;
        return (b[6] & 0xFF) << 8 | (b[7] & 0xFF);
    }

    private static byte[] read(InputStream in, String name) throws IOException {
        byte[] b = in.readNBytes(MAX_ENTRY_BYTES + 1);
        if (b.length > MAX_ENTRY_BYTES) throw new IOException(name + " is larger than " + MAX_ENTRY_BYTES + " bytes");
        return b;
    }
}
