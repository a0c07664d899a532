package org.fallow.abi.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class MedianTest {
    @Test
    void medianOfOddAndEvenCounts() {
        assertEquals(2.0, Median.ofSorted(new double[]{1, 2, 9}));
        assertEquals(2.5, Median.ofSorted(new double[]{1, 2, 3, 40}));
    }

    @Test
    void anyOrderIsSortedOnACopy() {
        double[] v = {40, 1, 3, 2};
        assertEquals(2.5, Median.of(v));
        assertArrayEquals(new double[]{40, 1, 3, 2}, v, "the values are left as they were");
        assertEquals(613000, Median.of(new double[]{562000, 1101058, 613000}));
    }
}
