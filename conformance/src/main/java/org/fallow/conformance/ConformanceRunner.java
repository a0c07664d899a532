package org.fallow.conformance;

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the conformance cases (package {@code org.fallow.conformance.cases}) through the JUnit Platform Launcher
 * against one {@link Target} and reports one line per case and {@code N passed, N failed}.
 */
public final class ConformanceRunner {
    public static final String CASES_PACKAGE = "org.fallow.conformance.cases";

    /** The outcome of a run: counts and the failures (display name + reason). */
    public record Result(int passed, int failed, int skipped, List<String> failures) {
        public String summary() { return passed + " passed, " + failed + " failed" + (skipped > 0 ? ", " + skipped + " skipped" : ""); }
    }

    private ConformanceRunner() {}

    /** Runs every case against {@code target} (which is released afterwards), printing progress to {@code out}. */
    public static Result run(Target target, PrintStream out) {
        Target.use(target);
        try {
            LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                    .selectors(DiscoverySelectors.selectPackage(CASES_PACKAGE))
                    .configurationParameter("junit.jupiter.execution.timeout.default", "30 s")
                    .build();
            Launcher launcher = LauncherFactory.create();
            Listener l = new Listener(out);
            launcher.execute(request, l);
            return new Result(l.passed, l.failed, l.skipped, List.copyOf(l.failures));
        } finally {
            Target.release();
        }
    }

    private static final class Listener implements TestExecutionListener {
        private final PrintStream out;
        int passed, failed, skipped;
        final List<String> failures = new ArrayList<>();

        Listener(PrintStream out) { this.out = out; }

        private static String name(TestIdentifier id) {
            String cls = id.getSource().map(s -> s instanceof org.junit.platform.engine.support.descriptor.MethodSource m
                    ? m.getClassName().substring(m.getClassName().lastIndexOf('.') + 1) + "." + m.getMethodName() : "").orElse("");
            return cls.isEmpty() ? id.getDisplayName() : cls + " — " + id.getDisplayName();
        }

        @Override public void executionSkipped(TestIdentifier id, String reason) {
            if (!id.isTest()) return;
            skipped++;
            out.println("SKIP " + name(id) + ": " + reason);
        }

        @Override public void executionFinished(TestIdentifier id, TestExecutionResult r) {
            if (!id.isTest()) {
                if (r.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
                    // a container failure (e.g. the target could not be reached) fails the run
                    failed++;
                    String why = r.getThrowable().map(Throwable::toString).orElse(r.getStatus().toString());
                    failures.add(id.getDisplayName() + ": " + why);
                    out.println("FAIL " + id.getDisplayName() + ": " + why);
                }
                return;
            }
            if (r.getStatus() == TestExecutionResult.Status.SUCCESSFUL) {
                passed++;
                out.println("ok   " + name(id));
            } else {
                failed++;
                String why = r.getThrowable().map(t -> t.getClass().getSimpleName() + ": " + t.getMessage()).orElse(r.getStatus().toString());
                failures.add(name(id) + ": " + why);
                out.println("FAIL " + name(id) + ": " + why);
            }
        }
    }
}
