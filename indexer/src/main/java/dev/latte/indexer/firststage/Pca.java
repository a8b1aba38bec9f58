package dev.latte.indexer.firststage;

import java.util.Random;

/**
 * The top eigenvectors of the (uncentred) second-moment matrix of a sample of vectors, by subspace
 * iteration with Gram–Schmidt re-orthonormalisation. Projecting unit token vectors onto them keeps
 * their dot products best in the least-squares sense, which is what a reduced-dimension index
 * (COIL's low-dimensional postings) needs. Training-free: computed from the indexed vectors.
 */
public final class Pca {
  private Pca() {}

  /** Returns {@code r x dim} row-major orthonormal directions, largest eigenvalue first. */
  public static float[] topDirections(
      float[] sample, int n, int dim, int r, int iterations, long seed) {
    if (r > dim)
      throw new IllegalArgumentException("cannot keep " + r + " of " + dim + " dimensions");
    double[] m = new double[dim * dim];
    for (int i = 0; i < n; i++) {
      int o = i * dim;
      for (int a = 0; a < dim; a++) {
        double x = sample[o + a];
        if (x == 0) continue;
        int row = a * dim;
        for (int b = a; b < dim; b++) m[row + b] += x * sample[o + b];
      }
    }
    for (int a = 0; a < dim; a++) for (int b = 0; b < a; b++) m[a * dim + b] = m[b * dim + a];
    double[] q = new double[r * dim];
    Random rnd = new Random(seed);
    for (int i = 0; i < q.length; i++) q[i] = rnd.nextGaussian();
    orthonormalise(q, r, dim);
    double[] z = new double[r * dim];
    for (int it = 0; it < iterations; it++) {
      Cancellation.check();
      for (int k = 0; k < r; k++) {
        for (int a = 0; a < dim; a++) {
          double acc = 0;
          int row = a * dim;
          for (int b = 0; b < dim; b++) acc += m[row + b] * q[k * dim + b];
          z[k * dim + a] = acc;
        }
      }
      System.arraycopy(z, 0, q, 0, q.length);
      orthonormalise(q, r, dim);
    }
    // Order by Rayleigh quotient (eigenvalue), largest first.
    double[] lambda = new double[r];
    for (int k = 0; k < r; k++) {
      double acc = 0;
      for (int a = 0; a < dim; a++) {
        double s = 0;
        for (int b = 0; b < dim; b++) s += m[a * dim + b] * q[k * dim + b];
        acc += q[k * dim + a] * s;
      }
      lambda[k] = acc;
    }
    Integer[] order = new Integer[r];
    for (int k = 0; k < r; k++) order[k] = k;
    java.util.Arrays.sort(order, (x, y) -> Double.compare(lambda[y], lambda[x]));
    float[] out = new float[r * dim];
    for (int k = 0; k < r; k++)
      for (int a = 0; a < dim; a++) out[k * dim + a] = (float) q[order[k] * dim + a];
    return out;
  }

  private static void orthonormalise(double[] q, int r, int dim) {
    for (int k = 0; k < r; k++) {
      for (int j = 0; j < k; j++) {
        double dot = 0;
        for (int a = 0; a < dim; a++) dot += q[k * dim + a] * q[j * dim + a];
        for (int a = 0; a < dim; a++) q[k * dim + a] -= dot * q[j * dim + a];
      }
      double norm = 0;
      for (int a = 0; a < dim; a++) norm += q[k * dim + a] * q[k * dim + a];
      norm = Math.sqrt(norm);
      for (int a = 0; a < dim; a++) q[k * dim + a] = norm == 0 ? 0 : q[k * dim + a] / norm;
    }
  }
}
