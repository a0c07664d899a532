package org.fallow.hypervisor.core;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * What the dispatch thread does when a request's handler throws instead of returning (a bug in the emulator, or an
 * {@link Error} the thread survives): the request fails with an error reply (a hypercall -EFAULT, as
 * {@link HypervisorCore#dispatch} answers a handler's RuntimeException), a rate-limited ERROR line with the stack trace
 * is logged, and the server goes on serving this and every other connection.
 * <p>
 * Recoverable: every {@link Exception}, {@link StackOverflowError} (the stack has unwound to here), an
 * {@link OutOfMemoryError} (one request's allocation failed; the heap is usable again once its garbage is gone, and
 * the JVM's own {@code -XX:+ExitOnOutOfMemoryError} remains the operator's choice), {@link InternalError} (SIGBUS on
 * a shared mapping whose file a client truncated), {@link LinkageError} and {@link AssertionError}. Not recoverable:
 * other {@link VirtualMachineError}s ({@code UnknownError}: the JVM itself is broken); they propagate to the event
 * loop, which logs them.
 */
public final class RequestFailure {
    private static final Logger log = LoggerFactory.getLogger(RequestFailure.class);
    private static final RateLimitedLog limited = new RateLimitedLog(log, 5, TimeUnit.SECONDS.toNanos(10));

    private RequestFailure() {}

    public static boolean recoverable(Throwable t) {
        if (t instanceof Exception) return true;
        return t instanceof StackOverflowError || t instanceof OutOfMemoryError || t instanceof InternalError
                || !(t instanceof VirtualMachineError);
    }

    /** One ERROR line (with the stack trace) per source and kind, rate-limited; counted under "request failed". */
    public static void log(String source, Throwable t) {
        limited.error("request failed", source, "{}: request failed inside the hypervisor: {}", source, t.toString(), t);
    }

    /** Requests that failed this way so far (logged or suppressed). */
    public static long count() { return limited.count("request failed"); }
}
