package org.fallow.xc.tools;

import org.fallow.abi.AbiProfile;
import org.fallow.xc.XcHandle;
import org.fallow.xc.transport.XsClient;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code fallow xenstore read|write|ls|rm|watch}: the xenstore-* tools over the hypervisor socket (as the toolstack).
 * Exit status 1 with xenstored's errno name when the store refuses (e.g. {@code ENOENT}).
 */
@Command(name = "xenstore", mixinStandardHelpOptions = true, description = "Read, write, list, remove and watch xenstore keys.",
        subcommands = {XenstoreCommand.Read.class, XenstoreCommand.Write.class, XenstoreCommand.Ls.class,
                XenstoreCommand.Rm.class, XenstoreCommand.Watch.class})
public final class XenstoreCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }

    abstract static class Base implements Callable<Integer> {
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Option(names = "--socket", description = "hypervisor socket (default: $FALLOW_RUN_DIR/hypervisor.sock)")
        Path socket;

        @Override public Integer call() throws Exception {
            try (XcHandle xc = XcHandle.open(socket != null ? socket : XcHandle.defaultSocket(), AbiProfile.XEN_4_12)) {
                return run(xc.xenstore(), spec.commandLine().getOut());
            } catch (XsClient.XsException e) {
                spec.commandLine().getErr().println(e.getMessage());
                return 1;
            }
        }

        abstract int run(XsClient xs, PrintWriter out) throws Exception;
    }

    @Command(name = "read", description = "Print the value of PATH.")
    static final class Read extends Base {
        @Parameters(paramLabel = "PATH") String path;

        @Override int run(XsClient xs, PrintWriter out) throws Exception {
            out.println(xs.read(path));
            return 0;
        }
    }

    @Command(name = "write", description = "Set PATH to VALUE (creating parents).")
    static final class Write extends Base {
        @Parameters(index = "0", paramLabel = "PATH") String path;
        @Parameters(index = "1", paramLabel = "VALUE") String value;

        @Override int run(XsClient xs, PrintWriter out) throws Exception {
            xs.write(path, value);
            return 0;
        }
    }

    @Command(name = "ls", description = "List the children of PATH (default /) with their values.")
    static final class Ls extends Base {
        @Parameters(paramLabel = "PATH", defaultValue = "/") String path;

        @Override int run(XsClient xs, PrintWriter out) throws Exception {
            String prefix = path.endsWith("/") ? path : path + "/";
            for (String child : xs.directory(path)) out.println(child + " = \"" + xs.readOrNull(prefix + child) + "\"");
            return 0;
        }
    }

    @Command(name = "rm", description = "Remove PATH and everything below it.")
    static final class Rm extends Base {
        @Parameters(paramLabel = "PATH") String path;

        @Override int run(XsClient xs, PrintWriter out) throws Exception {
            xs.rm(path);
            return 0;
        }
    }

    @Command(name = "watch", description = "Print the paths that change at or below PATH (the first line is the watch firing on registration).")
    static final class Watch extends Base {
        @Parameters(paramLabel = "PATH") String path;

        @Option(names = {"-n", "--count"}, description = "Stop after this many events (default: run until killed).")
        int count = Integer.MAX_VALUE;

        @Override int run(XsClient xs, PrintWriter out) throws Exception {
            CountDownLatch left = new CountDownLatch(count);
            xs.watch(path, "fallow-watch", changed -> {
                out.println(changed);
                out.flush();
                left.countDown();
            });
            while (!left.await(1, TimeUnit.SECONDS)) {
                // keep the connection open until enough events arrived or the process is killed
            }
            return 0;
        }
    }
}
