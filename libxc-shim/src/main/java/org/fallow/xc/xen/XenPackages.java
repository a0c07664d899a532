package org.fallow.xc.xen;

import org.fallow.abi.process.SearchPath;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import org.fallow.abi.fs.SafeFiles;

import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The cache of Debian's Xen 4.17 user-space packages that {@code ./fallow xen TOOL} runs from (HELPERS.md contract):
 * <pre>
 *   $FALLOW_XEN_CACHE (else ${XDG_CACHE_HOME:-$HOME/.cache}/fallow/xen-4.17), 0700
 *     debs/           the .deb files, fetched with `apt-get download` (cwd = debs/)
 *     root/           `dpkg-deb -x` of every .deb: root/usr/bin, root/usr/lib/xen-4.17/bin, root/usr/lib/x86_64-linux-gnu
 *     root/.complete  the packages unpacked, one a line; missing or incomplete -> fetched and unpacked again
 *     fetch.log       apt-get's and dpkg-deb's output of the last fetch
 * </pre>
 * Nothing is installed system-wide and nothing comes from outside Debian's package registry. Concurrent
 * {@link #ensure()} calls (parallel tests, two shells) serialise on {@code .lock} in the cache directory; the tree is
 * unpacked into {@code root.new} and renamed into place, so a reader never sees half a tree.
 */
public final class XenPackages {
    /** The packages of the contract: the tools, their Xen libraries and what they need that a plain Debian lacks. */
    public static final List<String> PACKAGES = List.of(
            "xenstore-utils", "libxenstore4", "xen-utils-4.17", "libxenmisc4.17", "libxencall1", "libxenevtchn1",
            "libxenforeignmemory1", "libxengnttab1", "libxendevicemodel1", "libxenhypfs1", "libxentoolcore1",
            "libxentoollog1", "xen-utils-common", "libyajl2");

    public static final String CACHE_ENV = "FALLOW_XEN_CACHE";
    public static final String STAMP = ".complete";
    /** Where the binaries live inside root/, in the order a tool name is looked up. */
    public static final List<String> BIN_DIRS = List.of("usr/lib/xen-4.17/bin", "usr/bin", "usr/sbin");
    public static final String LIB_DIR = "usr/lib/x86_64-linux-gnu";

    /** Bounds on the child processes (a hung mirror must not hang the build forever). */
    private static final long APT_TIMEOUT_MINUTES = 10;
    private static final long DPKG_TIMEOUT_MINUTES = 2;

    /** The packages could not be fetched or unpacked; the message says why and what to do. */
    public static final class UnavailableException extends IOException {
        public UnavailableException(String msg) { super(msg); }
    }

    private final Path cache;
    private final PrintStream say;
    private final String searchPath;

    public XenPackages(Path cache, PrintStream say) { this(cache, say, System.getenv("PATH")); }

    /** As {@link #XenPackages(Path, PrintStream)}, looking for apt-get and dpkg-deb in {@code searchPath} (a $PATH). */
    XenPackages(Path cache, PrintStream say, String searchPath) {
        this.cache = cache.toAbsolutePath().normalize();
        this.say = say;
        this.searchPath = searchPath == null ? "" : searchPath;
    }

    /** The cache of the environment {@code env} ({@link #cacheDir}); progress lines go to {@code say}. */
    public static XenPackages fromEnvironment(Map<String, String> env, PrintStream say) {
        return new XenPackages(cacheDir(env), say);
    }

    /** $FALLOW_XEN_CACHE, else ${XDG_CACHE_HOME:-$HOME/.cache}/fallow/xen-4.17. */
    public static Path cacheDir(Map<String, String> env) {
        String own = env.get(CACHE_ENV);
        if (own != null && !own.isBlank()) return Path.of(own);
        String xdg = env.get("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg)
                : Path.of(env.getOrDefault("HOME", System.getProperty("user.home")), ".cache");
        return base.resolve("fallow").resolve("xen-4.17");
    }

    public Path cache() { return cache; }

    public Path root() { return cache.resolve("root"); }

    /** True if root/ holds every package of {@link #PACKAGES} (its stamp lists them all). */
    public boolean complete() {
        Path stamp = root().resolve(STAMP);
        try {
            if (!Files.isRegularFile(stamp, LinkOption.NOFOLLOW_LINKS)) return false;
            List<String> done = Files.readAllLines(stamp, StandardCharsets.UTF_8);
            return done.containsAll(PACKAGES);
        } catch (IOException e) {
            return false;
        }
    }

    /** Fetches and unpacks the packages unless the cache is complete; returns root/. */
    public Path ensure() throws IOException {
        if (complete()) return root();
        SafeFiles.ensurePrivateDir(cache);
        try (FileChannel lockFile = SafeFiles.openOrCreate(cache.resolve(".lock"), false);
             FileLock ignored = lockFile.lock()) {
            if (complete()) return root(); // another process fetched while we waited
            fetchAndUnpack();
        }
        return root();
    }

    /** The binary {@code name} in root/ ({@link #BIN_DIRS} in order); empty if no package ships it. */
    public Optional<Path> tool(String name) throws IOException {
        if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals(".."))
            throw new IllegalArgumentException("not a tool name: " + name);
        Path root = root().toRealPath();
        for (String dir : BIN_DIRS) {
            Path p = root.resolve(dir).resolve(name);
            if (!Files.isRegularFile(p) || !Files.isExecutable(p)) continue;
            // a symlink out of the unpacked tree (e.g. Debian's xen-utils-wrapper looking for a system-wide install)
            // would run something else than the package's binary
            if (!p.toRealPath().startsWith(root)) continue;
            if (isWrapperScript(p)) continue;
            return Optional.of(p);
        }
        return Optional.empty();
    }

    /** Debian's {@code /usr/lib/xen-common/bin/xen-utils-wrapper} picks a system-wide Xen; the cache has none. */
    private static boolean isWrapperScript(Path p) throws IOException {
        return p.toRealPath().getFileName().toString().equals("xen-utils-wrapper");
    }

    /** The names of the tools in root/ (for the usage message). */
    public List<String> tools() throws IOException {
        List<String> out = new ArrayList<>();
        for (String dir : BIN_DIRS) {
            Path d = root().resolve(dir);
            if (!Files.isDirectory(d)) continue;
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(d)) {
                for (Path p : ds) {
                    String n = p.getFileName().toString();
                    if (!out.contains(n) && tool(n).isPresent()) out.add(n);
                }
            }
        }
        out.sort(null);
        return out;
    }

    // ---- fetching ----------------------------------------------------------------------------------------------

    private void fetchAndUnpack() throws IOException {
        if (!SearchPath.contains(searchPath, "apt-get") || !SearchPath.contains(searchPath, "dpkg-deb"))
            throw new UnavailableException("cannot fetch Debian's Xen 4.17 packages: apt-get and dpkg-deb are needed "
                    + "(a Debian or Ubuntu system with bookworm's packages); or unpack " + String.join(" ", PACKAGES)
                    + " with dpkg-deb -x into " + root() + " and list them in " + root().resolve(STAMP));
        Path debs = cache.resolve("debs");
        SafeFiles.ensurePrivateDir(debs);
        Path log = cache.resolve("fetch.log");
        SafeFiles.newStream(log).close(); // a fresh 0600 log (never through a link)
        List<String> missing = missingDebs(debs);
        if (!missing.isEmpty()) {
            say.println("fallow xen: fetching Debian's Xen 4.17 packages with apt-get download into " + debs + ": "
                    + String.join(" ", missing));
            List<String> cmd = new ArrayList<>(List.of("apt-get", "download", "-q"));
            if ("root".equals(System.getProperty("user.name"))) {
                // apt's _apt sandbox user cannot write into a 0700 directory of root's; the download is still verified
                cmd.addAll(List.of("-o", "APT::Sandbox::User=root"));
            }
            cmd.addAll(missing);
            int rc = run(cmd, debs, log, APT_TIMEOUT_MINUTES);
            if (rc != 0 && "root".equals(System.getProperty("user.name"))) {
                say.println("fallow xen: apt-get download failed; running apt-get update once and retrying");
                run(List.of("apt-get", "update", "-q"), debs, log, APT_TIMEOUT_MINUTES);
                rc = run(cmd, debs, log, APT_TIMEOUT_MINUTES);
            }
            missing = missingDebs(debs);
            if (rc != 0 || !missing.isEmpty())
                throw new UnavailableException("apt-get download failed (exit " + rc + ") for " + String.join(" ", missing)
                        + "; see " + log + (rc != 0 ? " (as root, `apt-get update` may help)" : "") + "\n" + tail(log));
        }
        Path fresh = cache.resolve("root.new");
        SafeFiles.deleteTree(fresh);
        SafeFiles.ensurePrivateDir(fresh);
        List<String> unpacked = new ArrayList<>();
        for (String pkg : PACKAGES) {
            Path deb = debFor(debs, pkg).orElseThrow();
            int rc = run(List.of("dpkg-deb", "-x", deb.toString(), fresh.toString()), debs, log, DPKG_TIMEOUT_MINUTES);
            if (rc != 0) throw new UnavailableException("dpkg-deb -x " + deb + " failed (exit " + rc + "); see " + log + "\n" + tail(log));
            unpacked.add(pkg);
            say.println("fallow xen: unpacked " + deb.getFileName());
        }
        Files.setPosixFilePermissions(fresh, SafeFiles.DIR_MODE); // dpkg-deb -x gives the tree's top the package's 0755
        SafeFiles.writeAtomically(fresh.resolve(STAMP), String.join("\n", unpacked) + "\n");
        SafeFiles.deleteTree(root());
        Files.move(fresh, root(), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        say.println("fallow xen: Xen 4.17 user space ready in " + root());
    }

    private List<String> missingDebs(Path debs) throws IOException {
        List<String> missing = new ArrayList<>();
        for (String pkg : PACKAGES) if (debFor(debs, pkg).isEmpty()) missing.add(pkg);
        return missing;
    }

    /** debs/PKG_VERSION_ARCH.deb (the newest name if several versions were fetched over time). */
    private static Optional<Path> debFor(Path debs, String pkg) throws IOException {
        TreeMap<String, Path> found = new TreeMap<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(debs, pkg + "_*.deb")) {
            for (Path p : ds) if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) found.put(p.getFileName().toString(), p);
        }
        return found.isEmpty() ? Optional.empty() : Optional.of(found.lastEntry().getValue());
    }

    private int run(List<String> cmd, Path cwd, Path log, long timeoutMinutes) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true)
                .redirectOutput(SafeFiles.appendRedirect(log));
        pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
        pb.environment().put("PATH", searchPath);
        Process p = pb.start();
        try {
            if (!p.waitFor(timeoutMinutes, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new UnavailableException(String.join(" ", cmd) + " did not finish within " + timeoutMinutes + " minutes");
            }
            return p.exitValue();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + cmd.get(0), e);
        }
    }

    /** The last lines of the fetch log, for the error message (bounded). */
    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 8), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }
}
