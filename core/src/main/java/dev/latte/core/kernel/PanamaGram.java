package dev.latte.core.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Gram step ({@link KernelSupport#upperGram}) on the JDK Vector API, used by {@link
 * PanamaKernelSupport} (so loaded only when the module is present).
 *
 * <p>A register-blocked micro-kernel: the rows are transposed once into a dimension-major double
 * matrix; then, for four rows and {@code 2 L} columns at a time (L = lanes of the preferred double
 * species, 8 with AVX-512), eight vector accumulators stay in registers for the whole walk over the
 * dimensions, each step one broadcast per row and one FMA per accumulator. The columns left over at
 * the end of a block row go through a masked single-vector loop. The accumulation order per entry
 * is the contract's ascending {@code d}, so the result is bit-identical to {@link ScalarGram}.
 */
final class PanamaGram {

  private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();

  /** Per-thread transposed rows, grown on demand and reused across documents. */
  private static final ThreadLocal<double[][]> TRANSPOSED =
      ThreadLocal.withInitial(() -> new double[][] {new double[0]});

  private PanamaGram() {}

  static void upperGram(float[] data, int rowOffset, int m, int dim, double[] gram) {
    double[][] holder = TRANSPOSED.get();
    if (holder[0].length < m * dim) {
      holder[0] = new double[m * dim];
    }
    double[] xt = holder[0];
    for (int j = 0; j < m; j++) {
      int src = (rowOffset + j) * dim;
      for (int d = 0; d < dim; d++) {
        xt[d * m + j] = data[src + d];
      }
    }
    for (int i0 = 0; i0 < m; i0 += 4) {
      int rows = Math.min(4, m - i0);
      // Past the last row, repeat it: the extra accumulators are computed and not stored.
      int s0 = (rowOffset + i0) * dim;
      int s1 = rows > 1 ? s0 + dim : s0;
      int s2 = rows > 2 ? s0 + 2 * dim : s0;
      int s3 = rows > 3 ? s0 + 3 * dim : s0;
      int g0 = i0 * m;
      int g1 = g0 + m;
      int g2 = g1 + m;
      int g3 = g2 + m;
      // Columns from i0: a few entries below the diagonal of rows i0+1..i0+3 get written, which the
      // contract allows.
      int t = i0;
      for (; t + 2 * LANES <= m; t += 2 * LANES) {
        DoubleVector c00 = DoubleVector.zero(SPECIES);
        DoubleVector c01 = c00;
        DoubleVector c10 = c00;
        DoubleVector c11 = c00;
        DoubleVector c20 = c00;
        DoubleVector c21 = c00;
        DoubleVector c30 = c00;
        DoubleVector c31 = c00;
        for (int d = 0, off = t; d < dim; d++, off += m) {
          DoubleVector v0 = DoubleVector.fromArray(SPECIES, xt, off);
          DoubleVector v1 = DoubleVector.fromArray(SPECIES, xt, off + LANES);
          DoubleVector x0 = DoubleVector.broadcast(SPECIES, data[s0 + d]);
          c00 = x0.fma(v0, c00);
          c01 = x0.fma(v1, c01);
          DoubleVector x1 = DoubleVector.broadcast(SPECIES, data[s1 + d]);
          c10 = x1.fma(v0, c10);
          c11 = x1.fma(v1, c11);
          DoubleVector x2 = DoubleVector.broadcast(SPECIES, data[s2 + d]);
          c20 = x2.fma(v0, c20);
          c21 = x2.fma(v1, c21);
          DoubleVector x3 = DoubleVector.broadcast(SPECIES, data[s3 + d]);
          c30 = x3.fma(v0, c30);
          c31 = x3.fma(v1, c31);
        }
        c00.intoArray(gram, g0 + t);
        c01.intoArray(gram, g0 + t + LANES);
        if (rows > 1) {
          c10.intoArray(gram, g1 + t);
          c11.intoArray(gram, g1 + t + LANES);
        }
        if (rows > 2) {
          c20.intoArray(gram, g2 + t);
          c21.intoArray(gram, g2 + t + LANES);
        }
        if (rows > 3) {
          c30.intoArray(gram, g3 + t);
          c31.intoArray(gram, g3 + t + LANES);
        }
      }
      for (; t < m; t += LANES) {
        VectorMask<Double> mask = SPECIES.indexInRange(t, m);
        DoubleVector c0 = DoubleVector.zero(SPECIES);
        DoubleVector c1 = c0;
        DoubleVector c2 = c0;
        DoubleVector c3 = c0;
        for (int d = 0, off = t; d < dim; d++, off += m) {
          DoubleVector v = DoubleVector.fromArray(SPECIES, xt, off, mask);
          c0 = DoubleVector.broadcast(SPECIES, data[s0 + d]).fma(v, c0);
          c1 = DoubleVector.broadcast(SPECIES, data[s1 + d]).fma(v, c1);
          c2 = DoubleVector.broadcast(SPECIES, data[s2 + d]).fma(v, c2);
          c3 = DoubleVector.broadcast(SPECIES, data[s3 + d]).fma(v, c3);
        }
        c0.intoArray(gram, g0 + t, mask);
        if (rows > 1) c1.intoArray(gram, g1 + t, mask);
        if (rows > 2) c2.intoArray(gram, g2 + t, mask);
        if (rows > 3) c3.intoArray(gram, g3 + t, mask);
      }
    }
  }
}
