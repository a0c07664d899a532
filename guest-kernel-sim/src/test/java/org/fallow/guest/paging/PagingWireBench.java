package org.fallow.guest.paging;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Benchmark (not a test): page-ins/s with the hypervisor, the guest workload and xenpaging as separate processes. Run
 * {@code mvn -B -q -pl guest-kernel-sim -am test -Dtest=PagingWireBench -Dsurefire.failIfNoSpecifiedTests=false -Dfallow.bench=true}.
 */
@EnabledIfSystemProperty(named = "fallow.bench", matches = "true")
class PagingWireBench {
    /** Separate hypervisor, guest (4 vcpus) and xenpaging processes: a 32 MiB guest at actmem 8 MiB rewrites all its memory. */
    @Test void pageInsPerSecondOverTheWire() throws Exception {
        int frames = 8192, vcpus = 4;
        try (PagingProcessBed bed = new PagingProcessBed("128")) {
            if (bed.createDomain(frames, vcpus) != 0) {
                System.out.println("paging-bench wire: skipped (no guest-memory subsystem in the hypervisor)");
                return;
            }
            bed.startGuest(frames, vcpus);
            bed.ask("init");
            bed.xc.xenstore().write("/local/domain/1/memory/target-tot_pages", String.valueOf(frames / 4 * 4));
            Process pager = bed.pager(bed.dir.resolve("pf"), 256);
            bed.awaitTotPages(frames / 4);
            for (int run = 0; run < 3; run++) {
                long t0 = System.nanoTime();
                String r = bed.ask("pass 1");
                double secs = (System.nanoTime() - t0) / 1e9;
                long faults = Long.parseLong(r.substring(3));
                System.out.printf("paging-bench wire page-ins vcpus=%d: %d faults in %.2f s = %.0f page-ins/s (actmem %d of %d pages)%n",
                        vcpus, faults, secs, faults / secs, frames / 4, frames);
            }
            pager.destroy();
            pager.waitFor();
        }
    }
}
