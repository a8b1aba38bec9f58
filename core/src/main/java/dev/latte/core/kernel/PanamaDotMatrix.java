package dev.latte.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link KernelSupport#dotMatrix} on the Vector API: the query x centroid GEMM that every residual
 * query and every centroid assignment starts with (32 x 4,096 x 384 = 50 M FMAs per SciFact query).
 */
final class PanamaDotMatrix {
  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();

  private PanamaDotMatrix() {}

  /**
   * Register-blocked like the pooling Gram kernel: for a block of {@code 2 LANES} columns and eight
   * (then four) rows at a time, sixteen (eight) accumulators stay in registers for the walk over
   * the dimensions (one broadcast per row, one FMA per accumulator); the column block (2 LANES x
   * dim floats) is packed into a contiguous panel that stays in L1 while every row block passes
   * over it. Left-over columns go through a masked loop. Only columns {@code [from, to)} are
   * computed; every entry is one FMA chain over the dimensions in order whichever block computes
   * it, so a column range gives the entries of the whole call bit for bit.
   */
  static void dotMatrix(
      float[] a,
      int aOffset,
      int rows,
      float[] bt,
      int cols,
      int from,
      int to,
      int dim,
      float[] out) {
    int t = from;
    int width = 2 * LANES;
    float[] panel = new float[dim * width];
    for (; t + width <= to; t += width) {
      // Pack the column block contiguously: the walk over d below then reads one cache line pair
      // per step instead of striding cols floats (which left k-means assignment L1-bound).
      for (int d = 0; d < dim; d++) System.arraycopy(bt, d * cols + t, panel, d * width, width);
      int i0 = 0;
      // Eight rows at a time while they last (a 32-token query: every row): sixteen accumulators,
      // two panel loads and eight broadcasts per sixteen FMAs, twice the four-row block's reuse.
      for (; i0 + 8 <= rows; i0 += 8)
        eightRows(a, aOffset + i0 * dim, panel, 0, dim, out, i0 * cols + t, cols);
      for (; i0 < rows; i0 += 4)
        fourRows(
            a, aOffset + i0 * dim, Math.min(4, rows - i0), panel, 0, dim, out, i0 * cols + t, cols);
    }
    for (; t < to; t += LANES) {
      VectorMask<Float> mask = SPECIES.indexInRange(t, to);
      for (int i = 0; i < rows; i++) {
        int s0 = aOffset + i * dim;
        FloatVector c = FloatVector.zero(SPECIES);
        for (int d = 0, off = t; d < dim; d++, off += cols) {
          c =
              FloatVector.broadcast(SPECIES, a[s0 + d])
                  .fma(FloatVector.fromArray(SPECIES, bt, off, mask), c);
        }
        c.intoArray(out, i * cols + t, mask);
      }
    }
  }

  /**
   * {@link #dotMatrix} over columns packed ahead of time ({@code panels}, the {@link
   * dev.latte.core.codec.ResidualCodebook#centroidPanels} layout of width {@link #PANEL}): the same
   * register blocks as {@link #dotMatrix} run on each panel where it lies, so no column block is
   * copied per call (for the query x centroid GEMM that copy, 6 MB read at a 16 KB stride, cost
   * about twice the FMAs). Every entry is the same FMA chain over the dimensions in order as in
   * {@link #dotMatrix}, bit for bit (the zero-padded columns of the last panel are computed into a
   * tile and dropped; so are the columns of a panel outside {@code [from, to)}).
   */
  static void dotMatrixPanels(
      float[] a,
      int aOffset,
      int rows,
      float[] panels,
      int cols,
      int from,
      int to,
      int dim,
      float[] out) {
    int width = PANEL;
    float[] tile = null;
    for (int p = from / width; p * width < to; p++) {
      int c0 = p * width;
      int po = p * dim * width;
      if (c0 >= from && c0 + width <= to) {
        rowsOnPanel(a, aOffset, rows, panels, po, dim, out, c0, cols);
        continue;
      }
      if (tile == null) tile = new float[rows * width];
      rowsOnPanel(a, aOffset, rows, panels, po, dim, tile, 0, width);
      int lo = Math.max(from, c0), hi = Math.min(to, c0 + width);
      for (int i = 0; i < rows; i++)
        System.arraycopy(tile, i * width + lo - c0, out, i * cols + lo, hi - lo);
    }
  }

  /** Columns packed per panel by {@link #dotMatrixPanels}: two vectors. */
  static final int PANEL = 2 * LANES;

  /** Every row of a against the panel at {@code panel[po]}, into {@code out[i * cols + o]}. */
  private static void rowsOnPanel(
      float[] a,
      int aOffset,
      int rows,
      float[] panel,
      int po,
      int dim,
      float[] out,
      int o,
      int cols) {
    int i0 = 0;
    for (; i0 + 8 <= rows; i0 += 8)
      eightRows(a, aOffset + i0 * dim, panel, po, dim, out, i0 * cols + o, cols);
    for (; i0 < rows; i0 += 4)
      fourRows(
          a, aOffset + i0 * dim, Math.min(4, rows - i0), panel, po, dim, out, i0 * cols + o, cols);
  }

