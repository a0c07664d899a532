package org.fallow.abi.process;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChildJvmTest {
    @Test
    void theLaunchersStartUpPropertiesArePassedOnOnlyWhenSet() {
        String key = "jffi.boot.library.path";
        String old = System.getProperty(key);
        try {
            System.clearProperty(key);
            List<String> without = ChildJvm.command(List.of("-Xmx64m"), "Main", List.of("a"));
            assertFalse(without.stream().anyMatch(a -> a.startsWith("-D" + key)), without.toString());

            System.setProperty(key, "/opt/fallow/cli/target/jffi/jni");
            List<String> with = ChildJvm.command(List.of("-Xmx64m"), "Main", List.of("a"));
            int prop = with.indexOf("-D" + key + "=/opt/fallow/cli/target/jffi/jni");
            assertTrue(prop > 0, with.toString());
            assertTrue(prop < with.indexOf("-Xmx64m"), "before the caller's options, which may override it: " + with);
            assertEquals(List.of("Main", "a"), with.subList(with.size() - 2, with.size()));
        } finally {
            if (old == null) System.clearProperty(key);
            else System.setProperty(key, old);
        }
    }
}
