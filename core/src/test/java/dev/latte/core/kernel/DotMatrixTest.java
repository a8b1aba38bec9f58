package dev.latte.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
