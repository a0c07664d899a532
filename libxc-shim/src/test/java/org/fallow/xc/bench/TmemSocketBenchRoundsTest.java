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

    /** Each round's CPU per page is the mean of its put and get; busy = that times the round's put+get pages/s. */
    @Test
    void cpuPerPageOfEveryRoundAndHowBusyTheHypervisorWas() {
        double[][] rounds = {{0, 0, 1_000_000, 900, 1100}, {0, 0, 500_000, 1500, 1700}};
        assertEquals("batch 64, hv CPU ns per page of every round: 1000 1600 (hypervisor busy 0.80-1.00 of the wall time)\n",
                TmemSocketBench.cpuRoundsLine(64, rounds).replace(System.lineSeparator(), "\n"));
    }

    /**
     * The paired "x off": each round's hypervisor CPU per put (index 3) over off's in the same round, median over the
     * rounds. A host slowing 4x across the run moves both alike, so the pairs agree where best over best would not.
     */
    @Test
    void pairedRatioIsTheMedianOfTheRoundsOwnRatios() {
        double[][] off = {{0, 0, 0, 500}, {0, 0, 0, 1000}, {0, 0, 0, 2000}};
        double[][] codec = {{0, 0, 0, 1500}, {0, 0, 0, 2900}, {0, 0, 0, 6400}};
        assertEquals(3.0, TmemSocketBench.pairedPutCpuRatio(codec, off), 1e-12); // rounds: 3.0, 2.9, 3.2
        double[][] evenOff = {{0, 0, 0, 100}, {0, 0, 0, 100}}, evenCodec = {{0, 0, 0, 200}, {0, 0, 0, 400}};
        assertEquals(3.0, TmemSocketBench.pairedPutCpuRatio(evenCodec, evenOff), 1e-12); // mean of the middle two
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
