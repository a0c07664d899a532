package org.fallow.cli.bench;

import java.nio.file.Path;

/** The {@code ./fallow} launcher that started this JVM (it sets {@code -Dfallow.home}), for benches that run commands as a user would. */
final class LauncherPath {
    private LauncherPath() {}

    /** {@code <fallow.home>/fallow}; outside the launcher there is none, and that is an error. */
    static Path get() {
        String home = System.getProperty("fallow.home");
        if (home == null) throw new IllegalStateException("run it through ./fallow (fallow.home is not set)");
        return Path.of(home, "fallow");
    }
}
