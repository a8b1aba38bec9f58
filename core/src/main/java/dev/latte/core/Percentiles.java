package dev.latte.core;

import java.util.Arrays;

/**
 * The one percentile of every report (eval latencies, benchmark and load-test tables): nearest
 * rank, so a reported p95 is a value that was measured, never an interpolation between two.
 */
public final class Percentiles {
  private Percentiles() {}

  /**
   * The value at rank {@code ceil(p / 100 * n)} (at least 1) of the sorted values, {@code p} in
   * 0..100; NaN for no values, so an empty sample cannot pass for a measured 0.
   */
  public static double nearestRank(double[] values, double p) {
    if (!(p >= 0 && p <= 100)) {
      throw new IllegalArgumentException("percentile " + p + " is not in 0..100");
    }
    if (values.length == 0) return Double.NaN;
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
  }
}
