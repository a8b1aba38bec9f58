package dev.latte.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class GramKernelTest {

  /** The contract's definition, written out: double accumulation in ascending d. */
  private static double reference(float[] data, int a, int b, int dim) {
    double s = 0;
    for (int d = 0; d < dim; d++) s += (double) data[a * dim + d] * data[b * dim + d];
    return s;
  }

  private static void checkAgainstReference(VectorKernel kernel) {
    Random rnd = new Random(11);
    int[] ms = {1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 33, 64, 65, 130, 211};
    int[] dims = {1, 3, 16, 37, 384};
    for (int m : ms) {
      for (int dim : dims) {
        for (int rowOffset = 0; rowOffset <= 1; rowOffset++) {
          int n = m + rowOffset;
          float[] data = new float[n * dim];
          for (int i = 0; i < data.length; i++) data[i] = (float) rnd.nextGaussian();
          if (m > 2)
            System.arraycopy(
                data, rowOffset * dim, data, (rowOffset + m - 1) * dim, dim); // a duplicate
          double[] gram = new double[m * m];
          kernel.upperGram(data, rowOffset, m, dim, gram);
          for (int i = 0; i < m; i++) {
            for (int j = i; j < m; j++) {
              double expected = reference(data, rowOffset + i, rowOffset + j, dim);
              assertEquals(
                  Double.doubleToRawLongBits(expected),
                  Double.doubleToRawLongBits(gram[i * m + j]),
                  kernel.name()
                      + " m="
                      + m
                      + " dim="
                      + dim
                      + " off="
                      + rowOffset
                      + " ("
                      + i
                      + ","
                      + j
                      + ")");
            }
          }
        }
      }
    }
  }

  @Test
  void scalarKernelIsBitExact() {
    checkAgainstReference(VectorKernel.scalar());
  }

  @Test
  void panamaKernelIsBitExact() {
    checkAgainstReference(KernelTesting.panama());
  }
}
