package org.fallow.xc.xen;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs one real Xen tool from the package cache against a hypervisor's run directory and collects its exit status and
 * output (for tests and scripted use; {@code fallow xen} runs tools in the foreground instead). Output beyond
 * {@link #MAX_OUTPUT} bytes per stream is read and dropped.
 */
public final class XenTool {
    public static final int MAX_OUTPUT = 1 << 20;

    public record Result(int exit, String out, String err) {
        public boolean ok() { return exit == 0; }

        @Override public String toString() { return "exit " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err; }
    }

    private final XenPackages packages;
    private final Path runDir;

    public XenTool(XenPackages packages, Path runDir) {
        this.packages = packages;
        this.runDir = runDir.toAbsolutePath().normalize();
    }

    /** The process builder for {@code tool args...} with the environment of {@link XenCommand#toolEnvironment}. */
    public ProcessBuilder builder(String tool, List<String> args) throws IOException {
        Path root = packages.ensure();
        Path exe = packages.tool(tool).orElseThrow(() -> new IOException("no tool " + tool + " in " + root));
        List<String> cmd = new ArrayList<>();
        cmd.add(exe.toString());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(XenCommand.toolEnvironment(packages, root, runDir, System.getenv()));
        return pb;
    }

    /** Runs the tool to its end (the caller bounds the wait, e.g. with a test timeout). */
    public Result run(String tool, String... args) throws IOException, InterruptedException {
        Process p = builder(tool, List.of(args)).start();
        p.getOutputStream().close();
        StreamCollector out = new StreamCollector(p.getInputStream());
        StreamCollector err = new StreamCollector(p.getErrorStream());
        out.start();
        err.start();
        int exit = p.waitFor();
        out.join();
        err.join();
        return new Result(exit, out.text(), err.text());
    }

    private static final class StreamCollector extends Thread {
        private final InputStream in;
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

        StreamCollector(InputStream in) {
            this.in = in;
            setDaemon(true);
        }

        @Override public void run() {
            byte[] b = new byte[8192];
            try (in) {
                for (int n; (n = in.read(b)) >= 0; ) if (buf.size() + n <= MAX_OUTPUT) buf.write(b, 0, n);
            } catch (IOException e) {
                // the tool went away; keep what was read
            }
        }

        String text() { return buf.toString(StandardCharsets.UTF_8); }
    }

    /** The packages and tool for the environment ({@code $FALLOW_XEN_CACHE} ...), progress on stderr. */
    public static XenTool forRunDir(Path runDir) {
        return new XenTool(XenPackages.fromEnvironment(Map.copyOf(System.getenv()), System.err), runDir);
    }
}
