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

    /** Only a JVM that runs a hypervisor gets the Vector API module (tmem's word coder), wherever its subcommand is. */
    @Test
    void theVectorModuleGoesToHypervisorsOnly() {
        String cli = "org.fallow.cli.FallowMain";
        assertTrue(ChildJvm.command(List.of(), HypervisorProcess.MAIN_CLASS, List.of("--run-dir", "/r")).contains(ChildJvm.VECTOR_MODULE));
        assertTrue(ChildJvm.command(List.of(), cli, List.of("hypervisor", "--host-mem", "64")).contains(ChildJvm.VECTOR_MODULE));
        assertTrue(ChildJvm.command(List.of(), cli, List.of("-v", "--run-dir", "/r", "--socket", "/r/s", "hypervisor")).contains(ChildJvm.VECTOR_MODULE));
        assertFalse(ChildJvm.command(List.of(), cli, List.of("-v", "--run-dir", "hypervisor", "guest")).contains(ChildJvm.VECTOR_MODULE),
                "a run directory named hypervisor is not the subcommand");
        assertFalse(ChildJvm.command(List.of(), cli, List.of("guest", "hypervisor")).contains(ChildJvm.VECTOR_MODULE));
        assertFalse(ChildJvm.command(List.of(), "org.fallow.guest.GuestMain", List.of("hypervisor")).contains(ChildJvm.VECTOR_MODULE));
    }
}
