package org.fallow.abi.fs;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The one way Fallow creates and opens its files (docs/SECURITY.md): directories 0700, files 0600, never following a
 * symbolic link, new files created with {@code O_CREAT|O_EXCL} ({@code CREATE_NEW}), existing files accepted only when
 * they are regular files owned by this process's user. Every module goes through here instead of
 * {@code Files.createDirectories}/{@code FileChannel.open(CREATE, TRUNCATE_EXISTING)}/{@code redirectOutput(File)}.
 * <p>
 * The checks on an existing file happen right after opening it without following links; inside a run directory that
 * only its owner can write ({@link #ensurePrivateDir}) nobody else can swap the file in between.
 */
public final class SafeFiles {
    /** rw------- */
    public static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
    /** rwx------ */
    public static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");

    private static final FileAttribute<Set<PosixFilePermission>> FILE_ATTR = PosixFilePermissions.asFileAttribute(FILE_MODE);
    private static final FileAttribute<Set<PosixFilePermission>> DIR_ATTR = PosixFilePermissions.asFileAttribute(DIR_MODE);
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
    private static final int S_IWGRP_IWOTH = 0022;

    private SafeFiles() {}

    // ---- identity -----------------------------------------------------------------------------------------------

    /** This process's user id. */
    public static int uid() { return Identity.UID; }

    /** True when this process runs as root (uid 0). */
    public static boolean isRoot() { return uid() == 0; }

    /** The owner uid of {@code p} itself (a link is not followed). */
    public static int ownerUid(Path p) throws IOException { return (Integer) Files.getAttribute(p, "unix:uid", NOFOLLOW); }

    /** The full st_mode of {@code p} itself (type and permission bits, incl. the sticky bit). */
    public static int mode(Path p) throws IOException { return (Integer) Files.getAttribute(p, "unix:mode", NOFOLLOW); }

    private static final class Identity {
        static final int UID = lookupUid();

        private static int lookupUid() {
            // /proc/self/status "Uid: real effective saved fs": the effective uid decides file ownership
            try {
                for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                    if (line.startsWith("Uid:")) return Integer.parseInt(line.substring(4).trim().split("\\s+")[1]);
                }
            } catch (IOException | RuntimeException ignored) {
                // fall through: not Linux procfs
            }
            try {
                return (int) new com.sun.security.auth.module.UnixSystem().getUid();
            } catch (RuntimeException | LinkageError e) {
                throw new IllegalStateException("cannot determine this process's uid", e);
            }
        }
    }

    // ---- directories --------------------------------------------------------------------------------------------

    /**
     * Makes {@code dir} a private run directory and returns its absolute path: created 0700 (missing parents too) if
     * it does not exist; if it does, it must be a real directory (not a symbolic link) owned by this user and not
     * group- or world-writable, else {@link UnsafePathException} says why. Group/other read or search bits of an
     * existing directory of ours are removed (chmod 0700).
     */
    public static Path ensurePrivateDir(Path dir) throws IOException {
        Path abs = dir.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        if (parent != null && !Files.exists(parent, NOFOLLOW)) ensurePrivateDir(parent);
        try {
            Files.createDirectory(abs, DIR_ATTR);
            Files.setPosixFilePermissions(abs, DIR_MODE); // in case the umask took owner bits
            return abs;
        } catch (FileAlreadyExistsException e) {
            // fall through: judge what is there
        }
        checkOwnDir(abs, "run directory");
        if ((mode(abs) & 0077) != 0) Files.setPosixFilePermissions(abs, DIR_MODE);
        return abs;
    }

    /**
     * A directory the user chose for output (e.g. the demo's {@code --out}): missing ones (and missing parents) are
     * created 0700; an existing one is used as it is. The files written into it are still 0600 and never written
     * through a link.
     */
    public static Path ensureOutputDir(Path dir) throws IOException {
        Path abs = dir.toAbsolutePath().normalize();
        if (Files.isDirectory(abs)) return abs;
        Path parent = abs.getParent();
        if (parent != null && !Files.isDirectory(parent)) ensureOutputDir(parent);
        try {
            Files.createDirectory(abs, DIR_ATTR);
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(abs)) throw new UnsafePathException(abs + " exists and is not a directory");
        }
        return abs;
    }

    /**
     * Checks an existing directory that a client is about to use (a run directory made by a hypervisor): a real
     * directory, not group- or world-writable, owned by this user (root may use anyone's).
     */
    public static Path checkTrustedDir(Path dir) throws IOException {
        Path abs = dir.toAbsolutePath().normalize();
        if (isRoot()) checkDir(abs, "run directory", -1);
        else checkOwnDir(abs, "run directory");
        return abs;
    }

    /**
     * Checks a hypervisor socket before a client connects to it (and hands it a secret or its commands): it must be a
     * socket owned by this user or root, in a directory owned by this user or root that others cannot write to (unless
     * sticky, as {@code /tmp}). So a socket planted by another user in a predictable run directory is never trusted.
     */
    public static void checkServerSocket(Path socket) throws IOException {
        Path abs = socket.toAbsolutePath().normalize();
        if (!Files.exists(abs, NOFOLLOW)) return; // connect(2) reports the missing socket itself
        if (Files.isSymbolicLink(abs)) throw new UnsafePathException("socket " + abs + " is a symbolic link; refusing to connect");
        int owner = ownerUid(abs);
        if (owner != uid() && owner != 0)
            throw new UnsafePathException("socket " + abs + " belongs to uid " + owner + ", not to you (uid " + uid()
                    + ") or root: refusing to connect to another user's hypervisor");
        Path dir = abs.getParent();
        if (dir == null) return;
        int dirOwner = ownerUid(dir);
        int m = mode(dir);
        if (dirOwner != uid() && dirOwner != 0)
            throw new UnsafePathException("directory " + dir + " of socket " + abs + " belongs to uid " + dirOwner + "; refusing to connect");
        if ((m & S_IWGRP_IWOTH) != 0 && (m & 01000) == 0)
            throw new UnsafePathException("directory " + dir + " of socket " + abs + " is writable by others (mode "
                    + octal(m & 07777) + "); refusing to connect");
    }

    private static void checkOwnDir(Path abs, String what) throws IOException { checkDir(abs, what, uid()); }

    private static void checkDir(Path abs, String what, int wantUid) throws IOException {
        if (Files.isSymbolicLink(abs))
            throw new UnsafePathException(what + " " + abs + " is a symbolic link; refusing to use it (remove it or choose another --run-dir)");
        if (!Files.isDirectory(abs, NOFOLLOW))
            throw new UnsafePathException(what + " " + abs + " exists and is not a directory");
        int owner = ownerUid(abs);
        if (wantUid >= 0 && owner != wantUid)
            throw new UnsafePathException(what + " " + abs + " is owned by uid " + owner + ", not by you (uid " + wantUid
                    + "): another user may have created it to read or replace Fallow's files; remove it or choose another --run-dir");
        int m = mode(abs);
        if ((m & S_IWGRP_IWOTH) != 0)
            throw new UnsafePathException(what + " " + abs + " is group- or world-writable (mode " + octal(m & 07777)
                    + "); refusing to use it (chmod 700 it or choose another --run-dir)");
    }

    // ---- files --------------------------------------------------------------------------------------------------

    /** Creates a new 0600 file ({@code O_CREAT|O_EXCL|O_NOFOLLOW}), read-write; fails if anything exists there. */
    public static FileChannel createNew(Path file) throws IOException {
        return FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE,
                NOFOLLOW), FILE_ATTR);
    }

    /**
     * Removes whatever non-directory entry is at {@code file} (a link is removed, never its target) and creates a new
     * 0600 file there. For files Fallow owns by name in its own run directory (dom&lt;D&gt;.mem, rings).
     */
    public static FileChannel replace(Path file) throws IOException {
        deleteEntry(file);
        return createNew(file);
    }

    /**
     * Opens an existing file without following a link; it must be a regular file owned by this user (root: by
     * anyone), else {@link UnsafePathException}. {@code write} opens it read-write, else read-only.
     */
    public static FileChannel openExisting(Path file, boolean write) throws IOException {
        FileChannel ch = write
                ? FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE, NOFOLLOW)
                : FileChannel.open(file, StandardOpenOption.READ, NOFOLLOW);
        try {
            checkRegularOwned(file, isRoot() ? -1 : uid());
            return ch;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * Opens {@code file} for reading and writing, creating it 0600 if it is new; an existing one must be a regular
     * file owned by this user, its mode is set to 0600 and, with {@code truncate}, its contents dropped. Links are never
     * followed. For files at a path the user names (xenpaging's page file).
     */
    public static FileChannel openOrCreate(Path file, boolean truncate) throws IOException {
        try {
            return createNew(file);
        } catch (FileAlreadyExistsException e) {
            FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE, NOFOLLOW);
            try {
                checkRegularOwned(file, uid());
                Files.setPosixFilePermissions(file, FILE_MODE);
                if (truncate) ch.truncate(0);
                return ch;
            } catch (IOException | RuntimeException x) {
                ch.close();
                throw x;
            }
        }
    }

    /**
     * Makes sure {@code file} is a 0600 regular file of this user (created empty if missing, an existing one kept and
     * its mode set to 0600) and returns a redirect appending to it: for child processes' logs.
     */
    public static ProcessBuilder.Redirect appendRedirect(Path file) throws IOException {
        openOrCreate(file, false).close();
        return ProcessBuilder.Redirect.appendTo(file.toFile());
    }

    /** Like {@link #appendRedirect} but the file is emptied (a fresh log per run). */
    public static ProcessBuilder.Redirect truncateRedirect(Path file) throws IOException {
        openOrCreate(file, true).close();
        return ProcessBuilder.Redirect.appendTo(file.toFile());
    }

    /** An output stream appending to {@code file} (0600, created if missing, links not followed). */
    public static OutputStream appendStream(Path file) throws IOException {
        FileChannel ch = openOrCreate(file, false);
        ch.position(ch.size());
        return Channels.newOutputStream(ch);
    }

    /** An output stream to a fresh 0600 {@code file} (whatever was there is replaced, links not followed). */
    public static OutputStream newStream(Path file) throws IOException {
        return Channels.newOutputStream(replace(file));
    }

    /**
     * Writes {@code data} to {@code file} atomically: a new 0600 temporary file in the same directory, then renamed over
     * {@code file} (a rename replaces a link, never writes through it). Readers see the old or the new content.
     */
    public static void writeAtomically(Path file, byte[] data) throws IOException {
        writeAtomically(file, tmp -> {
            try (FileChannel ch = FileChannel.open(tmp.toPath(), StandardOpenOption.WRITE, NOFOLLOW)) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(data);
                while (b.hasRemaining()) ch.write(b);
                ch.force(false);
            }
        });
    }

    /** Something that writes a whole file by name (a library's {@code save(File)}). */
    @FunctionalInterface
    public interface FileWriter {
        void write(java.io.File file) throws IOException;
    }

    /**
     * Lets {@code writer} fill a new, empty 0600 temporary file next to {@code file}, then renames it over
     * {@code file}: for libraries that only write to a {@code File} they open themselves.
     */
    public static void writeAtomically(Path file, FileWriter writer) throws IOException {
        Path abs = file.toAbsolutePath();
        Path tmp = abs.resolveSibling("." + abs.getFileName() + ".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        createNew(tmp).close();
        try {
            writer.write(tmp.toFile());
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** {@link #writeAtomically(Path, byte[])} of UTF-8 text. */
    public static void writeAtomically(Path file, String text) throws IOException {
        writeAtomically(file, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Removes the entry at {@code file} (a link itself, never its target); a directory there is an error. */
    public static void deleteEntry(Path file) throws IOException {
        if (Files.isDirectory(file, NOFOLLOW)) throw new UnsafePathException(file + " is a directory; refusing to replace it");
        Files.deleteIfExists(file);
    }

    /** How many levels of directories below its top {@link #deleteTree} descends (a scratch or run directory has one or two). */
    public static final int MAX_TREE_DEPTH = 32;

    /**
     * Removes the directory {@code dir} and everything in it, never following a symbolic link: a link inside is
     * removed itself, and {@code dir} itself given as a link or a file removes just that entry. Each directory is
     * read and emptied through its open descriptor (a {@link SecureDirectoryStream}: {@code openat}/{@code unlinkat}),
     * so swapping a subdirectory for a link while the walk runs cannot make it delete outside the tree. Nothing there
     * is no error. Refuses (and leaves the rest) below {@link #MAX_TREE_DEPTH} levels. For scratch and run
     * directories that Fallow made; the one way its modules delete a tree.
     */
    public static void deleteTree(Path dir) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(dir, BasicFileAttributes.class, NOFOLLOW);
        } catch (NoSuchFileException e) {
            return;
        }
        if (a.isDirectory()) {
            try (DirectoryStream<Path> top = Files.newDirectoryStream(dir)) {
                if (!(top instanceof SecureDirectoryStream<Path> secure))
                    throw new IOException("this platform has no secure directory stream; not deleting " + dir);
                emptyDirectory(secure, dir, 0);
            }
        }
        Files.deleteIfExists(dir);
    }

    /**
     * {@link #deleteTree} for clean-up paths that must not fail (a bench's or test's scratch directory): true if the
     * tree is gone, false (and what was left stays) if something could not be removed.
     */
    public static boolean deleteTreeQuietly(Path dir) {
        if (dir == null) return true;
        try {
            deleteTree(dir);
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static void emptyDirectory(SecureDirectoryStream<Path> d, Path where, int depth) throws IOException {
        if (depth > MAX_TREE_DEPTH) throw new IOException(where + " is more than " + MAX_TREE_DEPTH + " levels deep; not deleting below it");
        for (Path entry : d) {
            Path name = entry.getFileName();
            BasicFileAttributes a = d.getFileAttributeView(name, BasicFileAttributeView.class, NOFOLLOW).readAttributes();
            if (a.isDirectory()) {
                try (SecureDirectoryStream<Path> sub = d.newDirectoryStream(name, NOFOLLOW)) {
                    emptyDirectory(sub, where.resolve(name), depth + 1);
                }
                d.deleteDirectory(name);
            } else {
                d.deleteFile(name);
            }
        }
    }

    /**
     * Removes {@code file} only if it is a regular file (not a link) owned by this user; returns whether it did.
     * For cleaning up what a dead process left.
     */
    public static boolean deleteIfOwnedRegular(Path file) throws IOException {
        try {
            if (!Files.isRegularFile(file, NOFOLLOW) || ownerUid(file) != uid()) return false;
            return Files.deleteIfExists(file);
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    /**
     * Checks that {@code file} (not followed) is a regular file owned by {@code wantUid} (-1: anyone); else
     * {@link UnsafePathException}.
     */
    public static void checkRegularOwned(Path file, int wantUid) throws IOException {
        if (Files.isSymbolicLink(file)) throw new UnsafePathException(file + " is a symbolic link; refusing to follow it");
        if (!Files.isRegularFile(file, NOFOLLOW)) throw new UnsafePathException(file + " is not a regular file");
        int owner = ownerUid(file);
        if (wantUid >= 0 && owner != wantUid)
            throw new UnsafePathException(file + " is owned by uid " + owner + ", not by uid " + wantUid);
    }

    /**
     * {@code file} as an entry directly inside {@code dir} with no symbolic link anywhere on the way (both resolved
     * with {@link Path#toRealPath}): else {@link UnsafePathException}. For paths a client names (arenas).
     */
    public static Path requireDirectlyInside(Path dir, Path file) throws IOException {
        Path realDir = dir.toRealPath();
        Path abs = file.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        if (parent == null || !Files.isDirectory(parent) || !parent.toRealPath().equals(realDir))
            throw new UnsafePathException(file + " is not inside the run directory " + dir);
        Path entry = realDir.resolve(abs.getFileName());
        if (Files.isSymbolicLink(entry)) throw new UnsafePathException(file + " is a symbolic link; refusing to follow it");
        return entry;
    }

    /** The permission bits of {@code p} (not followed) as a set. */
    public static Set<PosixFilePermission> permissions(Path p) throws IOException {
        return new HashSet<>(Files.getPosixFilePermissions(p, NOFOLLOW));
    }

    static String octal(int bits) { return String.format("0%o", bits); }

    /** Extra open options that go with every open here (exposed for callers that must pass options themselves). */
    public static OpenOption noFollow() { return NOFOLLOW; }
}
