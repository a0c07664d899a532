package org.fallow.hypervisor.core;

import org.fallow.abi.Hypercalls;
import org.fallow.abi.XenErrno;
import org.fallow.hypervisor.xenstore.XenStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The emulated hypervisor's state and its hypercall table. Every hypercall, fault and event-channel kick runs on one
 * dispatch thread ({@link #dispatcher()}), the emulator's single "physical CPU": subsystem state needs no locks, and
 * the transport threads only move frames.
 */
public final class HypervisorCore implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HypervisorCore.class);

    private final HostMemory host;
    private final DomainTable domains = new DomainTable();
    private final HypercallHandler[] hypercalls = new HypercallHandler[64];
    private final SubopTable<HypercallHandler> memoryOps = new SubopTable<>("memory_op");
    private final SubopTable<ControlOp.Handler> domctls = new SubopTable<>("domctl");
    private final SubopTable<ControlOp.Handler> sysctls = new SubopTable<>("sysctl");
    private final List<Object> installed = new CopyOnWriteArrayList<>();
    private final ExecutorService dispatcher;
    private volatile Thread dispatchThread;
    private volatile MemoryFaultHandler faultHandler =
            (d, gfn, write, vcpu, reply) -> reply.failed(-XenErrno.EFAULT, "no memory subsystem");
    private volatile EventChannels eventChannels;
    private volatile java.nio.file.Path runDir =
            java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "fallow-" + System.getProperty("user.name"));
    private final XenStore xenstore = new XenStore();

    public HypervisorCore(HostMemory host) {
        this.host = host;
        // the xenstore follows the domain table as xenstored follows the toolstack: a created domain is introduced
        // (home /local/domain/<D> owned by it, @introduceDomain), a destroyed one released (@releaseDomain)
        xenstore.domainExists(domid -> domains.get(domid) != null);
        domains.addListener(new DomainLifecycle() {
            @Override public void created(Domain d) { xenstore.domainIntroduced(d.domid()); }

            @Override public void destroyed(Domain d) { xenstore.domainReleased(d.domid()); }
        });
        this.dispatcher = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "hv-dispatch");
            t.setDaemon(true);
            dispatchThread = t;
            return t;
        });
    }

    public HostMemory host() { return host; }

    /**
     * Keeps a subsystem installed in this core (the hypervisor's installer calls it for each one), so that others
     * (tools, tests) find it by type instead of through a static registry.
     */
    public void keep(Object subsystem) { installed.add(subsystem); }

    /** The installed subsystem of {@code type}, if any. */
    public <T> Optional<T> subsystem(Class<T> type) {
        return installed.stream().filter(type::isInstance).map(type::cast).findFirst();
    }

    public DomainTable domains() { return domains; }

    /** memory_op sub-ops, keyed by {@code cmd & 0x3f}; handlers get the raw args (args[0] = full cmd). */
    public SubopTable<HypercallHandler> memoryOps() { return memoryOps; }

    /** domctl commands (xen_domctl.cmd). */
    public SubopTable<ControlOp.Handler> domctls() { return domctls; }

    /** sysctl commands (xen_sysctl.cmd). */
    public SubopTable<ControlOp.Handler> sysctls() { return sysctls; }

    public void registerHypercall(int nr, HypercallHandler h) {
        if (hypercalls[nr] != null) throw new IllegalStateException("hypercall " + nr + " registered twice");
        hypercalls[nr] = h;
    }

    public MemoryFaultHandler faultHandler() { return faultHandler; }

    public void faultHandler(MemoryFaultHandler h) { faultHandler = h; }

    public EventChannels eventChannels() { return eventChannels; }

    /** The run directory (sockets, per-domain memory files). Set before subsystems are installed. */
    public java.nio.file.Path runDir() { return runDir; }

    public void runDir(java.nio.file.Path dir) { runDir = dir; }

    public void eventChannels(EventChannels e) { eventChannels = e; }

    /** The hypervisor's xenstore (served to clients over XENSTORE frames; subsystems may read and write it). */
    public XenStore xenstore() { return xenstore; }

    /** The single dispatch thread's executor. */
    public ExecutorService dispatcher() { return dispatcher; }

    public boolean onDispatchThread() { return Thread.currentThread() == dispatchThread; }

    /**
     * Runs one hypercall (call on the dispatch thread). Unknown numbers return -ENOSYS and are logged with their raw
     * arguments; an errno result is logged at debug; a handler that throws is logged and answered -EFAULT so the server
     * keeps serving.
     */
    public long dispatch(Caller caller, long op, long[] args) {
        HypercallHandler h = op >= 0 && op < hypercalls.length ? hypercalls[(int) op] : null;
        if (h == null) {
            log.warn("{}: unknown hypercall {} args {} -> -ENOSYS", caller, op, hexArgs(args));
            return -XenErrno.ENOSYS;
        }
        try {
            long rc = h.invoke(caller, args);
            // every refusal leaves a line, also where a handler returns its errno without logging it itself
            if (rc < 0 && rc >= -4095 && log.isDebugEnabled()) // -4095..-1: an errno, as Linux reads it
                log.debug("{}: {} args {} -> {}", caller, Hypercalls.name(op), hexArgs(args), XenErrno.name(rc));
            return rc;
        } catch (RuntimeException e) {
            log.error("{}: {} args {} failed inside the hypervisor -> -EFAULT", caller, Hypercalls.name(op), hexArgs(args), e);
            return -XenErrno.EFAULT;
        } catch (InternalError e) {
            // SIGBUS on a shared mapping whose file the client truncated: the JVM reports it as InternalError
            log.error("{}: {} args {}: fault on shared memory ({}) -> -EFAULT", caller, Hypercalls.name(op), hexArgs(args), e.getMessage());
            return -XenErrno.EFAULT;
        }
    }

    public static String hexArgs(long[] args) {
        return Arrays.stream(args).mapToObj(a -> "0x" + Long.toHexString(a)).toList().toString();
    }

    @Override public void close() {
        dispatcher.shutdown();
        try {
            dispatcher.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
