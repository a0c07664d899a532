package org.fallow.cli;

import org.fallow.hypervisor.testing.ServedHypervisor;
import org.fallow.hypervisor.xenstore.XenStore;
import org.fallow.xc.xen.XenPackages;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** {@code fallow [--run-dir D] xen TOOL ARGS...}: parsing, and the real tools run through the command itself. */
class XenCommandTest {
    @Test
    void everythingAfterTheToolIsTheToolsAndTheRunDirIsTheGlobalOne() {
        picocli.CommandLine cl = FallowMain.commandLine();
        picocli.CommandLine.ParseResult pr = cl.parseArgs("--run-dir", "/tmp/somewhere", "xen", "xenstore-ls", "-p", "--help", "/");
        picocli.CommandLine.ParseResult xen = pr.subcommand();
        assertEquals("xen", xen.commandSpec().name());
        org.fallow.xc.xen.XenCommand cmd = (org.fallow.xc.xen.XenCommand) xen.commandSpec().userObject();
        assertEquals("xenstore-ls", cmd.tool());
        assertEquals(List.of("-p", "--help", "/"), cmd.toolArgs(), "options after TOOL belong to the tool");
        FallowMain.propagate(xen, RunContext.resolve(Path.of("/tmp/somewhere"), null, java.util.Map.of()), false);
        assertEquals(Path.of("/tmp/somewhere"), xen.commandSpec().findOption("--run-dir").getValue());
    }

    @Test
    @Timeout(300)
    void realToolsRunAgainstTheHypervisorOfTheRunDir() throws Exception {
        XenPackages pkgs = XenPackages.fromEnvironment(System.getenv(), System.err);
        try {
            pkgs.ensure();
        } catch (IOException e) {
            if (System.getenv("CI") != null) fail("Debian's Xen 4.17 packages are not available: " + e.getMessage());
            Assumptions.abort(e.getMessage());
        }
        try (ServedHypervisor hv = ServedHypervisor.start(16, "hypervisor.sock")) {
            Path dir = hv.dir();
            assertEquals(0, xen(dir, "xenstore-write", "/tool/x", "hello"));
            assertEquals("hello", new String(hv.core().xenstore().read(XenStore.HYPERVISOR, "/tool/x"), StandardCharsets.UTF_8));
            assertEquals(0, xen(dir, "xenstore-exists", "/tool/x"));
            assertEquals(1, xen(dir, "xenstore-exists", "/tool/none"), "the tool's exit status is the command's");
            assertEquals(2, xen(dir, "no-such-tool"));
        }
    }

    private static int xen(Path runDir, String... toolAndArgs) {
        String[] all = new String[toolAndArgs.length + 3];
        all[0] = "--run-dir";
        all[1] = runDir.toString();
        all[2] = "xen";
        System.arraycopy(toolAndArgs, 0, all, 3, toolAndArgs.length);
        picocli.CommandLine cl = FallowMain.commandLine();
        cl.setErr(new PrintWriter(new StringWriter()));
        return cl.execute(all);
    }
}
