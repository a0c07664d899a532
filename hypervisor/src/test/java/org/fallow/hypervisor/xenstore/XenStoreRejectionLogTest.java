package org.fallow.hypervisor.xenstore;

import org.fallow.abi.wire.XsSockMsg;
import org.fallow.hypervisor.core.RateLimitedLog;
import org.junit.jupiter.api.Test;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue 14, finding 7 for the xenstore: a client that repeats a refused request (here a guest writing where it may
 * not, EACCES) costs a counter each, not a log line each: a burst of INFO lines, then one summary line per period.
 */
class XenStoreRejectionLogTest {
    /** An slf4j logger that keeps what it is asked to write. */
    private static final class RecordingLogger extends LegacyAbstractLogger {
        final List<String> lines = new ArrayList<>();

        @Override protected String getFullyQualifiedCallerName() { return null; }

        @Override protected void handleNormalizedLoggingCall(Level level, Marker marker, String msg, Object[] args, Throwable t) {
            lines.add(level + " " + MessageFormatter.basicArrayFormat(msg, args));
        }

        @Override public boolean isTraceEnabled() { return true; }
        @Override public boolean isDebugEnabled() { return true; }
        @Override public boolean isInfoEnabled() { return true; }
        @Override public boolean isWarnEnabled() { return true; }
        @Override public boolean isErrorEnabled() { return true; }
    }

    @Test
    void repeatedRefusedRequestsAreCountedAndSummarisedNotEachLogged() throws InterruptedException {
        RecordingLogger out = new RecordingLogger();
        XenStore xs = new XenStore();
        RateLimitedLog limited = new RateLimitedLog(out, 5, 50_000_000L); // 50 ms periods
        xs.rejections(limited);
        XenStoreTest.Conn guest = new XenStoreTest.Conn(5);
        xs.domainIntroduced(5);
        int n = 2000;
        for (int i = 0; i < n; i++) {
            byte[] reply = xs.handle(guest, new XsSockMsg().wrap(XsSockMsg.encode(XsSockMsg.XS_WRITE, i, 0, "/tool/x\0v".getBytes())));
            XsSockMsg r = new XsSockMsg().wrap(reply);
            assertEquals(XsSockMsg.XS_ERROR, r.type());
            assertEquals("EACCES", XsSockMsg.split(r.body()).get(0));
        }
        assertEquals(n, xs.rejections().count(XenStore.REJECTED), "every refusal counted");
        assertTrue(out.lines.size() < n / 10, out.lines.size() + " lines for " + n + " refusals");
        assertTrue(out.lines.stream().anyMatch(l -> l.startsWith("INFO ") && l.contains("XS_WRITE rejected")), "the first ones are logged");
        // the summary comes when the period is over (the hypervisor's timer calls flush every 10 s)
        while (out.lines.stream().noneMatch(l -> l.contains("suppressed"))) {
            Thread.sleep(10);
            limited.flush();
        }
        assertTrue(out.lines.stream().anyMatch(l -> l.contains(XenStore.REJECTED + ": ") && l.contains("suppressed")),
                "the rest are summarised: " + out.lines.subList(0, Math.min(8, out.lines.size())));
    }

    @Test
    void theHypervisorsStoreCountsRefusalsInItsBadInputLog() {
        XenStore xs = new XenStore();
        XenStoreTest.Conn guest = new XenStoreTest.Conn(5);
        xs.domainIntroduced(5);
        for (int i = 0; i < 50; i++)
            xs.handle(guest, new XsSockMsg().wrap(XsSockMsg.encode(XsSockMsg.XS_SET_PERMS, i, 0, "/tool\0n5\0".getBytes())));
        assertEquals(50, xs.rejections().count(XenStore.REJECTED));
        assertTrue(xs.rejections().suppressed() >= 45, "at most a burst of 5 lines per client and period");
    }
}
