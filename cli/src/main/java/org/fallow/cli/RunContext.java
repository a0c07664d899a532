package org.fallow.cli;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where the hypervisor's run directory and socket are: {@code --run-dir}, else {@code $FALLOW_RUN_DIR}, else
 * {@code /tmp/fallow-$USER}; the socket is {@code --socket}, else {@code <run dir>/hypervisor.sock} (PROTOCOL.md).
 * The resolved values are also published as the system properties {@code fallow.run.dir} and {@code fallow.socket}
 * so that commands contributed by other modules see the same values as the global options.
 */
public record RunContext(Path runDir, Path socket) {
    public static final String RUN_DIR_PROPERTY = "fallow.run.dir";
    public static final String SOCKET_PROPERTY = "fallow.socket";
    public static final String SOCKET_NAME = org.fallow.abi.wire.RunDirectory.SOCKET_NAME;

    public static RunContext resolve(Path runDirOption, Path socketOption, Map<String, String> env) {
        Path runDir = runDirOption != null ? runDirOption : defaultRunDir(env);
        Path socket = socketOption != null ? socketOption : runDir.resolve(SOCKET_NAME);
        return new RunContext(runDir.toAbsolutePath().normalize(), socket.toAbsolutePath().normalize());
    }

    /** The run directory used when no option is given: {@code $FALLOW_RUN_DIR} or {@code /tmp/fallow-$USER}. */
    public static Path defaultRunDir(Map<String, String> env) { return org.fallow.abi.wire.RunDirectory.defaultRunDir(env); }

    /** Makes the resolved values visible to commands of other modules (they read the system properties). */
    public RunContext publish() {
        System.setProperty(RUN_DIR_PROPERTY, runDir.toString());
        System.setProperty(SOCKET_PROPERTY, socket.toString());
        return this;
    }

    /** The context published by the root command (or resolved from the environment when run without it). */
    public static RunContext current() {
        String dir = System.getProperty(RUN_DIR_PROPERTY);
        String sock = System.getProperty(SOCKET_PROPERTY);
        return resolve(dir == null ? null : Path.of(dir), sock == null ? null : Path.of(sock), System.getenv());
    }
}
