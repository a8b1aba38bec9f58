package dev.latte.benchmarks;

import dev.latte.core.TokenMatrix;
import dev.latte.core.kernel.VectorKernel;
import java.util.SplittableRandom;

/** Seeded random data shared by the benchmarks and their tests. */
public final class BenchData {
  private BenchData() {}

  /** {@code rows} random directions of dimension {@code dim}, each scaled to unit L2 norm. */
  public static float[] unitRows(SplittableRandom rnd, int rows, int dim) {
    float[] data = new float[rows * dim];
    fillUnitRows(rnd, data, 0, rows, dim);
    return data;
  }

  /** Writes {@code rows} random unit rows into {@code data} starting at {@code offset}. */
  public static void fillUnitRows(
      SplittableRandom rnd, float[] data, int offset, int rows, int dim) {
    for (int r = 0; r < rows; r++) {
      int o = offset + r * dim;
      double sum = 0;
      for (int d = 0; d < dim; d++) {
        float v = (float) gaussian(rnd);
        data[o + d] = v;
        sum += (double) v * v;
      }
      float inv = (float) (1.0 / Math.sqrt(sum));
      for (int d = 0; d < dim; d++) {
        data[o + d] *= inv;
      }
    }
  }

  public static TokenMatrix unitMatrix(SplittableRandom rnd, int rows, int dim) {
    return new TokenMatrix(unitRows(rnd, rows, dim), rows, dim);
  }

  /** The Vector API kernel; fails loudly instead of silently measuring the scalar fallback. */
  public static VectorKernel panama() {
    return VectorKernel.panama()
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "jdk.incubator.vector is not available: run the JVM with --add-modules jdk.incubator.vector"));
  }

  private static double gaussian(SplittableRandom rnd) {
    // Box-Muller; SplittableRandom has no nextGaussian in every JDK we care about.
    double u1 = 1.0 - rnd.nextDouble();
    double u2 = rnd.nextDouble();
    return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}
