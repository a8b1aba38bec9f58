package dev.latte.core;

import java.util.Arrays;

/**
 * One vector per token, row-major: row {@code i} occupies {@code data[i * dim, (i + 1) * dim)}.
 *
 * <p>Encoders produce L2-normalised rows; nothing here enforces it, because pooled or decoded
 * matrices may legitimately deviate by rounding.
 */
public record TokenMatrix(float[] data, int rows, int dim) {

  public TokenMatrix {
    if (rows < 0 || dim <= 0) {
      throw new IllegalArgumentException(
          "rows must be >= 0 and dim > 0, got rows=" + rows + " dim=" + dim);
    }
    if (data.length != rows * dim) {
      throw new IllegalArgumentException(
          "data holds " + data.length + " floats, expected rows*dim = " + rows + "*" + dim);
    }
  }

  public static TokenMatrix of(float[][] rows) {
    if (rows.length == 0) {
      throw new IllegalArgumentException("cannot infer the dimension of an empty float[][]");
    }
    int dim = rows[0].length;
    float[] data = new float[rows.length * dim];
    for (int i = 0; i < rows.length; i++) {
      if (rows[i].length != dim) {
        throw new IllegalArgumentException(
            "row " + i + " has " + rows[i].length + " values, row 0 has " + dim);
      }
      System.arraycopy(rows[i], 0, data, i * dim, dim);
    }
    return new TokenMatrix(data, rows.length, dim);
  }

  public static TokenMatrix empty(int dim) {
    return new TokenMatrix(new float[0], 0, dim);
  }

  public float get(int row, int col) {
    return data[row * dim + col];
  }

  public float[] row(int row) {
    return Arrays.copyOfRange(data, row * dim, (row + 1) * dim);
  }

  public float[][] toArray() {
    float[][] out = new float[rows][];
    for (int i = 0; i < rows; i++) {
      out[i] = row(i);
    }
    return out;
  }

  /** Keeps only the rows whose index is set in {@code keep}, in order. */
  public TokenMatrix selectRows(boolean[] keep) {
    if (keep.length != rows) {
      throw new IllegalArgumentException(
          "mask has " + keep.length + " entries for " + rows + " rows");
    }
    int kept = 0;
    for (boolean k : keep) {
      if (k) kept++;
    }
    float[] out = new float[kept * dim];
    int w = 0;
    for (int i = 0; i < rows; i++) {
      if (keep[i]) {
        System.arraycopy(data, i * dim, out, w * dim, dim);
        w++;
      }
    }
    return new TokenMatrix(out, kept, dim);
  }

  /** Scales every row to unit L2 norm (rows of norm 0 stay 0). */
  public static void normalizeRows(float[] data, int rows, int dim) {
    for (int i = 0; i < rows; i++) {
      int off = i * dim;
      double sum = 0;
      for (int d = 0; d < dim; d++) {
        sum += (double) data[off + d] * data[off + d];
      }
      if (sum > 0) {
        float inv = (float) (1.0 / Math.sqrt(sum));
        for (int d = 0; d < dim; d++) {
          data[off + d] *= inv;
        }
      }
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TokenMatrix m
        && rows == m.rows
        && dim == m.dim
        && Arrays.equals(data, m.data);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * rows + dim) + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "TokenMatrix[" + rows + "x" + dim + "]";
  }
}
