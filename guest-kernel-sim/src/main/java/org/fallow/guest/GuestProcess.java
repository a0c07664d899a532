package org.fallow.guest;

import org.fallow.abi.process.ChildJvm;
import org.fallow.abi.fs.SafeFiles;
import org.fallow.abi.fs.Secrets;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@link GuestMain} ({@code ./fallow guest}) in a child JVM (same java, same class path) for the demo and
 * end-to-end tests. Output (progress lines, then the statistics JSON) goes to {@code log}, or is readable from
 * {@link #process()} when {@code log} is null.
 */
public final class GuestProcess implements AutoCloseable {
    /** JVM options for guest children: quick start-up and a small footprint on a shared machine. */
    public static final List<String> JVM_OPTS = ChildJvm.SMALL;

    private final Process process;
    private final int domid;

    private GuestProcess(Process process, int domid) {
        this.process = process;
        this.domid = domid;
    }

    /** Starts a guest of domain {@code domid} (handle = its secret) on {@code socket} with extra GuestMain options. */
    public static GuestProcess start(Path socket, int domid, byte[] handle, Path log, List<String> guestArgs) throws IOException {
        List<String> args = new ArrayList<>(List.of("--domid", Integer.toString(domid), "--socket", socket.toString()));
        args.addAll(guestArgs);
        ProcessBuilder pb = ChildJvm.builder(JVM_OPTS, GuestMain.class.getName(), args).redirectErrorStream(true);
        pb.environment().put(Secrets.ENV, HexFormat.of().formatHex(handle)); // not argv: ps shows argv to everyone
        if (log != null) pb.redirectOutput(SafeFiles.truncateRedirect(log));
        return new GuestProcess(pb.start(), domid);
    }

    public Process process() { return process; }

    public int domid() { return domid; }

    /** Waits for the guest to finish; its exit status (0 done, 3 domain died), or -1 on timeout. */
    public int await(long timeout, TimeUnit unit) throws InterruptedException {
        return process.waitFor(timeout, unit) ? process.exitValue() : -1;
    }

    /** SIGKILL, as a crashing guest process. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    @Override public void close() {
        if (!process.isAlive()) return;
        try {
            kill();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
