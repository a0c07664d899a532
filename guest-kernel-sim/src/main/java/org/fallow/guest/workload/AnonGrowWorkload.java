package org.fallow.guest.workload;

import org.fallow.guest.mm.AnonProcess;
import org.fallow.guest.mm.GuestKernel;

import java.util.random.RandomGenerator;

/**
 * Growing and shrinking anonymous memory: a process grows to {@code peakPages} (touching each new page and re-touching
 * random old ones), holds, shrinks to a tenth, then stays idle for a while (memory pressure gone: time for frontswap
 * selfshrinking), {@code cycles} times. A small worker set keeps re-reading its pages throughout.
 */
public final class AnonGrowWorkload implements Workload {
    static final int PAGES_PER_STEP = 64;
    private final int peakPages, cycles, idleSteps;
    private final long targetOps;
    private AnonProcess p;
    private int cycle, phase, holdSteps;
    private long ops;

    public AnonGrowWorkload(int peakPages, int cycles, long targetOps) { this(peakPages, cycles, 400, targetOps); }

    /** {@code idleSteps}: workload steps spent at low use after each shrink (10 ms of guest time each). */
    public AnonGrowWorkload(int peakPages, int cycles, int idleSteps, long targetOps) {
        this.peakPages = peakPages;
        this.cycles = cycles;
        this.idleSteps = idleSteps;
        this.targetOps = targetOps;
    }

    @Override public String name() { return "anon-grow"; }

    @Override public void setup(GuestKernel k, RandomGenerator r) { p = k.spawn(); }

    @Override public boolean step(GuestKernel k, RandomGenerator r) {
        if (!p.alive()) p = k.spawn(); // OOM-killed: start again
        switch (phase) {
            case 0 -> { // grow
                int from = p.size(), to = Math.min(peakPages, from + PAGES_PER_STEP);
                k.resize(p, to);
                for (int v = from; v < to && p.alive(); v++, ops++) k.touch(p, v, true);
                for (int i = 0; i < 16 && p.alive() && p.size() > 0; i++, ops++) k.touch(p, r.nextInt(p.size()), r.nextBoolean());
                if (p.size() >= peakPages) { phase = 1; holdSteps = 0; }
            }
            case 1 -> { // hold at peak, touching the hot tenth
                int hot = Math.max(1, p.size() / 10);
                for (int i = 0; i < PAGES_PER_STEP && p.alive(); i++, ops++) k.touch(p, r.nextInt(hot), false);
                if (++holdSteps >= 20) { phase = 2; }
            }
            case 2 -> { // shrink
                k.resize(p, Math.max(peakPages / 10, p.size() - PAGES_PER_STEP * 4));
                ops++;
                if (p.size() <= peakPages / 10) { phase = 3; holdSteps = 0; }
            }
            case 3 -> { // idle at low use
                for (int i = 0; i < 8 && p.alive() && p.size() > 0; i++, ops++) k.touch(p, r.nextInt(p.size()), false);
                if (++holdSteps >= idleSteps) {
                    cycle++;
                    phase = 0;
                }
            }
            default -> throw new IllegalStateException();
        }
        return cycle < cycles && ops < targetOps;
    }

    @Override public long ops() { return ops; }

    public AnonProcess process() { return p; }

    public int phase() { return phase; }
}
