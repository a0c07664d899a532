package org.fallow.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class RunContextTest {
    @Test
    void optionBeatsEnvironmentBeatsUserDefault() {
        assertEquals(Path.of("/tmp/fallow-alice"), RunContext.resolve(null, null, Map.of("USER", "alice")).runDir());
        assertEquals(Path.of("/tmp/env"), RunContext.resolve(null, null, Map.of("USER", "alice", "FALLOW_RUN_DIR", "/tmp/env")).runDir());
        RunContext c = RunContext.resolve(Path.of("/tmp/opt"), null, Map.of("FALLOW_RUN_DIR", "/tmp/env"));
        assertEquals(Path.of("/tmp/opt"), c.runDir());
        assertEquals(Path.of("/tmp/opt/hypervisor.sock"), c.socket());
        assertEquals(Path.of("/tmp/s.sock"), RunContext.resolve(Path.of("/tmp/opt"), Path.of("/tmp/s.sock"), Map.of()).socket());
    }
}
