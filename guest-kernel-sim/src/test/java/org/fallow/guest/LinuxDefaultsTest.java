package org.fallow.guest;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue 15 item 13: Linux v5.2's defaults and sysfs rules. tmem.selfballooning and tmem.selfshrinking default on
 * (off without frontswap, as xen_tmem_init forces); selfballoon_min_usable_mb and selfballoon_reserved_mb reject 0 as
 * their sysfs store functions do (-EINVAL), while the module's own initial 0 still means "computed".
 */
class LinuxDefaultsTest {
    private static GuestMain parse(String... args) {
        GuestMain m = new GuestMain();
        new CommandLine(m).parseArgs(args);
        return m;
    }

    @Test void selfballooningAndSelfshrinkingDefaultOnWithFrontswap() {
        GuestTunables t = parse("--domid", "1", "--secret", "00", "--frontswap").tunables();
        assertTrue(t.selfballooning(), "tmem.selfballooning defaults on");
        assertTrue(t.frontswapSelfshrinking(), "tmem.selfshrinking defaults on");
        GuestTunables off = parse("--domid", "1", "--secret", "00", "--frontswap", "--no-selfballoon", "--no-selfshrink").tunables();
        assertFalse(off.selfballooning());
        assertFalse(off.frontswapSelfshrinking());
        GuestTunables noFrontswap = parse("--domid", "1", "--secret", "00", "--cleancache").tunables();
        assertFalse(noFrontswap.selfballooning(), "xen_tmem_init: no frontswap, no selfballooning");
        assertFalse(noFrontswap.frontswapSelfshrinking());
        assertTrue(parse("--domid", "1", "--secret", "00", "--cleancache", "--selfballoon").tunables().selfballooning(),
                "explicitly asked for without frontswap (docs/DEVIATIONS.md)");
    }

    @Test void sysfsRejectsZeroForMinUsableAndReservedMb() {
        GuestTunables t = GuestTunables.defaults();
        assertEquals(0, t.selfballoonMinUsableMb(), "initially 0: the piecewise floor");
        assertThrows(IllegalArgumentException.class, () -> t.selfballoonMinUsableMb(0));
        assertThrows(IllegalArgumentException.class, () -> t.selfballoonReservedMb(0));
        assertThrows(IllegalArgumentException.class, () -> t.selfballoonReservedMb(-1));
        t.selfballoonMinUsableMb(64).selfballoonReservedMb(8);
        assertEquals(64, t.selfballoonMinUsableMb());
        assertEquals(8, t.selfballoonReservedMb());
        t.initSelfballoonReservedMb(0); // xen_selfballoon_init's totalram/10 may round to 0 MiB: not a sysfs store
        assertEquals(0, t.selfballoonReservedMb());
        GuestMain zero = parse("--domid", "1", "--secret", "00", "--selfballoon-reserved-mb", "0");
        CommandLine.ParameterException e = assertThrows(CommandLine.ParameterException.class, zero::tunables);
        assertTrue(e.getMessage().contains("selfballoon_reserved_mb"), e.getMessage());
        assertEquals(16, parse("--domid", "1", "--secret", "00", "--selfballoon-min-usable-mb", "16").tunables().selfballoonMinUsableMb());
    }
}
