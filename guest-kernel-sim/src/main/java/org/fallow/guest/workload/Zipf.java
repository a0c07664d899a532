package org.fallow.guest.workload;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/** Zipf(n, s) over ranks 0..n-1 (rank 0 most popular) by inverse CDF. */
public final class Zipf {
    private final double[] cdf;

    public Zipf(int n, double s) {
        if (n <= 0) throw new IllegalArgumentException("n " + n);
        cdf = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += 1.0 / Math.pow(i + 1, s);
            cdf[i] = sum;
        }
        for (int i = 0; i < n; i++) cdf[i] /= sum;
    }

    public int sample(RandomGenerator r) {
        int i = Arrays.binarySearch(cdf, r.nextDouble());
        return Math.min(i >= 0 ? i : -i - 1, cdf.length - 1);
    }

    public int n() { return cdf.length; }
}
