package org.fallow.abi.wire;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** PROTOCOL.md's default run directory: $FALLOW_RUN_DIR, else /tmp/fallow-$USER (a blank variable counts as unset). */
class RunDirectoryTest {
    @Test void environmentBeatsTheUserDefault() {
        assertEquals(Path.of("/tmp/env"), RunDirectory.defaultRunDir(Map.of("FALLOW_RUN_DIR", "/tmp/env", "USER", "alice")));
        assertEquals(Path.of("/tmp/fallow-alice"), RunDirectory.defaultRunDir(Map.of("USER", "alice")));
        assertEquals(Path.of("/tmp/fallow-alice"), RunDirectory.defaultRunDir(Map.of("FALLOW_RUN_DIR", " ", "USER", "alice")));
    }

    @Test void withoutUserTheJavaUserNameIsUsed() {
        Path expected = Path.of("/tmp", "fallow-" + System.getProperty("user.name", "user"));
        assertEquals(expected, RunDirectory.defaultRunDir(Map.of()));
        assertEquals(expected, RunDirectory.defaultRunDir(Map.of("USER", "")));
    }
}
