package org.fallow.guest.workload;

import org.fallow.guest.mm.AnonProcess;
import org.fallow.guest.mm.FileSystem;
import org.fallow.guest.mm.GuestKernel;
import org.fallow.guest.mm.SimFile;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * A kernel-build-like mix: many small source files (1-6 pages) read once per compile, popular headers (Zipf) read by
 * every compile, a compiler process per job whose anonymous memory (64-256 pages) is written and freed, and an object
 * file written per job; object files are deleted ("make clean") every pass over the sources.
 */
public final class KbuildWorkload implements Workload {
    private final int nSources;
    private final long targetOps;
    private final List<SimFile> sources = new ArrayList<>(), headers = new ArrayList<>(), objects = new ArrayList<>();
    private FileSystem fs;
    private Zipf headerPopularity;
    private int next;
    private long ops, jobs;

    public KbuildWorkload(int nSources, long targetOps) {
        this.nSources = nSources;
        this.targetOps = targetOps;
    }

    @Override public String name() { return "kbuild"; }

    @Override public void setup(GuestKernel k, RandomGenerator r) {
        fs = k.mount("ext4");
        for (int i = 0; i < nSources; i++) sources.add(k.createFile(fs, 1 + r.nextInt(6)));
        for (int i = 0; i < Math.max(20, nSources / 10); i++) headers.add(k.createFile(fs, 4 + r.nextInt(13)));
        headerPopularity = new Zipf(headers.size(), 0.9);
    }

    @Override public boolean step(GuestKernel k, RandomGenerator r) {
        SimFile src = sources.get(next);
        AnonProcess cc1 = k.spawn();
        int anon = 64 + r.nextInt(193);
        k.resize(cc1, anon);
        for (int p = 0; p < src.sizePages(); p++, ops++) k.readPage(src, p);
        for (int h = 0; h < 10; h++) {
            SimFile hdr = headers.get(headerPopularity.sample(r));
            for (int p = 0; p < hdr.sizePages(); p++, ops++) k.readPage(hdr, p);
        }
        for (int v = 0; v < anon && cc1.alive(); v++, ops++) k.touch(cc1, v, true);
        for (int i = 0; i < anon && cc1.alive(); i++, ops++) k.touch(cc1, r.nextInt(anon), false);
        SimFile obj = k.createFile(fs, 0);
        int objPages = 2 + r.nextInt(3);
        for (int p = 0; p < objPages; p++, ops++) k.writePage(obj, p);
        objects.add(obj);
        k.exit(cc1);
        jobs++;
        if (++next == sources.size()) {
            next = 0;
            for (SimFile o : objects) k.deleteFile(o);
            objects.clear();
        }
        return ops < targetOps;
    }

    @Override public long ops() { return ops; }

    public long jobs() { return jobs; }
}
