package org.fallow.xc.tools;

import org.fallow.hypervisor.testing.ServedHypervisor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class XenstoreCommandTest {
    private ServedHypervisor hv;

    @BeforeEach void start() throws Exception { hv = ServedHypervisor.start(16); }

    @AfterEach void stop() { hv.close(); }

    private record Run(int status, String out, String err) {}

    private Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(new XenstoreCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        String[] all = new String[args.length + 2];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--socket";
        all[args.length + 1] = hv.server().socket().toString();
        return new Run(cl.execute(all), out.toString(), err.toString());
    }

    @Test
    void lsOfADirectoryLargerThanOneReplyListsEveryChild() throws Exception {
        // > 8192 bytes of names: one XS_DIRECTORY reply cannot hold them (E2BIG); the client pages with DIRECTORY_PART
        for (int i = 0; i < 400; i++)
            hv.core().xenstore().write(org.fallow.hypervisor.xenstore.XenStore.HYPERVISOR,
                    "/big/a-child-with-a-rather-long-name-" + i, Integer.toString(i).getBytes());
        Run r = run("ls", "/big");
        assertEquals(0, r.status(), r.err());
        java.util.List<String> lines = r.out().lines().toList();
        assertEquals(400, lines.size());
        assertEquals("a-child-with-a-rather-long-name-0 = \"0\"", lines.get(0));
        assertEquals("a-child-with-a-rather-long-name-399 = \"399\"", lines.get(399));
    }

    @Test
    void writeReadLsRm() {
        assertEquals(0, run("write", "/local/domain/3/memory/target", "262144").status());
        Run r = run("read", "/local/domain/3/memory/target");
        assertEquals(0, r.status());
        assertEquals("262144", r.out().strip());
        assertEquals("target = \"262144\"", run("ls", "/local/domain/3/memory").out().strip());
        assertEquals(0, run("rm", "/local/domain/3").status());
        Run missing = run("read", "/local/domain/3/memory/target");
        assertEquals(1, missing.status());
        assertTrue(missing.err().contains("ENOENT"), missing.err());
    }

    @Test
    void watchPrintsRegistrationThenChanges() throws Exception {
        Thread writer = new Thread(() -> {
            try {
                // once the watch is registered, change a key below it
                while (hv.core().xenstore().watchCount() == 0) Thread.sleep(10);
                run("write", "/local/domain/4/x", "1");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        writer.start();
        Run r = run("watch", "-n", "2", "/local/domain/4");
        writer.join();
        assertEquals(0, r.status());
        assertEquals("/local/domain/4\n/local/domain/4/x", r.out().strip());
    }
}
