package org.fallow.abi.wire;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where a hypervisor listens when no path is given (docs/PROTOCOL.md): the run directory is {@code $FALLOW_RUN_DIR},
 * else {@code /tmp/fallow-$USER}; the socket is {@code hypervisor.sock} in it. One rule for the server and every client.
 */
public final class RunDirectory {
    public static final String SOCKET_NAME = "hypervisor.sock";
    /** xenstored's own protocol (raw xsd_sockmsg, PROTOCOL.md "xenstored.sock"): what XENSTORED_PATH names. */
    public static final String XENSTORED_SOCKET_NAME = "xenstored.sock";

    private RunDirectory() {}

    /** The default run directory for this process's environment. */
    public static Path defaultRunDir() { return defaultRunDir(System.getenv()); }

    /** The default run directory for {@code env} ({@code FALLOW_RUN_DIR}, else {@code /tmp/fallow-$USER}). */
    public static Path defaultRunDir(Map<String, String> env) {
        String fromEnv = env.get("FALLOW_RUN_DIR");
        if (fromEnv != null && !fromEnv.isBlank()) return Path.of(fromEnv);
        String user = env.get("USER");
        if (user == null || user.isBlank()) user = System.getProperty("user.name", "user");
        return Path.of("/tmp", "fallow-" + user);
    }

    /** The default socket: {@code <default run dir>/hypervisor.sock}. */
    public static Path defaultSocket() { return defaultRunDir().resolve(SOCKET_NAME); }
}
