package org.fallow.xc.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class TmemSocketBenchRoundsTest {
    @Test
    void everyRoundInOrderThenTheMedian() {
        assertEquals("batch 64, put+get pages/s of every round: 562000 1101058 613000 (median 613000)\n",
                TmemSocketBench.roundsLine(64, new double[] {562000, 1101058, 613000}).replace(System.lineSeparator(), "\n"));
    }

    @Test
    void anEvenCountTakesTheMeanOfTheMiddleTwo() {
        assertEquals("batch 1, put+get pages/s of every round: 40 10 30 20 (median 25)\n",
                TmemSocketBench.roundsLine(1, new double[] {40, 10, 30, 20}).replace(System.lineSeparator(), "\n"));
    }
}
