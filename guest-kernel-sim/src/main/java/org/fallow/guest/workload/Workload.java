package org.fallow.guest.workload;

import org.fallow.guest.mm.GuestKernel;

import java.util.random.RandomGenerator;

/** A guest workload run in steps between which the kernel's workers (balloon, selfballoon) get to run. */
public interface Workload {
    String name();

    /** Creates files, processes... */
    void setup(GuestKernel k, RandomGenerator r);

    /** One batch of operations; false once the workload has finished. */
    boolean step(GuestKernel k, RandomGenerator r);

    /** Operations done so far (for progress lines and statistics). */
    long ops();

    /** Creates a workload by its CLI name, sized for a guest of {@code maxPfn} frames doing about {@code ops} operations. */
    static Workload byName(String name, long maxPfn, long ops) { return byName(name, maxPfn, ops, false); }

    /** As {@link #byName(String, long, long)}; {@code endless}: cyclic workloads repeat until stopped from outside. */
    static Workload byName(String name, long maxPfn, long ops, boolean endless) {
        return switch (name) {
            case "zipf-files" -> new ZipfFilesWorkload((int) (maxPfn * 2), 64, 1.0, ops);
            case "anon-grow" -> new AnonGrowWorkload((int) (maxPfn * 5 / 4), endless ? Integer.MAX_VALUE : 2, ops);
            case "kbuild" -> new KbuildWorkload((int) Math.max(200, maxPfn / 8), ops);
            default -> throw new IllegalArgumentException("unknown workload '" + name + "' (zipf-files, anon-grow, kbuild)");
        };
    }
}
