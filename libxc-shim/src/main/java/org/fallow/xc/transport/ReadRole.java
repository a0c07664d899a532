package org.fallow.xc.transport;

import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/**
 * Who may read a connection's socket: at most one thread at a time holds the read role (a synchronous caller reading
 * until its own reply, or the background reader taking what the socket has). The frames read are dispatched by the
 * holder, so frames are read once and dispatched in the order they arrived, whoever reads them.
 * <p>
 * Callers come first: the background reader takes the role only while it is free and no caller waits for it, and
 * holds it for one non-blocking read (the socket was readable), so a caller waits for it at most that long. A caller
 * waiting behind another caller also stops waiting as soon as its reply has been read for it.
 */
final class ReadRole {
    /** Written with this object's monitor held; volatile for {@link #heldByCurrentThread}. */
    private volatile Thread holder;
    private int callersWaiting;
    private boolean readerWaiting;

    /** A caller takes the role if it is free. */
    synchronized boolean tryTake() {
        if (holder != null) return false;
        holder = Thread.currentThread();
        return true;
    }

    /** The background reader takes the role if it is free and no caller waits for it. */
    synchronized boolean tryTakeForReader() {
        if (holder != null || callersWaiting > 0) return false;
        holder = Thread.currentThread();
        return true;
    }

    synchronized void release() {
        holder = null;
        if (callersWaiting > 0 || readerWaiting) notifyAll();
    }

    /**
     * A caller whose request {@code reply} answers: waits until the role is free (takes it and returns true) or the
     * reply has been read by the holder, or failed (returns false).
     */
    boolean takeOrAwait(CompletableFuture<?> reply) throws InterruptedException {
        if (tryTake()) return true;
        reply.whenComplete((r, e) -> wakeAll()); // the holder that completes it (or close) wakes us
        synchronized (this) {
            callersWaiting++;
            try {
                while (holder != null && !reply.isDone()) wait();
                if (reply.isDone()) return false;
                holder = Thread.currentThread();
                return true;
            } finally {
                // the background reader gives way to waiting callers: the last one leaving (its reply read by the
                // holder) must wake it, or unsolicited frames wait for the next call
                if (--callersWaiting == 0 && readerWaiting) notifyAll();
            }
        }
    }

    /**
     * The background reader: waits until it is {@code needed} and the role is free with no caller waiting for it, or
     * {@code closed}. Woken by {@link #release} and {@link #wakeAll}.
     */
    synchronized void awaitReaderTurn(BooleanSupplier needed, BooleanSupplier closed) throws InterruptedException {
        while (!closed.getAsBoolean()) {
            if (!needed.getAsBoolean()) {
                wait(); // idle: woken by wakeAll when a listener or a pipelined request appears
            } else if (holder != null || callersWaiting > 0) {
                readerWaiting = true;
                try {
                    wait();
                } finally {
                    readerWaiting = false;
                }
            } else {
                return;
            }
        }
    }

    /** Wakes every waiter to look again (a listener registered, a pipelined request sent, the connection closed). */
    synchronized void wakeAll() { notifyAll(); }

    /**
     * Whether the calling thread holds the role: a call made from code the holder runs while dispatching (a callback
     * of a request's future) reads on in the same thread instead of waiting for the role it holds.
     */
    boolean heldByCurrentThread() { return holder == Thread.currentThread(); }

    /** The thread holding the role, or null (tests). */
    synchronized Thread holder() { return holder; }
}
