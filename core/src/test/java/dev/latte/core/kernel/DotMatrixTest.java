package dev.latte.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The Vector API dot-product matrix against the scalar reference and a double-precision oracle. */
class DotMatrixTest {
  @Test
  void panamaMatchesScalarOnAwkwardSizes() {
    MaxSimKernel panama =
        MaxSimKernels.panama().orElseThrow(() -> new AssertionError("no Vector API kernel"));
    MaxSimKernel scalar = MaxSimKernels.scalar();
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
}
