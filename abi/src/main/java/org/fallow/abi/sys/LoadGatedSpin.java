package org.fallow.abi.sys;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The machine's {@link SpinPolicy}: whether a thread about to block for its peer (the hypervisor's event loop after it answered, a client waiting for
 * its reply) should first poll for a bounded while: the user-space counterpart of KVM's halt-polling and of Aeron's
 * spin-then-park idle strategies.
 * <p>
 * Why: on a VM whose guest does not halt-poll (this machine's {@code haltpoll} governor has
 * {@code guest_halt_poll_ns=0}), a vCPU with nothing to run halts, and waking it costs the host's wake-up: a 64-byte
 * ping-pong between two processes takes ~60 µs when both block, ~5 µs when both poll. Why bounded and gated: a
 * poller holds a CPU its peer may need. It is only worth it when
 * <ul>
 *   <li>this thread may run on two CPUs or more (pinned with its peer to one core, polling only delays the peer), and
 *   <li>nothing is waiting for a CPU: the machine's runnable count ({@code /proc/loadavg}, this thread included) is at
 *       most its CPU count. At load 13 on 2 vCPUs, polling 50-100 µs made a C ping-pong 20-100x slower (pollers lose
 *       the shared cores), so then it is off;
 * </ul>
 * and then for at most {@link #WINDOW_NANOS} per wait. Both are looked at again at most every
 * {@link #RECHECK_NANOS}. {@code -Dfallow.spinMicros=0} turns polling off.
 */
final class LoadGatedSpin implements SpinPolicy {
    /** The one instance ({@link SpinPolicy#system}). */
    static final LoadGatedSpin INSTANCE = new LoadGatedSpin();

    private LoadGatedSpin() {}

    /** The longest a wait polls before it blocks: {@code -Dfallow.spinMicros} (default 200, as KVM's halt_poll_ns), 0 = off. */
    static final long WINDOW_NANOS = Math.max(0, Long.getLong("fallow.spinMicros", 200)) * 1_000;
    /** How stale the gate's reading may be. */
    static final long RECHECK_NANOS = 2_000_000;

    private static final Path LOADAVG = Path.of("/proc/loadavg");
    private static final int ONLINE_CPUS = onlineCpus();

    private volatile long checkedAt = System.nanoTime() - 2 * RECHECK_NANOS;
    private volatile boolean open;

    @Override
    public long windowNanos() { return WINDOW_NANOS; }

    @Override
    public boolean mayPoll(long now) {
        if (WINDOW_NANOS == 0) return false;
        if (now - checkedAt > RECHECK_NANOS) {
            open = Runtime.getRuntime().availableProcessors() >= 2 && runnable() <= ONLINE_CPUS;
            checkedAt = now;
        }
        return open;
    }

    /** The runnable scheduling entities now (loadavg's fourth field, "R/T"), or MAX_VALUE if it cannot be read. */
    static int runnable() {
        try (FileChannel ch = FileChannel.open(LOADAVG, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(128);
            ch.read(b);
            return parseRunnable(new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII));
        } catch (IOException | RuntimeException e) {
            return Integer.MAX_VALUE;
        }
    }

    /** The R of "0.00 0.01 0.05 R/T last-pid", or MAX_VALUE for anything else. */
    static int parseRunnable(String loadavg) {
        String[] f = loadavg.trim().split(" ");
        if (f.length < 4) return Integer.MAX_VALUE;
        int slash = f[3].indexOf('/');
        if (slash <= 0) return Integer.MAX_VALUE;
        try {
            return Integer.parseInt(f[3], 0, slash, 10);
        } catch (NumberFormatException e) {
            return Integer.MAX_VALUE;
        }
    }

    /** CPUs online ("0-1", "0,2-3" in /sys/devices/system/cpu/online), else the JVM's count. */
    static int onlineCpus() {
        try {
            return countCpuList(Files.readString(Path.of("/sys/devices/system/cpu/online")).trim());
        } catch (IOException | RuntimeException e) {
            return Runtime.getRuntime().availableProcessors();
        }
    }

    /** The number of CPUs in a kernel cpu list such as "0-3,6,8-9". */
    static int countCpuList(String list) {
        int n = 0;
        for (String part : list.split(",")) {
            int dash = part.indexOf('-');
            n += dash < 0 ? 1 : Integer.parseInt(part.substring(dash + 1)) - Integer.parseInt(part.substring(0, dash)) + 1;
        }
        return n;
    }
}
