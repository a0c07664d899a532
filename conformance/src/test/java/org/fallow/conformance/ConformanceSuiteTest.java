package org.fallow.conformance;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Runs the whole conformance suite through {@link ConformanceRunner} (the Launcher path of {@code ./fallow
 * conformance}) against Fallow's own hypervisor, spawned in a child JVM: every case must pass.
 */
class ConformanceSuiteTest {
    @Test
    @Timeout(300)
    void fallowHypervisorPassesTheSuite() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
        Target t = Target.spawn();
        ConformanceRunner.Result r = ConformanceRunner.run(t, out);
        String report = buf.toString(StandardCharsets.UTF_8);
        System.out.println(report + r.summary());
        assertEquals(0, r.failed(), () -> "conformance failures:\n" + String.join("\n", r.failures()) + "\n\n" + report);
        int cases = declaredCases();
        assertTrue(cases >= 30, "only " + cases + " @Test methods found in " + ConformanceRunner.CASES_PACKAGE);
        assertEquals(cases, r.passed(), () -> "every declared case must run and pass, none skipped: " + r.summary());
        assertEquals(0, r.skipped(), r::summary);
        assertEquals(r.passed(), report.lines().filter(l -> l.startsWith("ok   ")).count(), "one ok line per passed case");
    }

    /**
     * The number of cases the suite declares, counted without the JUnit launcher: every {@code @Test} method of every
     * class compiled into the cases package. The launcher's run must match it exactly, so a case class the discovery
     * misses (or a case that is silently skipped) fails here.
     */
    static int declaredCases() throws Exception {
        String dir = ConformanceRunner.CASES_PACKAGE.replace('.', '/');
        java.net.URL url = ConformanceSuiteTest.class.getClassLoader().getResource(dir);
        assertNotNull(url, dir + " not on the class path");
        int n = 0;
        try (var files = java.nio.file.Files.list(java.nio.file.Path.of(url.toURI()))) {
            for (java.nio.file.Path f : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                String name = f.getFileName().toString();
                Class<?> c = Class.forName(ConformanceRunner.CASES_PACKAGE + "." + name.substring(0, name.length() - 6));
                if (java.lang.reflect.Modifier.isAbstract(c.getModifiers())) continue;
                for (java.lang.reflect.Method m : c.getDeclaredMethods())
                    if (m.isAnnotationPresent(Test.class)) n++;
            }
        }
        return n;
    }
}
