package org.fallow.xc.xen;

import org.fallow.abi.process.SearchPath;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The privcmd bridge: {@code fallow_xen_bridge.c} (shipped in this jar, source in {@code libxc-shim/src/main/c}) is
 * compiled with the system gcc on first use into {@code <cache>/bridge/libfallow-xen-bridge-<sha>.so} (the cache of
 * {@link XenPackages}; directory 0700, library 0700; the name carries the source's SHA-256, so an edited source is
 * rebuilt and a stale library is never used) and preloaded into Debian's real Xen tools. {@link #environment} is
 * what a tool needs besides {@code LD_LIBRARY_PATH}/{@code XENSTORED_PATH}.
 */
public final class XenBridge {
    public static final String SOURCE = "fallow_xen_bridge.c";
    /** Environment read by the bridge (see the C source's header comment). */
    public static final String ENV_SOCKET = "FALLOW_SOCKET", ENV_RUN_DIR = "FALLOW_RUN_DIR", ENV_ETC = "FALLOW_XEN_ETC",
            ENV_STRICT = "FALLOW_BRIDGE_STRICT_RESPONSES", ENV_TRACE = "FALLOW_BRIDGE_TRACE";
    /** The bridge's log in the run directory: one line per unserved call (once each), connection events. */
    public static final String LOG_NAME = "xen-bridge.log";
    private static final long GCC_TIMEOUT_SECONDS = 300;

    private XenBridge() {}

    /** The bridge's C source as shipped. */
    public static byte[] source() throws IOException {
        try (InputStream in = XenBridge.class.getResourceAsStream(SOURCE)) {
            if (in == null) throw new IOException(SOURCE + " is missing from the class path (build libxc-shim)");
            return in.readAllBytes();
        }
    }

    /** Returns the compiled bridge under {@code cacheDir/bridge}, compiling it with gcc if needed. */
    public static Path ensureBuilt(Path cacheDir) throws IOException, InterruptedException {
        byte[] src = source();
        String sha = sha256(src).substring(0, 16);
        Path dir = cacheDir.resolve("bridge");
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        if (Files.isSymbolicLink(dir) || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS))
            throw new IOException(dir + " is not a directory (symlinks are refused)");
        Path so = dir.resolve("libfallow-xen-bridge-" + sha + ".so");
        if (Files.isRegularFile(so, LinkOption.NOFOLLOW_LINKS)) return so;
        if (!SearchPath.onPath("gcc")) throw new IOException("the privcmd bridge needs gcc to build (apt-get install gcc)");
        Path tmpSrc = Files.createTempFile(dir, "bridge-", ".c", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Path tmpSo = dir.resolve("tmp-" + ProcessHandle.current().pid() + "-" + sha + ".so");
        try {
            Files.write(tmpSrc, src);
            List<String> cmd = List.of("gcc", "-std=gnu11", "-O2", "-Wall", "-fPIC", "-shared", "-o", tmpSo.toString(),
                    tmpSrc.toString(), "-ldl", "-lpthread");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(GCC_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("gcc did not finish compiling the bridge in " + GCC_TIMEOUT_SECONDS + " s");
            }
            if (p.exitValue() != 0) throw new IOException("gcc failed to compile the bridge:\n" + out);
            Files.setPosixFilePermissions(tmpSo, PosixFilePermissions.fromString("rwx------"));
            Files.move(tmpSo, so, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return so;
        } finally {
            Files.deleteIfExists(tmpSrc);
            Files.deleteIfExists(tmpSo);
        }
    }

    /**
     * The bridge's part of a real tool's environment: {@code LD_PRELOAD} of {@code bridge} (ahead of any preload the
     * caller had), the hypervisor socket and run dir, and the packages' {@code etc/xen} for {@code /etc/xen}.
     * {@code strictResponses}: do not ask for the vm_event response-version compatibility (PROTOCOL §2.1).
     */
    public static Map<String, String> environment(Path bridge, Path runDir, Path socket, Path packageRoot,
                                                  boolean strictResponses, Map<String, String> env) {
        Map<String, String> out = new LinkedHashMap<>();
        String old = env.get("LD_PRELOAD");
        out.put("LD_PRELOAD", old == null || old.isBlank() ? bridge.toString() : bridge + ":" + old);
        out.put(ENV_SOCKET, socket.toString());
        out.put(ENV_RUN_DIR, runDir.toString());
        if (packageRoot != null) out.put(ENV_ETC, packageRoot.resolve("etc/xen").toString());
        if (strictResponses) out.put(ENV_STRICT, "1");
        return out;
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
