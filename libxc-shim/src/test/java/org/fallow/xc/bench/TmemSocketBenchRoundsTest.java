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

    @Test
    void batchedRowsPutFourTimesThePagesUnlessTold() {
        TmemSocketBench b = new TmemSocketBench();
        new picocli.CommandLine(b).parseArgs("--pages", "100", "--batches", "1,64");
        assertEquals(100, b.pagesPerRound(1));
        assertEquals(400, b.pagesPerRound(64));
        assertEquals(400, b.maxPagesPerRound(), "the hypervisor's memory is sized for the longest round");
        new picocli.CommandLine(b).parseArgs("--pages", "100", "--batched-pages", "50", "--batches", "1,16");
        assertEquals(100, b.pagesPerRound(1));
        assertEquals(50, b.pagesPerRound(16));
        assertEquals(100, b.maxPagesPerRound());
    }
}
