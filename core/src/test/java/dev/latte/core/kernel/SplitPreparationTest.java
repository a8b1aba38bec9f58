package dev.latte.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.ResidualCodebook;
import dev.latte.core.codec.ResidualCodebookTest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * A query's residual tables prepared in parts (the GEMM by centroid range, the nibble tables by
 * query token; a sharded index runs the parts on its fan-out) are the one-part tables bit for bit,
 * whatever order and threads run the parts.
 */
class SplitPreparationTest {
  @Test
  void columnRangesOfTheDotMatrixAreTheWholeCallsEntriesBitForBit() {
    Random r = new Random(3);
    for (VectorKernel k : KernelTesting.both()) {
      for (int rows : new int[] {1, 3, 8, 9, 32, 33}) {
        for (int cols : new int[] {1, 15, 16, 17, 33, 64, 100, 257}) {
          for (int dim : new int[] {1, 7, 16, 96, 129}) {
            float[] a = new float[rows * dim];
            float[] bt = new float[cols * dim];
            for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
            for (int i = 0; i < bt.length; i++) bt[i] = (float) r.nextGaussian();
            float[] whole = new float[rows * cols];
            k.dotMatrix(a, 0, rows, bt, cols, dim, whole);
            // Random cuts, not aligned to any block: each range fills exactly its columns.
            float[] parts = new float[rows * cols];
            java.util.Arrays.fill(parts, Float.NaN);
            int from = 0;
            while (from < cols) {
              int to = Math.min(cols, from + 1 + r.nextInt(40));
              k.dotMatrixColumns(a, 0, rows, bt, cols, from, to, dim, parts);
              from = to;
            }
            String where = k.name() + " " + rows + "x" + cols + "x" + dim;
            assertArrayEquals(whole, parts, where);
          }
        }
      }
    }
  }

  @Test
  void aColumnRangeWritesNothingElseAndBadRangesAreRefused() {
    VectorKernel k = KernelTesting.panama();
    float[] a = {1, 2, 3, 4};
    float[] bt = new float[2 * 40];
    java.util.Arrays.fill(bt, 1f);
    float[] out = new float[2 * 40];
    java.util.Arrays.fill(out, -7f);
    k.dotMatrixColumns(a, 0, 2, bt, 40, 5, 21, 2, out);
    for (int i = 0; i < 2; i++)
      for (int j = 0; j < 40; j++)
        assertEquals(j >= 5 && j < 21 ? (i == 0 ? 3f : 7f) : -7f, out[i * 40 + j], i + "," + j);
    assertThrows(
        IllegalArgumentException.class, () -> k.dotMatrixColumns(a, 0, 2, bt, 40, 5, 41, 2, out));
    assertThrows(
        IllegalArgumentException.class, () -> k.dotMatrixColumns(a, 0, 2, bt, 40, 9, 8, 2, out));
  }

  @Test
  void residualTablesPreparedInPartsEqualTheOnePartTables() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      // Parts on three pooled threads, in reverse order on a shuffled schedule.
      PartRunner threaded =
          (n, part) -> {
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < n; i++) order.add(i);
            Collections.shuffle(order, new Random(n));
            List<Future<?>> futures = new ArrayList<>();
            for (int i : order) futures.add(pool.submit(() -> part.accept(i)));
            for (Future<?> f : futures) {
              try {
                f.get();
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            }
          };
      PartRunner reversed =
          (n, part) -> {
            for (int i = n - 1; i >= 0; i--) part.accept(i);
          };
      int[] counted = new int[1];
      PartRunner counting =
          (n, part) -> {
            counted[0] = n;
            PartRunner.SEQUENTIAL.run(n, part);
          };
      Random rnd = new Random(5);
      for (VectorKernel k : ResidualKernelTest.codeDomain()) {
        for (int bits : new int[] {1, 2, 4}) {
          for (int centroids : new int[] {5, 1100, 2100}) {
            int dim = bits == 2 ? 96 : 17;
            ResidualCodebook book = ResidualCodebookTest.codebook(rnd, bits, centroids, dim, 64);
            for (int tokens : new int[] {1, 2, 7, 32}) {
              TokenMatrix q = MaxSimKernelTest.random(rnd, tokens, dim);
              ResidualQuery one = k.prepareResidual(q, book);
              for (PartRunner runner :
                  List.of(threaded, reversed, counting, PartRunner.SEQUENTIAL)) {
                ResidualQuery split = k.prepareResidual(q, book, runner);
                String where = k.name() + " " + bits + " bits, " + centroids + " x " + tokens;
                assertArrayEquals(one.centroidScores(), split.centroidScores(), where);
                assertArrayEquals(one.lut(), split.lut(), where);
                assertEquals(one.lanes(), split.lanes());
              }
              // A codebook of more than one part's centroids does split (the test is not vacuous).
              int expected =
                  Math.min(
                      (centroids + ResidualQuery.COLUMNS_PER_PART - 1)
                          / ResidualQuery.COLUMNS_PER_PART,
                      tokens);
              if (expected > 1) assertEquals(expected, counted[0]);
            }
          }
        }
      }
    } finally {
      pool.shutdown();
    }
  }
}
