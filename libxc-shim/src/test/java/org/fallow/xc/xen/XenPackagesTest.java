package org.fallow.xc.xen;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The package cache's layout rules, tool lookup and its error without apt (no network: a fake unpacked tree). */
class XenPackagesTest {
    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    @Test
    void cacheDirFollowsTheContract() {
        assertEquals(Path.of("/c/x"), XenPackages.cacheDir(Map.of("FALLOW_XEN_CACHE", "/c/x", "HOME", "/h")));
        assertEquals(Path.of("/x/fallow/xen-4.17"), XenPackages.cacheDir(Map.of("XDG_CACHE_HOME", "/x", "HOME", "/h")));
        assertEquals(Path.of("/h/.cache/fallow/xen-4.17"), XenPackages.cacheDir(Map.of("HOME", "/h")));
    }

    @Test
    void withoutAptGetTheErrorSaysWhatIsNeeded(@TempDir Path tmp) {
        XenPackages pkgs = new XenPackages(tmp.resolve("cache"), QUIET, tmp.resolve("empty-bin").toString());
        XenPackages.UnavailableException e = assertThrows(XenPackages.UnavailableException.class, pkgs::ensure);
        assertTrue(e.getMessage().contains("apt-get"), e.getMessage());
        assertTrue(e.getMessage().contains("xenstore-utils"), e.getMessage());
        assertFalse(pkgs.complete());
    }

    @Test
    void aCompleteStampIsReusedWithoutFetching(@TempDir Path tmp) throws Exception {
        Path cache = tmp.resolve("cache");
        Path bin = fakeRoot(cache, XenPackages.PACKAGES);
        // no apt-get on the search path: ensure() must not need it
        XenPackages pkgs = new XenPackages(cache, QUIET, "");
        assertEquals(cache.resolve("root"), pkgs.ensure());
        assertEquals(bin.resolve("xenstore-read").toRealPath(), pkgs.tool("xenstore-read").orElseThrow().toRealPath());
    }

    @Test
    void anIncompleteStampMeansFetchAgain(@TempDir Path tmp) throws Exception {
        Path cache = tmp.resolve("cache");
        fakeRoot(cache, XenPackages.PACKAGES.subList(0, 3));
        XenPackages pkgs = new XenPackages(cache, QUIET, "");
        assertFalse(pkgs.complete());
        assertThrows(XenPackages.UnavailableException.class, pkgs::ensure);
    }

    @Test
    void toolsOutsideTheTreeAndDebiansWrapperAreNotRun(@TempDir Path tmp) throws Exception {
        Path cache = tmp.resolve("cache");
        Path bin = fakeRoot(cache, XenPackages.PACKAGES);
        Path outside = Files.createFile(tmp.resolve("evil"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.createSymbolicLink(bin.resolve("escape"), outside);
        Path wrapperDir = Files.createDirectories(cache.resolve("root/usr/lib/xen-common/bin"));
        Path wrapper = Files.createFile(wrapperDir.resolve("xen-utils-wrapper"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.createSymbolicLink(bin.resolve("xen-cpuid"), wrapper);
        XenPackages pkgs = new XenPackages(cache, QUIET, "");
        assertTrue(pkgs.tool("escape").isEmpty());
        assertTrue(pkgs.tool("xen-cpuid").isEmpty());
        assertTrue(pkgs.tool("no-such-tool").isEmpty());
        assertThrows(IllegalArgumentException.class, () -> pkgs.tool("../../evil"));
        assertEquals(List.of("xenstore-read"), pkgs.tools());
    }

    @Test
    void theToolEnvironmentNamesTheLibrariesAndTheXenstoredSocket() {
        Map<String, String> env = XenCommand.environment(Path.of("/c/root"), Path.of("/run/d"), Map.of("LD_LIBRARY_PATH", "/old"));
        assertEquals("/c/root/usr/lib/x86_64-linux-gnu:/old", env.get("LD_LIBRARY_PATH"));
        assertEquals("/run/d/xenstored.sock", env.get("XENSTORED_PATH"));
    }

    /** An unpacked tree with one executable tool and a stamp listing {@code stamped}; returns root/usr/bin. */
    private static Path fakeRoot(Path cache, List<String> stamped) throws Exception {
        Path bin = Files.createDirectories(cache.resolve("root/usr/bin"));
        Files.createFile(bin.resolve("xenstore-read"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.write(cache.resolve("root").resolve(XenPackages.STAMP), stamped);
        return bin;
    }
}
