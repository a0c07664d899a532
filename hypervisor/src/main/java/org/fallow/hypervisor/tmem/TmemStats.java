package org.fallow.hypervisor.tmem;

/** Global tmem counters (Xen's {@code tmem_stats} and {@code tmem_global}), as printed by LIST's G= line. */
public final class TmemStats {
    long totalOps, erroredOps, failedCopies, allocFailed, allocPageFailed, lowOnMemory;
    long evictedPages, evictAttempts, relinqPages, relinqAttempts, maxEvictsPerRelinq, totalFlushPool;
    long objCount, objCountMax, pgpCount, pgpCountMax, pageCount, pageCountMax;
    long goodEphPuts, liveCompressedBytes;

    // 2009 perf counters of the T= line: G P g p F O C c d
    final PerfCounter succGet = new PerfCounter(), succPut = new PerfCounter(), nonSuccGet = new PerfCounter(),
            nonSuccPut = new PerfCounter(), flush = new PerfCounter(), flushObj = new PerfCounter(),
            pageCopy = new PerfCounter(), compress = new PerfCounter(), decompress = new PerfCounter();

    public long totalOps() { return totalOps; }
    public long erroredOps() { return erroredOps; }
    public long evictedPages() { return evictedPages; }
    public long storedPages() { return pgpCount; }
    public long pagesHeld() { return pageCount; }
    public long compressedBytes() { return liveCompressedBytes; }

    void pgpAdded() { if (++pgpCount > pgpCountMax) pgpCountMax = pgpCount; }
    void objAdded() { if (++objCount > objCountMax) objCountMax = objCount; }
    void pageTaken() { if (++pageCount > pageCountMax) pageCountMax = pageCount; }

    /** A count/sum/max/min of elapsed times (nanoseconds here; Xen counted cycles). */
    static final class PerfCounter {
        long count, sum, max, min;

        void record(long elapsed) {
            if (count == 0 || elapsed < min) min = elapsed;
            if (elapsed > max) max = elapsed;
            sum += elapsed;
            count++;
        }
    }
}
