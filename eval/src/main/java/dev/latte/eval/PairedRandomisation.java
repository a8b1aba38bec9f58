package dev.latte.eval;

import java.util.SplittableRandom;

/**
 * Paired randomisation (permutation) test of a difference in mean per-query effectiveness, as in
 * Smucker, Allan and Carterette (CIKM 2007): under the null hypothesis the two systems are
 * exchangeable on every query, so each per-query difference keeps or flips its sign with
 * probability 1/2. The two-sided p-value is the share of sign assignments whose mean difference is
 * at least as far from 0 as the observed one, estimated with a fixed number of random assignments
 * (seeded, so a table is reproducible) and counted with the observed assignment included, so it is
 * never 0.
 */
public final class PairedRandomisation {
  /** Random sign assignments drawn; the p-value's resolution is about 1/TRIALS. */
  public static final int TRIALS = 10_000;

  private PairedRandomisation() {}

  /** Two-sided p-value of mean(a - b) = 0 for paired per-query scores {@code a}, {@code b}. */
  public static double pValue(double[] a, double[] b) {
    return pValue(a, b, TRIALS, 42L);
  }

  static double pValue(double[] a, double[] b, int trials, long seed) {
    if (a.length != b.length)
      throw new IllegalArgumentException(
          "paired scores need as many values on each side, got " + a.length + " and " + b.length);
    int n = a.length;
    if (n == 0) return 1.0;
    double[] diff = new double[n];
    double observed = 0;
    for (int i = 0; i < n; i++) {
      diff[i] = a[i] - b[i];
      observed += diff[i];
    }
    observed = Math.abs(observed);
    // A tolerance so that assignments equal to the observed sum up to rounding count as "as far".
    double tolerance = 1e-9 * Math.max(1, observed);
    SplittableRandom random = new SplittableRandom(seed);
    int asFar = 1; // the observed assignment itself
    for (int t = 0; t < trials; t++) {
      double sum = 0;
      for (int i = 0; i < n; i++) sum += random.nextBoolean() ? diff[i] : -diff[i];
      if (Math.abs(sum) >= observed - tolerance) asFar++;
    }
    return asFar / (double) (trials + 1);
  }
}
