package dev.latte.core.codec;

import java.util.Arrays;

/**
 * The least-squares (Lloyd-Max) scalar quantizer of each dimension's residual values, the fit
 * behind {@link ResidualCodebook#fit}: started from the quantile buckets, then alternately each
 * cutoff the midpoint of its two weights and each weight the mean of its bucket, until nothing
 * moves.
 */
final class LloydMaxFit {
  private LloydMaxFit() {}

  /**
   * Most Lloyd-Max rounds per dimension: 16 levels converge slowly in the tails, and a round costs
   * only 2^bits binary searches over the sorted sample.
   */
  static final int LLOYD_MAX_ROUNDS = 2000;

  /**
   * Per dimension d of the sample's residuals ({@code sample[t] . rowScale[t] -
   * centroids[sampleCentroid[t]]}; {@code rowScale} null: 1), the 2^bits - 1 cutoffs and 2^bits
   * weights of least squared error: {@code {cutoffs, weights}}.
   */
  static float[][] cutoffsAndWeights(
      int bits,
      float[] centroids,
      int dim,
      float[] sample,
      int sampleRows,
      int[] sampleCentroid,
      float[] rowScale) {
    int buckets = 1 << TokenCodec.residual(bits).residualBits();
    float[] cutoffs = new float[dim * (buckets - 1)];
    float[] weights = new float[dim * buckets];
    float[] values = new float[sampleRows];
    double[] prefix = new double[sampleRows + 1];
    for (int d = 0; d < dim; d++) {
      for (int t = 0; t < sampleRows; t++)
        values[t] =
            (rowScale == null ? sample[t * dim + d] : sample[t * dim + d] * rowScale[t])
                - centroids[sampleCentroid[t] * dim + d];
      Arrays.sort(values);
      for (int t = 0; t < sampleRows; t++) prefix[t + 1] = prefix[t] + values[t];
      int cut = d * (buckets - 1), w = d * buckets;
      for (int j = 1; j < buckets; j++)
        cutoffs[cut + j - 1] =
            sampleRows == 0 ? 0f : values[(int) ((long) j * sampleRows / buckets)];
      bucketMeans(values, prefix, sampleRows, cutoffs, cut, weights, w, buckets, true);
      if (sampleRows == 0) continue;
      // Ends on the midpoints, so that coding always picks the nearest weight.
      for (int round = 0; midpoints(cutoffs, cut, weights, w, buckets); round++) {
        if (round == LLOYD_MAX_ROUNDS) break;
        bucketMeans(values, prefix, sampleRows, cutoffs, cut, weights, w, buckets, false);
      }
    }
    return new float[][] {cutoffs, weights};
  }

  /** Sets each cutoff to the midpoint of its two weights; whether any moved. */
  private static boolean midpoints(float[] cutoffs, int cut, float[] weights, int w, int buckets) {
    boolean moved = false;
    for (int j = 0; j < buckets - 1; j++) {
      float mid = (weights[w + j] + weights[w + j + 1]) / 2;
      moved |= mid != cutoffs[cut + j];
      cutoffs[cut + j] = mid;
    }
    return moved;
  }

  /**
   * Sets each bucket's weight to the mean of the sorted {@code values} falling in it (a value v
   * falls in bucket b = the number of cutoffs {@code <= v}); an empty bucket keeps its weight, or
   * on the first pass ({@code initial}) decodes to its nearest boundary (ties in a degenerate
   * dimension), never NaN.
   */
  private static void bucketMeans(
      float[] values,
      double[] prefix,
      int n,
      float[] cutoffs,
      int cut,
      float[] weights,
      int w,
      int buckets,
      boolean initial) {
    int from = 0;
    for (int b = 0; b < buckets; b++) {
      int to = b == buckets - 1 ? n : firstAtLeast(values, n, cutoffs[cut + b]);
      to = Math.max(to, from);
      if (to > from) {
        weights[w + b] = (float) ((prefix[to] - prefix[from]) / (to - from));
      } else if (initial) {
        weights[w + b] =
            buckets == 1 ? 0f : cutoffs[cut + Math.min(Math.max(b - 1, 0), buckets - 2)];
      }
      from = to;
    }
  }

  /** The first index of sorted {@code values[0, n)} holding a value {@code >= x} (n if none). */
  private static int firstAtLeast(float[] values, int n, float x) {
    int lo = 0, hi = n;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (values[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
