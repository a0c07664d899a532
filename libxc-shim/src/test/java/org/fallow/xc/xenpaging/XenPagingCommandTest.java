package org.fallow.xc.xenpaging;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class XenPagingCommandTest {
    @TempDir Path dir;

    private int run(String... args) {
        return XenPagingCommand.standalone().execute(args);
    }

    @Test void optionsAreXenpagings() {
        XenPagingCommand c = new XenPagingCommand();
        new CommandLine(c).parseArgs("-d", "7", "-f", "/tmp/pf", "-m", "65536", "-r", "1024", "-v");
        assertEquals(7, c.domid);
        assertEquals(Path.of("/tmp/pf"), c.pagefile);
        assertEquals(65536, c.maxMemKb);
        assertEquals(1024, c.mruSize);
        assertTrue(c.verbose);
        XenPagingCommand d = new XenPagingCommand();
        new CommandLine(d).parseArgs("--domain=3", "--pagefile=x", "--max_memkb=4", "--mru_size=8");
        assertEquals(8, d.mruSize, "--mru_size sets the MRU size (xenpaging mapped it to -m: not reproduced)");
        assertEquals(4, d.maxMemKb);
        assertEquals(VictimPolicy.DEFAULT_MRU_SIZE, new XenPagingCommand().mruSize);
    }

    /** Issue 15 item 12: xenpaging's main returns 1 when xenpaging_init fails (bad options, domain 0, no xc). */
    @Test void domain0AndAMissingHypervisorExitWith1() {
        assertEquals(1, run("-d", "0", "-f", dir.resolve("pf").toString()));
        assertEquals(1, run("-d", "5", "-f", dir.resolve("pf").toString(), "--socket", dir.resolve("none.sock").toString()));
    }

    /** Issue 15 item 12: -h prints the usage and exits 1 (xenpaging_getopts: usage(); return 1), as a bad option does. */
    @Test void helpAndBadOptionsExitWith1() {
        assertEquals(1, run("-h"));
        assertEquals(1, run("--help"));
        assertEquals(1, run("-d", "5", "-f", "x", "--no-such-option"));
    }

    @Test void domainAndPagefileAreRequired() {
        CommandLine.MissingParameterException noDomain = assertThrows(CommandLine.MissingParameterException.class,
                () -> new CommandLine(new XenPagingCommand()).parseArgs("-f", "x"));
        assertTrue(noDomain.getMessage().contains("--domain"), noDomain.getMessage());
        CommandLine.MissingParameterException noPagefile = assertThrows(CommandLine.MissingParameterException.class,
                () -> new CommandLine(new XenPagingCommand()).parseArgs("-d", "5"));
        assertTrue(noPagefile.getMessage().contains("--pagefile"), noPagefile.getMessage());
        assertEquals(1, run("-f", "x"), "a usage error exits 1, as xenpaging");
    }
}
