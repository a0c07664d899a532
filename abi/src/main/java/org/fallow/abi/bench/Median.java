package org.fallow.abi.bench;

import java.util.Arrays;

/** The median the bench commands print: the middle value, or the mean of the middle two for an even count. */
public final class Median {
    private Median() {}

    /** The median of values already sorted ascending. */
    public static double ofSorted(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /**
     * The median of {@code numerators[i] / denominators[i]}: paired rounds, each figure over its floor of the same
     * round (the bench commands' "paired" ratios). The arrays have the same length, at least 1.
     */
    public static double ofRatios(double[] numerators, double[] denominators) {
        if (numerators.length == 0 || numerators.length != denominators.length)
            throw new IllegalArgumentException("ratios of " + numerators.length + " over " + denominators.length + " values");
        double[] q = new double[numerators.length];
        for (int i = 0; i < q.length; i++) q[i] = numerators[i] / denominators[i];
        return of(q);
    }

    /** The median of {@code values} in any order (a sorted copy; {@code values} is left as it is). */
    public static double of(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        return ofSorted(s);
    }
}