  /** Rows {@code [s, s + n dim)} (n at most 4) of a against one panel at {@code panel[po]}. */
  private static void fourRows(
      float[] a, int s0, int n, float[] panel, int po, int dim, float[] out, int o, int cols) {
    int width = 2 * LANES;
    int s1 = n > 1 ? s0 + dim : s0;
    int s2 = n > 2 ? s0 + 2 * dim : s0;
    int s3 = n > 3 ? s0 + 3 * dim : s0;
    FloatVector c00 = FloatVector.zero(SPECIES), c01 = c00, c10 = c00, c11 = c00;
    FloatVector c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    for (int d = 0, off = po; d < dim; d++, off += width) {
      FloatVector v0 = FloatVector.fromArray(SPECIES, panel, off);
      FloatVector v1 = FloatVector.fromArray(SPECIES, panel, off + LANES);
      FloatVector x = FloatVector.broadcast(SPECIES, a[s0 + d]);
      c00 = x.fma(v0, c00);
      c01 = x.fma(v1, c01);
      x = FloatVector.broadcast(SPECIES, a[s1 + d]);
      c10 = x.fma(v0, c10);
      c11 = x.fma(v1, c11);
      x = FloatVector.broadcast(SPECIES, a[s2 + d]);
      c20 = x.fma(v0, c20);
      c21 = x.fma(v1, c21);
      x = FloatVector.broadcast(SPECIES, a[s3 + d]);
      c30 = x.fma(v0, c30);
      c31 = x.fma(v1, c31);
    }
    c00.intoArray(out, o);
    c01.intoArray(out, o + LANES);
    if (n > 1) {
      c10.intoArray(out, o + cols);
      c11.intoArray(out, o + cols + LANES);
    }
    if (n > 2) {
      c20.intoArray(out, o + 2 * cols);
      c21.intoArray(out, o + 2 * cols + LANES);
    }
    if (n > 3) {
      c30.intoArray(out, o + 3 * cols);
      c31.intoArray(out, o + 3 * cols + LANES);
    }
  }

  /** Rows {@code [s, s + 8 dim)} of a against one packed panel at {@code panel[po]}. */
  private static void eightRows(
      float[] a, int s, float[] panel, int po, int dim, float[] out, int o, int cols) {
    FloatVector c00 = FloatVector.zero(SPECIES), c01 = c00, c10 = c00, c11 = c00;
    FloatVector c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    FloatVector c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    FloatVector c60 = c00, c61 = c00, c70 = c00, c71 = c00;
    int width = 2 * LANES;
    for (int d = 0, off = po; d < dim; d++, off += width) {
      FloatVector v0 = FloatVector.fromArray(SPECIES, panel, off);
      FloatVector v1 = FloatVector.fromArray(SPECIES, panel, off + LANES);
      FloatVector x = FloatVector.broadcast(SPECIES, a[s + d]);
      c00 = x.fma(v0, c00);
      c01 = x.fma(v1, c01);
      x = FloatVector.broadcast(SPECIES, a[s + dim + d]);
      c10 = x.fma(v0, c10);
      c11 = x.fma(v1, c11);
      x = FloatVector.broadcast(SPECIES, a[s + 2 * dim + d]);
      c20 = x.fma(v0, c20);
      c21 = x.fma(v1, c21);
      x = FloatVector.broadcast(SPECIES, a[s + 3 * dim + d]);
      c30 = x.fma(v0, c30);
      c31 = x.fma(v1, c31);
      x = FloatVector.broadcast(SPECIES, a[s + 4 * dim + d]);
      c40 = x.fma(v0, c40);
      c41 = x.fma(v1, c41);
      x = FloatVector.broadcast(SPECIES, a[s + 5 * dim + d]);
      c50 = x.fma(v0, c50);
      c51 = x.fma(v1, c51);
      x = FloatVector.broadcast(SPECIES, a[s + 6 * dim + d]);
      c60 = x.fma(v0, c60);
      c61 = x.fma(v1, c61);
      x = FloatVector.broadcast(SPECIES, a[s + 7 * dim + d]);
      c70 = x.fma(v0, c70);
      c71 = x.fma(v1, c71);
    }
    c00.intoArray(out, o);
    c01.intoArray(out, o + LANES);
    c10.intoArray(out, o + cols);
    c11.intoArray(out, o + cols + LANES);
    c20.intoArray(out, o + 2 * cols);
    c21.intoArray(out, o + 2 * cols + LANES);
    c30.intoArray(out, o + 3 * cols);
    c31.intoArray(out, o + 3 * cols + LANES);
    c40.intoArray(out, o + 4 * cols);
    c41.intoArray(out, o + 4 * cols + LANES);
    c50.intoArray(out, o + 5 * cols);
    c51.intoArray(out, o + 5 * cols + LANES);
    c60.intoArray(out, o + 6 * cols);
    c61.intoArray(out, o + 6 * cols + LANES);
    c70.intoArray(out, o + 7 * cols);
    c71.intoArray(out, o + 7 * cols + LANES);
  }
}
