package org.fallow.guest.tmem;

/** Counters of the tmem shim's hypercalls by command and outcome (what the guest saw come back). */
public final class TmemDriverStats {
    public long newPools, newPoolFailures, destroyPools;
    public long puts, putSucceeded, putFailed, putEnospc;
    public long gets, getHits, getMisses, getEmpty, getErrors;
    public long flushPages, flushObjects;
    public long skipped;

    void put(long rc) {
        puts++;
        if (rc == 1) putSucceeded++;
        else {
            putFailed++;
            if (rc == -28) putEnospc++;
        }
    }

    void get(long rc) {
        gets++;
        if (rc == 1) getHits++;
        else if (rc == 0) getMisses++;
        else if (rc == -1001) getEmpty++;
        else getErrors++;
    }
}
