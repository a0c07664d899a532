package org.fallow.guest.crash;

import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.matcher.ElementMatchers;

import java.io.IOException;
import java.lang.instrument.Instrumentation;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Java agent (ByteBuddy) that kills or stalls the process it runs in at a {@link CrashPoint}:
 * {@code -javaagent:crash-agent.jar=point=pager.page-written,action=kill,after=N,marker=FILE[,stallMs=M]}.
 * On the N-th time the point is reached it appends {@code reached <label> <N>} to the marker file, then either sends
 * itself SIGKILL ({@code kill}: no shutdown hook, no flush, exactly as {@code kill -9}) or stalls ({@code stall})
 * until the test creates {@code FILE.release} (at most {@code stallMs}), then carries on; the test acts meanwhile
 * and learns from the marker that the process is there.
 */
public final class CrashAgent {
    static CrashPoint point;
    static String action;
    static int after;
    static Path marker;
    static long stallMs;
    static final AtomicInteger hits = new AtomicInteger();
    /** Depth of MulticallHypercall.invoke on this thread (the hypervisor point counts nested dispatches only). */
    static final ThreadLocal<int[]> multicallDepth = ThreadLocal.withInitial(() -> new int[1]);

    private CrashAgent() {}

    public static void premain(String args, Instrumentation inst) {
        Map<String, String> kv = new HashMap<>();
        for (String p : args.split(",")) {
            int eq = p.indexOf('=');
            kv.put(p.substring(0, eq), p.substring(eq + 1));
        }
        point = CrashPoint.byLabel(kv.get("point"));
        action = kv.getOrDefault("action", "kill");
        after = Integer.parseInt(kv.getOrDefault("after", "1"));
        marker = Path.of(kv.get("marker"));
        stallMs = Long.parseLong(kv.getOrDefault("stallMs", "0"));
        AgentBuilder b = new AgentBuilder.Default()
                .disableClassFormatChanges()
                .with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION)
                .type(ElementMatchers.named(point.className))
                .transform((builder, type, loader, module, domain) -> builder.visit(
                        Advice.to(point.onExit ? ExitAdvice.class : EnterAdvice.class).on(ElementMatchers.named(point.method))));
        if (point.insideMulticallOnly()) {
            b = b.type(ElementMatchers.named("org.fallow.hypervisor.dispatch.MulticallHypercall"))
                    .transform((builder, type, loader, module, domain) -> builder.visit(
                            Advice.to(MulticallDepthAdvice.class).on(ElementMatchers.named("invoke"))));
        }
        b.installOn(inst);
    }

    /** Called by the advice at the point. */
    public static void reached() {
        if (point.insideMulticallOnly() && multicallDepth.get()[0] == 0) return;
        int n = hits.incrementAndGet();
        if (n != after) return;
        try { // atomically: a test that sees the marker sees its whole line
            Path tmp = marker.resolveSibling(marker.getFileName() + ".tmp");
            Files.writeString(tmp, "reached " + point.label + " " + n + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, marker, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            System.err.println("crash agent: cannot write " + marker + ": " + e);
        }
        if (action.equals("kill")) {
            try {
                new ProcessBuilder("kill", "-9", Long.toString(ProcessHandle.current().pid())).start().waitFor();
                Thread.sleep(10_000); // SIGKILL is on its way
            } catch (IOException | InterruptedException e) {
                // fall through
            }
            Runtime.getRuntime().halt(137);
        } else {
            // stall until the test, having done what it wanted meanwhile, creates <marker>.release (at most stallMs)
            Path release = marker.resolveSibling(marker.getFileName() + ".release");
            long deadline = System.nanoTime() + stallMs * 1_000_000L;
            try {
                while (!Files.exists(release) && System.nanoTime() < deadline) Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public static final class EnterAdvice {
        @Advice.OnMethodEnter
        static void enter() { CrashAgent.reached(); }
    }

    public static final class ExitAdvice {
        @Advice.OnMethodExit(onThrowable = Throwable.class)
        static void exit() { CrashAgent.reached(); }
    }

    /** Advice code is inlined into the target class: it may only call public members of the agent. */
    public static void multicallEntered() { multicallDepth.get()[0]++; }

    public static void multicallLeft() { multicallDepth.get()[0]--; }

    public static final class MulticallDepthAdvice {
        @Advice.OnMethodEnter
        static void enter() { CrashAgent.multicallEntered(); }

        @Advice.OnMethodExit(onThrowable = Throwable.class)
        static void exit() { CrashAgent.multicallLeft(); }
    }

    /** The {@code -javaagent:} option for a child JVM (the agent jar is made once per test JVM). */
    public static String javaAgentOption(CrashPoint p, String action, int after, Path marker, long stallMs) throws IOException {
        return "-javaagent:" + AgentJar.get() + "=point=" + p.label + ",action=" + action + ",after=" + after
                + ",marker=" + marker + ",stallMs=" + stallMs;
    }
}
