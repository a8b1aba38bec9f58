package dev.latte.core.kernel;

import java.util.Arrays;

/**
 * The plain-Java Gram step ({@link KernelSupport#upperGram}): four rows at a time, {@code acc_r[j]
 * += x_r[d] * xT[d][j]}. The inner loop runs over {@code j} with no reduction, so C2
 * auto-vectorises it; each value of the transposed matrix is loaded once per four rows.
 */
final class ScalarGram {

  /** Per-thread scratch, grown on demand and reused across documents. */
  private static final class Scratch {
    float[] transposed = new float[0];
    double[][] accumulators = new double[4][0];
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  private ScalarGram() {}

  static void upperGram(float[] data, int rowOffset, int m, int dim, double[] gram) {
    Scratch ws = SCRATCH.get();
    if (ws.transposed.length < m * dim) {
      ws.transposed = new float[m * dim];
    }
    if (ws.accumulators[0].length < m) {
      ws.accumulators = new double[4][m];
    }
    // float[], not double[]: the values are floats anyway (widening is exact), and C2 only
    // vectorises the loop below when it can prove the transposed matrix does not alias the double[]
    // accumulators, which a different element type guarantees (about 3x faster).
    float[] xt = ws.transposed;
    for (int j = 0; j < m; j++) {
      int src = (rowOffset + j) * dim;
      for (int d = 0; d < dim; d++) {
        xt[d * m + j] = data[src + d];
      }
    }
    double[][] acc = ws.accumulators;
    double[] acc0 = acc[0];
    double[] acc1 = acc[1];
    double[] acc2 = acc[2];
    double[] acc3 = acc[3];
    for (int i0 = 0; i0 < m; i0 += 4) {
      int len = m - i0;
      int rows = Math.min(4, len);
      Arrays.fill(acc0, 0, len, 0.0);
      Arrays.fill(acc1, 0, len, 0.0);
      Arrays.fill(acc2, 0, len, 0.0);
      Arrays.fill(acc3, 0, len, 0.0);
      // Past the last row, repeat it: the extra accumulators are computed and ignored.
      int s0 = (rowOffset + i0) * dim;
      int s1 = rows > 1 ? s0 + dim : s0;
      int s2 = rows > 2 ? s0 + 2 * dim : s0;
      int s3 = rows > 3 ? s0 + 3 * dim : s0;
      for (int d = 0; d < dim; d++) {
        double x0 = data[s0 + d];
        double x1 = data[s1 + d];
        double x2 = data[s2 + d];
        double x3 = data[s3 + d];
        int base = d * m + i0;
        for (int t = 0; t < len; t++) {
          double v = xt[base + t];
          acc0[t] += x0 * v;
          acc1[t] += x1 * v;
          acc2[t] += x2 * v;
          acc3[t] += x3 * v;
        }
      }
      // gram(i0 + r, i0 + t) for t >= r: the upper triangle, diagonal included.
      System.arraycopy(acc0, 0, gram, i0 * m + i0, len);
      if (rows > 1) System.arraycopy(acc1, 1, gram, (i0 + 1) * m + i0 + 1, len - 1);
      if (rows > 2) System.arraycopy(acc2, 2, gram, (i0 + 2) * m + i0 + 2, len - 2);
      if (rows > 3) System.arraycopy(acc3, 3, gram, (i0 + 3) * m + i0 + 3, len - 3);
    }
  }
}
