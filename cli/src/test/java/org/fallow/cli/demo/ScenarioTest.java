package org.fallow.cli.demo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.*;

class ScenarioTest {
    @Test
    void embeddedDefaultOvercommitsTheHostWithEveryRole() throws Exception {
        Scenario s = Scenario.load(null, Map.of());
        assertTrue(s.configuredMiB() > s.hostMiB(), "guests " + s.configuredMiB() + " MiB vs host " + s.hostMiB());
        assertTrue(s.guests().stream().anyMatch(g -> g.role() == Scenario.Role.POD && g.maxmemMiB() > g.memoryMiB()));
        assertTrue(s.guests().stream().anyMatch(g -> g.role() == Scenario.Role.PAGED && g.actmemMiB() < g.memoryMiB()));
        assertTrue(s.guests().stream().filter(g -> g.role() == Scenario.Role.TMEM).count() >= 2);
    }

    @Test
    void fileThenSingleKeysOverrideTheDefault(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("s.properties");
        Files.writeString(f, "host.mib=96\nguests=a,b\nguest.a.role=pod\nguest.a.memory.mib=8\nguest.a.maxmem.mib=16\n"
                + "guest.b.role=paged\nguest.b.memory.mib=20\nguest.b.args=--zipf 1.2 --files 40\n");
        Scenario s = Scenario.load(f, Map.of("host.mib", "64", "guest.b.actmem.mib", "4"));
        assertEquals(64, s.hostMiB());
        assertEquals(2, s.guests().size());
        Scenario.Guest a = s.guests().get(0), b = s.guests().get(1);
        assertEquals(Scenario.Role.POD, a.role());
        assertEquals(16, a.maxmemMiB());
        assertEquals(4, b.actmemMiB());
        assertEquals(20, b.maxmemMiB(), "maxmem defaults to memory");
        assertEquals(java.util.List.of("--zipf", "1.2", "--files", "40"), b.extraArgs());
        assertEquals(200_000, b.ops(), "a guest's work defaults to 200,000 operations");
    }

    @Test
    void workScalesEveryGuestsOperationsAndNothingIsADeadline() throws Exception {
        Scenario one = Scenario.load(null, Map.of());
        Scenario half = Scenario.load(null, Map.of("work", "0.5"));
        for (int i = 0; i < one.guests().size(); i++)
            assertEquals(Math.round(one.guests().get(i).ops() * 0.5), half.guests().get(i).ops(), one.guests().get(i).name());
        assertTrue(one.guests().stream().allMatch(g -> g.ops() > 0));
        assertThrows(IllegalArgumentException.class, () -> Scenario.load(null, Map.of("work", "0")));
        assertThrows(IllegalArgumentException.class, () -> Scenario.load(null, Map.of("hang.minutes", "-1")));
    }

    @Test
    void rejectsNonsense() {
        Properties p = new Properties();
        p.setProperty("guests", "x");
        p.setProperty("guest.x.memory.mib", "32");
        p.setProperty("guest.x.maxmem.mib", "16");
        assertThrows(IllegalArgumentException.class, () -> Scenario.from(p));
        p.setProperty("guest.x.maxmem.mib", "lots");
        assertThrows(IllegalArgumentException.class, () -> Scenario.from(p));
        p.setProperty("guest.x.maxmem.mib", "64");
        p.setProperty("guest.x.role", "dancer");
        assertThrows(IllegalArgumentException.class, () -> Scenario.from(p));
        p.setProperty("guests", "");
        assertThrows(IllegalArgumentException.class, () -> Scenario.from(p));
    }
}
