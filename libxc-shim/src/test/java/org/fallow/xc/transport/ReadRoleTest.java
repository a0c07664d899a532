package org.fallow.xc.transport;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.*;

/** The read role's hand-overs between the holder, waiting callers and the background reader. */
class ReadRoleTest {
    private static void awaitWaiting(Thread t) throws InterruptedException {
        for (int i = 0; i < 60_000 && t.getState() != Thread.State.WAITING; i++) Thread.sleep(1);
        assertEquals(Thread.State.WAITING, t.getState(), t.getName() + " never waited");
    }

    @Test
    void theBackgroundReaderGetsTheRoleOnceTheLastWaitingCallerLeavesWithItsReplyReadForIt() throws Exception {
        ReadRole role = new ReadRole();
        assertTrue(role.tryTake()); // this thread: the holder
        AtomicBoolean closed = new AtomicBoolean();
        CompletableFuture<Void> readerTurn = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try {
                role.awaitReaderTurn(() -> true, closed::get);
                readerTurn.complete(null);
            } catch (InterruptedException e) {
                readerTurn.completeExceptionally(e);
            }
        }, "reader");
        reader.start();
        awaitWaiting(reader); // the reader waits first: woken first, it sees the caller still waiting
        CompletableFuture<String> reply = new CompletableFuture<>();
        CompletableFuture<Boolean> callerTookRole = new CompletableFuture<>();
        Thread caller = new Thread(() -> {
            try {
                callerTookRole.complete(role.takeOrAwait(reply));
            } catch (InterruptedException e) {
                callerTookRole.completeExceptionally(e);
            }
        }, "caller");
        caller.start();
        awaitWaiting(caller);
        // the holder reads the caller's reply for it and gives the role up in one step: whoever of the two wakes first,
        // the reader must not be left waiting for a caller that has gone
        synchronized (role) {
            reply.complete("read by the holder");
            role.release();
        }
        assertFalse(callerTookRole.get(30, TimeUnit.SECONDS), "the caller's reply was read for it");
        try {
            readerTurn.get(30, TimeUnit.SECONDS);
        } finally {
            closed.set(true);
            role.wakeAll();
        }
        assertTrue(role.tryTakeForReader(), "the role is free and nobody waits for it");
    }
}
