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

    @Test
    void pairedRatiosAreEachRoundOverItsOwnFloor() {
        // a floor slowing 4x across the rounds, the figure 3x it in each: best over best would read 1.5x here
        assertEquals(3.0, Median.ofRatios(new double[]{300, 2900, 1200}, new double[]{100, 1000, 400}), 1e-12);
        assertEquals(2.5, Median.ofRatios(new double[]{2, 6}, new double[]{1, 2}), 1e-12);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Median.ofRatios(new double[]{1}, new double[]{1, 2}));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Median.ofRatios(new double[0], new double[0]));
    }
}
