package org.fallow.abi.sys;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LoadGatedSpinTest {
    @Test
    void readsTheRunnableCountFromLoadavgsFourthField() {
        assertEquals(3, LoadGatedSpin.parseRunnable("0.00 0.01 0.05 3/120 4567\n"));
        assertEquals(14, LoadGatedSpin.parseRunnable("13.52 12.02 9.10 14/311 88"));
    }

    @Test
    void aLoadavgItCannotReadClosesTheGate() {
        assertEquals(Integer.MAX_VALUE, LoadGatedSpin.parseRunnable(""));
        assertEquals(Integer.MAX_VALUE, LoadGatedSpin.parseRunnable("0.00 0.01 0.05"));
        assertEquals(Integer.MAX_VALUE, LoadGatedSpin.parseRunnable("0.00 0.01 0.05 x/120 1"));
        assertEquals(Integer.MAX_VALUE, LoadGatedSpin.parseRunnable("0.00 0.01 0.05 /120 1"));
    }

    @Test
    void countsKernelCpuLists() {
        assertEquals(1, LoadGatedSpin.countCpuList("0"));
        assertEquals(2, LoadGatedSpin.countCpuList("0-1"));
        assertEquals(4, LoadGatedSpin.countCpuList("0,2-3,7"));
    }

    @Test
    void theRealLoadavgCountsAtLeastTheReader() {
        int r = LoadGatedSpin.runnable();
        assertTrue(r >= 1 && r < Integer.MAX_VALUE, "runnable " + r);
        assertTrue(LoadGatedSpin.onlineCpus() >= 1);
    }

    @Test
    void theWindowIsTheSystemPropertysMicroseconds() {
        long micros = Math.max(0, Long.getLong("fallow.spinMicros", 200));
        assertEquals(micros * 1000, SpinPolicy.system().windowNanos());
        if (micros == 0) assertFalse(SpinPolicy.system().mayPoll(System.nanoTime()), "0 turns polling off");
    }

    @Test
    void fixedPoliciesForTests() {
        assertFalse(SpinPolicy.NEVER.mayPoll(System.nanoTime()));
        assertTrue(SpinPolicy.fixed(true, 1000).mayPoll(0));
        assertFalse(SpinPolicy.fixed(true, 0).mayPoll(0), "no window, no poll");
        assertFalse(SpinPolicy.fixed(false, 1000).mayPoll(0));
    }
}
