package org.fallow.hypervisor.core;

import org.fallow.abi.Hypercalls;
import org.fallow.abi.XenErrno;
import org.fallow.abi.sys.SpinPolicy;
import org.fallow.hypervisor.xenstore.XenStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The emulated hypervisor's state and its hypercall table. Every hypercall, fault and event-channel kick runs on one
 * thread, the emulator's single "physical CPU": subsystem state needs no locks. That thread is a Netty epoll event
 * loop ({@link #dispatcher()}); the server registers its connections on it ({@link #dispatchGroup()}), so a frame is
 * decoded, dispatched and answered by the thread that read it, with no hand-off between threads.
 * <p>
 * Long hypercalls yield like Xen's: a handler calls {@link #preemptCheck()} (Xen's {@code hypercall_preempt_check})
 * between units of work and, when it says so, returns {@link #createContinuation} (Xen's
 * {@code hypercall_create_continuation}) with the arguments that resume where it stopped; the {@link Scheduler} runs
 * the continuation after the other connections had their turn.
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
    private final EventLoopGroup dispatchGroup;
    private final EventLoop dispatcher;
    private final Scheduler scheduler;
    private final Preemption preemption = new Preemption();
    private Continuation continuation;
    private volatile MemoryFaultHandler faultHandler =
            (d, gfn, write, vcpu, reply) -> reply.failed(-XenErrno.EFAULT, "no memory subsystem");
    private volatile EventChannels eventChannels;
    private volatile java.nio.file.Path runDir =
            java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "fallow-" + System.getProperty("user.name"));
    private final XenStore xenstore = new XenStore();
    private final RateLimitedLog badInput = new RateLimitedLog(log, 5, TimeUnit.SECONDS.toNanos(10));
    /**
     * Writes {@link #badInput}'s summaries every 10 s (RateLimitedLog is synchronized). Its own daemon thread, not a
     * scheduled task of the dispatch loop: while that loop has any scheduled task, Netty reads the clock about three
     * times per loop turn and gives every epoll_wait a timeout (a kernel timer armed and cancelled per request; with
     * none, {@link DispatchEventLoopGroup} waits without one).
     */
    private final ScheduledExecutorService logFlusher =
            Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("hv-log-flush", true));

    public HypervisorCore(HostMemory host) {
        this.host = host;
        // the xenstore follows the domain table as xenstored follows the toolstack: a created domain is introduced
        // (home /local/domain/<D> owned by it, @introduceDomain), a destroyed one released (@releaseDomain)
        xenstore.domainExists(domid -> domains.get(domid) != null);
        xenstore.rejections(badInput); // refused xenstore requests: counted, a few lines per period (finding 7)
        domains.addListener(new DomainLifecycle() {
            @Override public void created(Domain d) { xenstore.domainIntroduced(d.domid()); }

            @Override public void destroyed(Domain d) { xenstore.domainReleased(d.domid()); }
        });
        this.dispatchGroup = new DispatchEventLoopGroup(new DefaultThreadFactory("hv-dispatch", true),
                EpollIoHandler.newFactory(0, () -> new PollBeforeBlock(SpinPolicy.system())));
        this.dispatcher = dispatchGroup.next();
        this.scheduler = new Scheduler(dispatcher, preemption);
        logFlusher.scheduleAtFixedRate(badInput::flush, 10, 10, TimeUnit.SECONDS);
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

    /**
     * The log for input a client can repeat at will (unknown hypercalls, refused frames, ...): a burst of lines per
     * kind per period, the rest counted and summarised.
     */
    public RateLimitedLog badInput() { return badInput; }

    /** The single dispatch thread: an epoll event loop (an ExecutorService for work from other threads). */
    public EventLoop dispatcher() { return dispatcher; }

    /** The one-thread event-loop group that servers register their listening and client channels on. */
    public EventLoopGroup dispatchGroup() { return dispatchGroup; }

    /** Round-robin of the connections' request queues (call on the dispatch thread). */
    public Scheduler scheduler() { return scheduler; }

    public boolean onDispatchThread() { return dispatcher.inEventLoop(); }

    // ---- continuations (Xen's hypercall_preempt_check / hypercall_create_continuation) --------------------------

    /**
     * True when the running request has used up its slice and should yield (a handler then returns
     * {@link #createContinuation}). Cheap enough to call per unit of work.
     */
    public boolean preemptCheck() { return preemption.check(); }

    /** The preemption policy (slice length; tests may force a yield every N checks). */
    public Preemption preemption() { return preemption; }

    /**
     * Records that the running hypercall is to be re-issued as {@code op(args)} after other work had its turn, as Xen
     * rewrites the guest's registers and re-executes the hypercall instruction. The handler returns the value of this
     * call; the caller sees only the final return of the last continuation.
     */
    public long createContinuation(long op, long... args) {
        continuation = new Continuation(op, args.clone());
        return CONTINUATION;
    }

    /** The continuation the last {@link #dispatch} created, or null; clears it. */
    public Continuation takeContinuation() {
        Continuation k = continuation;
        continuation = null;
        return k;
    }

    /** What a handler returns with {@link #createContinuation} (never seen by a client). */
    public static final long CONTINUATION = Long.MIN_VALUE + 0x5ca1ab1eL;

    /** A hypercall to re-issue: the op and its updated arguments. */
    public record Continuation(long op, long[] args) {}

    /**
     * Runs one hypercall (call on the dispatch thread). Unknown numbers return -ENOSYS and are logged with their raw
     * arguments; an errno result is logged at debug; a handler that throws (an exception, or a recoverable Error such
     * as StackOverflowError or OutOfMemoryError: {@link RequestFailure}) is logged, rate-limited, and answered -EFAULT
     * so the server keeps serving.
     */
    public long dispatch(Caller caller, long op, long[] args) {
        HypercallHandler h = op >= 0 && op < hypercalls.length ? hypercalls[(int) op] : null;
        if (h == null) {
            badInput.warn("unknown hypercall", caller.peer().describe(), "{}: unknown hypercall {} args {} -> -ENOSYS", caller, op, hexArgs(args));
            return -XenErrno.ENOSYS;
        }
        try {
            long rc = h.invoke(caller, args);
            // every refusal leaves a line, also where a handler returns its errno without logging it itself
            if (rc < 0 && rc >= -4095 && log.isDebugEnabled()) // -4095..-1: an errno, as Linux reads it
                log.debug("{}: {} args {} -> {}", caller, Hypercalls.name(op), hexArgs(args), XenErrno.name(rc));
            return rc;
        } catch (InternalError e) {
            // SIGBUS on a shared mapping whose file the client truncated: the JVM reports it as InternalError
            badInput.error("shared memory fault", caller.peer().describe(), "{}: {} args {}: fault on shared memory ({}) -> -EFAULT",
                    caller, Hypercalls.name(op), hexArgs(args), e.getMessage());
            return -XenErrno.EFAULT;
        } catch (RuntimeException | Error e) {
            // a bug, or an Error the thread survives (StackOverflowError, OutOfMemoryError: see RequestFailure); the
            // hypercall fails -EFAULT and the server goes on
            if (!RequestFailure.recoverable(e)) throw e;
            RequestFailure.log(caller + ": " + Hypercalls.name(op) + " args " + hexArgs(args), e);
            return -XenErrno.EFAULT;
        }
    }

    /**
     * Runs a hypercall inside a slice, and each continuation it creates right after it, until it returns (call on the
     * dispatch thread). For in-process callers: the same code paths as over the wire, without other connections
     * running in between.
     */
    public long dispatchToCompletion(Caller caller, long op, long[] args) {
        long o = op;
        long[] a = args;
        for (;;) {
            preemption.begin();
            long rc;
            try {
                rc = dispatch(caller, o, a);
            } finally {
                preemption.end();
            }
            Continuation k = takeContinuation();
            if (k == null) return rc;
            o = k.op();
            a = k.args();
        }
    }

    public static String hexArgs(long[] args) {
        return Arrays.stream(args).mapToObj(a -> "0x" + Long.toHexString(a)).toList().toString();
    }

    @Override public void close() {
        logFlusher.shutdownNow();
        dispatchGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
