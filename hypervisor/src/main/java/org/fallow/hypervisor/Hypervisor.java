package org.fallow.hypervisor;

import org.fallow.hypervisor.core.Domain;
import org.fallow.hypervisor.core.HostMemory;
import org.fallow.hypervisor.core.HypervisorCore;
import org.fallow.hypervisor.dispatch.GenericHypercalls;
import org.fallow.hypervisor.net.EventChannelHub;
import org.fallow.hypervisor.net.HypervisorServer;
import org.fallow.hypervisor.net.ServerLimits;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;

/**
 * A complete hypervisor: the core with the generic hypercalls, the event-channel hub and every {@link Subsystem}
 * found on the class path, optionally served on a Unix socket. Used by {@code HypervisorMain} and by in-process tests.
 */
public final class Hypervisor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Hypervisor.class);

    private final HypervisorCore core;
    private final Path runDir;
    private HypervisorServer server;
    private org.fallow.hypervisor.xenstored.XenstoredServer xenstored;

    private Hypervisor(HypervisorCore core, Path runDir) {
        this.core = core;
        this.runDir = runDir;
    }

    /** Builds a core of {@code hostMemMiB} with all subsystems installed (nothing is served yet). */
    public static Hypervisor create(long hostMemMiB, Path runDir) {
        HypervisorCore core = new HypervisorCore(HostMemory.ofMiB(hostMemMiB));
        core.runDir(runDir.toAbsolutePath());
        GenericHypercalls.install(core);
        core.eventChannels(new EventChannelHub());
        List<Subsystem> subsystems = ServiceLoader.load(Subsystem.class).stream().map(ServiceLoader.Provider::get)
                .sorted(Comparator.comparingInt(Subsystem::order)).toList();
        for (Subsystem s : subsystems) {
            s.install(core, runDir);
            core.keep(s);
            log.info("installed subsystem {}", s.name());
        }
        return new Hypervisor(core, runDir);
    }

    /** Starts serving on {@code socket} with the default {@link ServerLimits}. */
    public Hypervisor serve(Path socket) throws IOException, InterruptedException {
        return serve(socket, ServerLimits.defaults());
    }

    /** Starts serving on {@code socket}; all I/O and dispatch run on the core's one event loop. */
    public Hypervisor serve(Path socket, ServerLimits limits) throws IOException, InterruptedException {
        server = new HypervisorServer(core, socket, runDir, limits).start();
        // xenstored's own protocol for real Xen tools (XENSTORED_PATH), beside the main socket, on the same loop
        xenstored = new org.fallow.hypervisor.xenstored.XenstoredServer(core.xenstore(),
                runDir.toAbsolutePath().resolve(org.fallow.abi.wire.RunDirectory.XENSTORED_SOCKET_NAME),
                core.dispatchGroup()).start();
        return this;
    }

    /**
     * Kept for callers that named an I/O thread count: since dispatch moved onto the event loop there is exactly one
     * thread, whatever {@code ioThreads} says.
     */
    public Hypervisor serve(Path socket, int ioThreads) throws IOException, InterruptedException {
        return serve(socket);
    }

    public HypervisorCore core() { return core; }

    public HypervisorServer server() { return server; }

    public Path runDir() { return runDir; }

    /**
     * Stops serving, then destroys every remaining domain on the dispatch thread (so their memory files, pools and
     * rings are released as by destroydomain), then stops the core.
     */
    @Override public void close() {
        if (xenstored != null) xenstored.close();
        if (server != null) server.close();
        try {
            core.dispatcher().submit(() -> {
                var left = core.domains().all();
                if (!left.isEmpty()) log.info("shutting down: destroying {} domain(s)", left.size());
                for (Domain d : left) core.domains().destroy(d.domid());
            }).get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.RejectedExecutionException | java.util.concurrent.ExecutionException
                 | java.util.concurrent.TimeoutException e) {
            log.warn("shutting down: could not destroy the remaining domains: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        core.close();
    }
}
