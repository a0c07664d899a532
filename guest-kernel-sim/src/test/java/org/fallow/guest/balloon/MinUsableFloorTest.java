package org.fallow.guest.balloon;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MinUsableFloorTest {
    /** Linux drivers/xen/xen-selfballoon.c v5.2 floor examples (totalreserve = 0), in MiB with one decimal: max_pfn MiB → floor MiB. */
    @ParameterizedTest
    @CsvSource({"32,24.0", "64,43.0", "128,51.0", "256,67.0", "512,111.9", "1024,127.9", "2048,159.9", "4096,223.9",
            "8192,351.9", "16384,607.9"})
    void referenceTable(long maxMiB, double floorMiB) {
        long floor = MinUsableFloor.floorPages(maxMiB << 8, 0, 0);
        assertEquals(floorMiB, Math.floor(floor / 256.0 * 10) / 10, 1e-9);
    }

    @Test void tinyGuestIsNotWorthBallooning() {
        assertEquals(15 << 8, MinUsableFloor.floorPages(15 << 8, 0, 0));
        // useful = max_pfn - totalreserve decides: 20 MiB with a 5 MiB reserve is < 16 MiB useful
        assertEquals(20 << 8, MinUsableFloor.floorPages(20 << 8, (5 << 8) + 1, 0));
    }

    @Test void reserveIsAddedAndMinUsableOverrides() {
        long r = 300;
        assertEquals(r + (40 << 8) + ((256L << 8) - r - (40 << 8)) / 8, MinUsableFloor.floorPages(256 << 8, r, 0));
        assertEquals(r + (100 << 8), MinUsableFloor.floorPages(4096 << 8, r, 100));
    }
}
