package org.fallow.guest.workload;

import org.fallow.guest.mm.FileSystem;
import org.fallow.guest.mm.GuestKernel;
import org.fallow.guest.mm.SimFile;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * File reads with a Zipf popularity over all pages of a file set larger than the guest (the set is {@code totalPages}
 * pages in {@code nFiles} files; popularity is over pages in a random order). 2 % of operations overwrite a page,
 * 0.1 % truncate a file and write it again.
 */
public final class ZipfFilesWorkload implements Workload {
    static final int OPS_PER_STEP = 256;
    private final int totalPages, nFiles;
    private final double s;
    private final long targetOps;
    private final List<SimFile> files = new ArrayList<>();
    private int[] pageFile, pageIndex;
    private Zipf zipf;
    private long ops;

    public ZipfFilesWorkload(int totalPages, int nFiles, double s, long targetOps) {
        this.totalPages = totalPages;
        this.nFiles = Math.min(nFiles, totalPages);
        this.s = s;
        this.targetOps = targetOps;
    }

    @Override public String name() { return "zipf-files"; }

    @Override public void setup(GuestKernel k, RandomGenerator r) {
        FileSystem fs = k.mount("ext4");
        int left = totalPages;
        for (int i = 0; i < nFiles; i++) {
            int size = i == nFiles - 1 ? left : Math.max(1, Math.min(left - (nFiles - 1 - i), totalPages / nFiles));
            files.add(k.createFile(fs, size));
            left -= size;
        }
        pageFile = new int[totalPages];
        pageIndex = new int[totalPages];
        int n = 0;
        for (int f = 0; f < files.size(); f++)
            for (int p = 0; p < files.get(f).sizePages(); p++) { pageFile[n] = f; pageIndex[n] = p; n++; }
        for (int i = n - 1; i > 0; i--) { // shuffle popularity ranks
            int j = r.nextInt(i + 1);
            int tf = pageFile[i], ti = pageIndex[i];
            pageFile[i] = pageFile[j]; pageIndex[i] = pageIndex[j];
            pageFile[j] = tf; pageIndex[j] = ti;
        }
        zipf = new Zipf(n, s);
    }

    @Override public boolean step(GuestKernel k, RandomGenerator r) {
        for (int i = 0; i < OPS_PER_STEP && ops < targetOps; i++, ops++) {
            int rank = zipf.sample(r);
            SimFile f = files.get(pageFile[rank]);
            int idx = pageIndex[rank];
            double dice = r.nextDouble();
            if (dice < 0.001) {
                int size = f.sizePages();
                k.truncate(f, 0);
                for (int p = 0; p < size; p++) k.writePage(f, p);
            } else if (dice < 0.021) k.writePage(f, idx);
            else k.readPage(f, idx);
        }
        return ops < targetOps;
    }

    @Override public long ops() { return ops; }
}
