package dev.latte.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.latte.core.TokenMatrix;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MaxSimKernelTest {

  private static final int[] DIMS = {1, 3, 16, 17, 96, 128, 384, 385};
  private static final int[] QUERY_TOKENS = {1, 7, 15, 16, 17, 31, 32, 33, 48, 49, 64, 65};
  private static final int[] DOC_TOKENS = {0, 1, 3, 4, 5, 7, 8, 9, 13, 207};

  static TokenMatrix random(Random rnd, int rows, int dim) {
    float[] data = new float[rows * dim];
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) rnd.nextGaussian();
    }
    TokenMatrix.normalizeRows(data, rows, dim);
    return new TokenMatrix(data, rows, dim);
  }

  @Test
  void scalarMatchesHandComputedExample() {
    TokenMatrix q = TokenMatrix.of(new float[][] {{1, 0}, {0, 1}});
    TokenMatrix d = TokenMatrix.of(new float[][] {{0.6f, 0.8f}, {1, 0}, {-1, 0}});
    // token 0: max(0.6, 1, -1) = 1; token 1: max(0.8, 0, 0) = 0.8
    assertEquals(1.8f, VectorKernel.scalar().maxSim(q, d), 1e-6);
  }

  @Test
  void negativeSimilaritiesAreNotClampedToZero() {
    TokenMatrix q = TokenMatrix.of(new float[][] {{1, 0}});
    TokenMatrix d = TokenMatrix.of(new float[][] {{-0.5f, 0.5f}, {-1, 0}});
    for (VectorKernel k : kernels()) {
      assertEquals(-0.5f, k.maxSim(q, d), 1e-6, k.name());
    }
  }

  @Test
  void emptyDocumentScoresZero() {
    TokenMatrix q = random(new Random(1), 5, 8);
    for (VectorKernel k : kernels()) {
      assertEquals(0f, k.maxSim(q, TokenMatrix.empty(8)), k.name());
    }
  }

  @Test
  void vectorKernelAgreesWithScalarOnAwkwardSizes() {
    VectorKernel scalar = VectorKernel.scalar();
    VectorKernel panama = KernelTesting.panama();
    Random rnd = new Random(42);
    int compared = 0;
    for (int dim : DIMS) {
      for (int qt : QUERY_TOKENS) {
        PreparedQuery ps = null, pp = null;
        TokenMatrix q = random(rnd, qt, dim);
        ps = scalar.prepare(q);
        pp = panama.prepare(q);
        for (int dt : DOC_TOKENS) {
          // Put the document at an offset inside a larger buffer, as the searcher does.
          int offset = rnd.nextInt(3) * dim;
          TokenMatrix d = random(rnd, dt, dim);
          float[] buffer = new float[offset + d.data().length + dim];
          System.arraycopy(d.data(), 0, buffer, offset, d.data().length);
          float expected = scalar.maxSim(ps, buffer, offset, dt);
          float actual = panama.maxSim(pp, buffer, offset, dt);
          assertEquals(
              expected, actual, 1e-4f * Math.max(1, qt), "dim=" + dim + " q=" + qt + " d=" + dt);
          compared++;
        }
      }
    }
    assertEquals(DIMS.length * QUERY_TOKENS.length * DOC_TOKENS.length, compared);
  }

  @Test
  void defaultKernelIsVectorisedWhenModulePresent() {
    assertTrue(VectorKernel.get().name().startsWith("panama"), VectorKernel.get().name());
  }

  private static VectorKernel[] kernels() {
    return KernelTesting.both();
  }
}
