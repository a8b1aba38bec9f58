package dev.latte.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The Vector API dot-product matrix against the scalar reference and a double-precision oracle. */
class DotMatrixTest {
  @Test
  void panamaMatchesScalarOnAwkwardSizes() {
    VectorKernel panama = KernelTesting.panama();
    VectorKernel scalar = VectorKernel.scalar();
    Random r = new Random(7);
    int[] rowsList = {1, 2, 3, 4, 5, 7, 32, 33};
    int[] colsList = {1, 3, 15, 16, 17, 31, 32, 33, 64, 100, 257};
    int[] dims = {1, 3, 16, 24, 96, 128, 129, 384};
    for (int rows : rowsList) {
      for (int cols : colsList) {
        for (int dim : dims) {
          int aOffset = r.nextInt(3) * dim;
          float[] a = new float[aOffset + rows * dim];
          float[] bt = new float[cols * dim];
          for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
          for (int i = 0; i < bt.length; i++) bt[i] = (float) r.nextGaussian();
          float[] p = new float[rows * cols];
          float[] s = new float[rows * cols];
          panama.dotMatrix(a, aOffset, rows, bt, cols, dim, p);
          scalar.dotMatrix(a, aOffset, rows, bt, cols, dim, s);
          for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
              double exact = 0;
              for (int d = 0; d < dim; d++)
                exact += (double) a[aOffset + i * dim + d] * bt[d * cols + j];
              double tol = 1e-5 * Math.sqrt(dim) * 4;
              String where = rows + "x" + cols + "x" + dim + " at " + i + "," + j;
              assertEquals(exact, s[i * cols + j], tol, "scalar " + where);
              assertEquals(exact, p[i * cols + j], tol, "panama " + where);
            }
          }
        }
      }
    }
  }

  /**
   * The GEMM over the codebook's pre-packed centroid panels writes exactly the entries of the
   * dimension-major GEMM (each kernel against itself, bit for bit: the residual tables must not
   * change by the layout), for column ranges that start and end inside panels and past the last
   * full one, and leaves every other entry untouched.
   */
  @Test
  void panelsGiveTheDimensionMajorEntriesBitForBit() {
    Random r = new Random(13);
    for (VectorKernel kernel : KernelTesting.both()) {
      KernelSupport k = kernel.support();
      for (int rows : new int[] {1, 3, 4, 5, 8, 9, 12, 32, 33}) {
        for (int cols : new int[] {1, 15, 16, 17, 31, 32, 33, 64, 65, 100}) {
          for (int dim : new int[] {1, 3, 16, 97, 128, 384}) {
            float[] centroids = new float[cols * dim];
            for (int i = 0; i < centroids.length; i++) centroids[i] = (float) r.nextGaussian();
            var book = codebook(dim, centroids);
            int aOffset = r.nextInt(3) * dim;
            float[] a = new float[aOffset + rows * dim];
            for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
            float[] panels = book.centroidPanels(k.panelWidth());
            float[] want = new float[rows * cols];
            k.dotMatrixColumns(
                a, aOffset, rows, book.centroidsDimMajor(), cols, 0, cols, dim, want);
            for (int trial = 0; trial < 4; trial++) {
              int from = trial == 0 ? 0 : r.nextInt(cols + 1);
              int to = trial == 0 ? cols : from + r.nextInt(cols - from + 1);
              float[] got = new float[rows * cols];
              java.util.Arrays.fill(got, Float.NaN);
              k.dotMatrixPanels(a, aOffset, rows, panels, cols, from, to, dim, got);
              for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++) {
                  String where =
                      k.name() + " " + rows + "x" + cols + "x" + dim + " [" + from + ", " + to
                          + ") at " + i + "," + j;
                  float g = got[i * cols + j];
                  if (j < from || j >= to) assertTrue(Float.isNaN(g), "untouched " + where);
                  else
                    assertEquals(
                        Float.floatToRawIntBits(want[i * cols + j]),
                        Float.floatToRawIntBits(g),
                        where);
                }
            }
          }
        }
      }
    }
  }

  @Test
  void centroidPanelsHoldEachCentroidDimensionMajorInItsPanel() {
    int dim = 3, k = 5, width = 2;
    float[] centroids = new float[k * dim];
    for (int i = 0; i < centroids.length; i++) centroids[i] = i + 1;
    float[] p = codebook(dim, centroids).centroidPanels(width);
    assertEquals(3 * dim * width, p.length); // 3 panels, the last one half padding
    for (int c = 0; c < k; c++)
      for (int d = 0; d < dim; d++)
        assertEquals(centroids[c * dim + d], p[c / width * dim * width + d * width + c % width]);
    for (int d = 0; d < dim; d++) assertEquals(0f, p[2 * dim * width + d * width + 1]);
  }

  /** A 2-bit codebook over these centroids (the GEMM reads only the centroids). */
  private static dev.latte.core.codec.ResidualCodebook codebook(int dim, float[] centroids) {
    float[] cutoffs = new float[dim * 3];
    float[] weights = new float[dim * 4];
    for (int d = 0; d < dim; d++) {
      for (int b = 0; b < 3; b++) cutoffs[d * 3 + b] = -0.1f + 0.1f * b;
      for (int b = 0; b < 4; b++) weights[d * 4 + b] = -0.15f + 0.1f * b;
    }
    return new dev.latte.core.codec.ResidualCodebook(2, dim, centroids, cutoffs, weights);
  }

  @Test
  void int8DotsMatchScalarAndTheDecodedVectors() {
    VectorKernel panama = KernelTesting.panama();
    VectorKernel scalar = VectorKernel.scalar();
    Random r = new Random(11);
    for (int dim : new int[] {1, 7, 15, 16, 17, 63, 64, 65, 96, 128, 384, 385}) {
      for (int docTokens : new int[] {0, 1, 2, 9, 33}) {
        int nq = 1 + r.nextInt(5);
        float[] q = new float[nq * dim];
        for (int i = 0; i < q.length; i++) q[i] = (float) r.nextGaussian();
        float[] d = new float[docTokens * dim];
        for (int i = 0; i < d.length; i++) d[i] = (float) r.nextGaussian();
        byte[] stored =
            dev.latte.core.codec.TokenCodec.INT8.encode(
                new dev.latte.core.TokenMatrix(d, docTokens, dim));
        int payload = dev.latte.core.codec.StoredTokenMatrix.HEADER_BYTES;
        float[] decoded =
            dev.latte.core.codec.TokenCodec.INT8
                .decodePayload(stored, payload, docTokens, dim)
                .data();
        int[] rows = {nq - 1, 0, nq / 2};
        float[] p = new float[docTokens * 3];
        float[] s = new float[docTokens * 3];
        panama.dotsInt8(q, dim, rows, 3, stored, payload, docTokens, p);
        scalar.dotsInt8(q, dim, rows, 3, stored, payload, docTokens, s);
        for (int t = 0; t < docTokens; t++) {
          for (int k = 0; k < 3; k++) {
            double exact = 0;
            for (int x = 0; x < dim; x++)
              exact += (double) q[rows[k] * dim + x] * decoded[t * dim + x];
            double tol = 1e-4 * Math.sqrt(dim);
            assertEquals(exact, s[t * 3 + k], tol, "scalar dim " + dim);
            assertEquals(exact, p[t * 3 + k], tol, "panama dim " + dim);
          }
        }
      }
    }
  }
}
