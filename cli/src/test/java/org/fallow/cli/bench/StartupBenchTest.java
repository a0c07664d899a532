package org.fallow.cli.bench;

import org.fallow.abi.process.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The timing plumbing of {@code bench startup} (the whole command needs ./fallow's build; its figures are printed only). */
class StartupBenchTest {
    @Test
    void childrenCpuIsUserPlusSystemOfTheSecondTimesLine() {
        assertEquals(0.512 + 0.080, StartupBench.childrenCpu("0m0.004s 0m0.001s\n0m0.512s 0m0.080s\n"), 1e-9);
        assertEquals(61.5 + 2.25, StartupBench.childrenCpu("0m0.000s 0m0.000s\n1m1.500s 0m2.250s"), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> StartupBench.childrenCpu("0m0.004s 0m0.001s"));
        assertThrows(IllegalArgumentException.class, () -> StartupBench.childrenCpu("a b\n0.5 0.1"));
    }

    @Test @Timeout(120)
    void aJvmStartIsTimedAsAWholeProcessAndAFailureIsReported() throws Exception {
        StartupBench.Timing t = StartupBench.run(List.of(ChildJvm.javaBinary(), "-version"));
        assertTrue(t.cpu() > 0, "a JVM start takes CPU time: " + t);
        assertTrue(t.wall() > 0, t.toString());
        IOException e = assertThrows(IOException.class, () -> StartupBench.run(List.of("false")));
        assertTrue(e.getMessage().contains("exit 1"), e.getMessage());
    }
}
