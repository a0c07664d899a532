package org.fallow.hypervisor;

import org.fallow.abi.fs.SafeFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code fallow hypervisor}: runs the hypervisor process until SIGTERM/SIGINT, then closes every connection and removes the socket. */
@Command(name = "hypervisor", mixinStandardHelpOptions = true,
        description = "Run the emulated Xen hypervisor on a Unix domain socket.")
public final class HypervisorMain implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(HypervisorMain.class);

    @Option(names = "--run-dir", description = "Run directory (domain memory files, arenas). Default: $FALLOW_RUN_DIR or /tmp/fallow-$USER.")
    Path runDir;

    @Option(names = "--socket", description = "Socket path. Default: <run-dir>/hypervisor.sock.")
    Path socket;

    @Option(names = "--host-mem", description = "Host memory in MiB (default: ${DEFAULT-VALUE}).", defaultValue = "2048")
    long hostMemMiB;

    @Option(names = "--threads", hidden = true, defaultValue = "1",
            description = "Ignored: I/O and dispatch run on one event loop (kept so old scripts still start).")
    int threads;

    /** The default run directory: $FALLOW_RUN_DIR, else /tmp/fallow-$USER. */
    public static Path defaultRunDir() { return org.fallow.abi.wire.RunDirectory.defaultRunDir(); }

    /** The default socket: $FALLOW_RUN_DIR/hypervisor.sock (run dir default /tmp/fallow-$USER). */
    public static Path defaultSocket() { return org.fallow.abi.wire.RunDirectory.defaultSocket(); }

    @Override public Integer call() throws Exception {
        // Netty's buffer leak detector samples allocations with a stack trace each: a measurable cost per request on
        // the hypercall path; keep it for whoever asks for it explicitly
        if (System.getProperty("io.netty.leakDetection.level") == null)
            io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.DISABLED);
        Path dir = runDir != null ? runDir : defaultRunDir();
        Path sock = socket != null ? socket : dir.resolve(org.fallow.abi.wire.RunDirectory.SOCKET_NAME);
        if (hostMemMiB <= 0) throw new CommandLine.ParameterException(new CommandLine(this), "--host-mem must be positive");
        dir = SafeFiles.ensurePrivateDir(dir); // 0700, ours, not a link: else a one-line refusal (docs/SECURITY.md)
        // quiet by default: the log goes to <run-dir>/logs/hypervisor.log (./fallow -v: stderr)
        Path logFile = org.fallow.abi.tools.ProcessLog.toRunDir(dir, "hypervisor");
        Hypervisor hv = Hypervisor.create(hostMemMiB, dir);
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            log.info("shutting down");
            hv.close();
            stopped.countDown();
        }, "hv-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        hv.serve(sock);
        if (logFile != null)
            System.out.println("fallow hypervisor: listening on " + sock + " (pid " + ProcessHandle.current().pid() + ", host "
                    + hostMemMiB + " MiB); log: " + logFile + " (./fallow -v hypervisor to log here)");
        log.info("fallow hypervisor up: pid {}, socket {}, run dir {}, host memory {} MiB ({} pages)",
                ProcessHandle.current().pid(), sock, dir, hostMemMiB, hv.core().host().totalPages());
        // guest memory is files in the run directory: say so when a disk would hold it, or too little space would
        for (String w : org.fallow.abi.fs.MemoryFileStore.runDirWarnings(dir, hostMemMiB << 20)) {
            log.warn(w);
            if (logFile != null) System.out.println("fallow hypervisor: note: " + w);
        }
        hv.server().awaitClose();
        stopped.await();
        return 0;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new HypervisorMain()).execute(args));
    }
}
