package dev.latte.indexer.firststage;

import dev.latte.core.kernel.VectorKernel;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Spherical k-means (Lloyd iterations on the unit sphere: assign by the largest dot product,
 * re-centre, re-normalise) over unit token vectors, the centroid training of an inverted file.
 * Initial centroids are distinct random sample points; a cluster that empties is re-seeded with the
 * sample point its centroid explains worst. Assignment runs in blocks through the kernel's {@link
 * VectorKernel#dotMatrix} on {@code threads} threads. Deterministic for a given seed and thread
 * count.
 */
public final class SphericalKMeans {
  private static final int BLOCK = 256;

  private final VectorKernel kernel;
  private final int threads;

  public SphericalKMeans(VectorKernel kernel, int threads) {
    this.kernel = kernel;
    this.threads = Math.max(1, threads);
  }

  /** Centroids, row-major {@code k x dim}, unit length. */
  public float[] train(float[] sample, int n, int dim, int k, int iterations, long seed) {
    if (n < k)
      throw new IllegalArgumentException("k-means needs at least k=" + k + " points, got " + n);
    Random r = new Random(seed);
    float[] centroids = new float[k * dim];
    int[] perm = new int[n];
    for (int i = 0; i < n; i++) perm[i] = i;
    for (int i = 0; i < k; i++) {
      int j = i + r.nextInt(n - i);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
      System.arraycopy(sample, perm[i] * dim, centroids, i * dim, dim);
    }
    int[] assign = new int[n];
    float[] best = new float[n];
    for (int it = 0; it < iterations; it++) {
      Cancellation.check();
      assign(sample, n, dim, centroids, k, assign, best);
      double[] sums = new double[k * dim];
      int[] counts = new int[k];
      for (int i = 0; i < n; i++) {
        int c = assign[i];
        counts[c]++;
        for (int d = 0; d < dim; d++) sums[c * dim + d] += sample[i * dim + d];
      }
      for (int c = 0; c < k; c++) {
        if (counts[c] == 0) {
          int worst = 0;
          for (int i = 1; i < n; i++) if (best[i] < best[worst]) worst = i;
          System.arraycopy(sample, worst * dim, centroids, c * dim, dim);
          best[worst] = Float.POSITIVE_INFINITY; // not chosen twice
          continue;
        }
        double norm = 0;
        for (int d = 0; d < dim; d++) norm += sums[c * dim + d] * sums[c * dim + d];
        norm = Math.sqrt(norm);
        for (int d = 0; d < dim; d++)
          centroids[c * dim + d] = norm == 0 ? 0f : (float) (sums[c * dim + d] / norm);
      }
    }
    return centroids;
  }

  /** Dimension-major copy of row-major vectors, the layout {@link VectorKernel#dotMatrix} reads. */
  public static float[] transpose(float[] rows, int k, int dim) {
    float[] t = new float[k * dim];
    for (int c = 0; c < k; c++) for (int d = 0; d < dim; d++) t[d * k + c] = rows[c * dim + d];
    return t;
  }

  /** Nearest centroid of each of the {@code n} vectors, and its dot product. */
  public void assign(
      float[] vectors, int n, int dim, float[] centroids, int k, int[] assign, float[] best) {
    float[] ct = transpose(centroids, k, dim);
    int blocks = (n + BLOCK - 1) / BLOCK;
    ExecutorService pool = threads > 1 ? Executors.newFixedThreadPool(threads) : null;
    try {
      java.util.List<Future<?>> fs = new java.util.ArrayList<>();
      for (int t = 0; t < threads; t++) {
        final int first = t;
        Runnable job =
            () -> {
              float[] out = new float[BLOCK * k];
              for (int b = first; b < blocks; b += threads) {
                int from = b * BLOCK, rows = Math.min(BLOCK, n - from);
                kernel.dotMatrix(vectors, from * dim, rows, ct, k, dim, out);
                for (int i = 0; i < rows; i++) {
                  int arg = 0;
                  float max = out[i * k];
                  for (int c = 1; c < k; c++) {
                    float v = out[i * k + c];
                    if (v > max) {
                      max = v;
                      arg = c;
                    }
                  }
                  assign[from + i] = arg;
                  best[from + i] = max;
                }
              }
            };
        if (pool == null) job.run();
        else fs.add(pool.submit(job));
      }
      for (Future<?> f : fs) f.get();
    } catch (Exception e) {
      throw new IllegalStateException("k-means assignment failed", e);
    } finally {
      if (pool != null) pool.shutdown();
    }
  }
}
