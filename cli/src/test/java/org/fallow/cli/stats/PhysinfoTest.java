package org.fallow.cli.stats;

import org.fallow.abi.fs.SafeFiles;
import org.fallow.xc.Physinfo;

import org.fallow.abi.AbiProfile;
import org.fallow.xc.XcHandle;
import org.fallow.abi.process.HypervisorProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

@Timeout(120)
class PhysinfoTest {
    private Path dir;

    @AfterEach
    void cleanUp() throws Exception {
        if (dir != null) SafeFiles.deleteTreeQuietly(dir);
    }

    @Test
    void reportsTheHostSizeOfARealHypervisorProcess() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "fl");
        try (HypervisorProcess hv = HypervisorProcess.start(dir, "--host-mem", "48");
             XcHandle xc = XcHandle.open(dir.resolve("hypervisor.sock"), AbiProfile.XEN_4_12)) {
            Physinfo p = Physinfo.query(xc);
            assertEquals(48 * 256, p.totalPages());
            assertTrue(p.freePages() > 0 && p.freePages() <= p.totalPages(), p.toString());
        }
    }
}
