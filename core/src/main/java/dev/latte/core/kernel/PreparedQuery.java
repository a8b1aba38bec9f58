package dev.latte.core.kernel;

import dev.latte.core.TokenMatrix;

/** A query matrix laid out for one kernel; create it with {@link MaxSimKernel#prepare}. */
public abstract class PreparedQuery {
  private final TokenMatrix matrix;

  protected PreparedQuery(TokenMatrix matrix) {
    this.matrix = matrix;
  }

  /** The original row-major query. */
  public final TokenMatrix matrix() {
    return matrix;
  }

  public final int dim() {
    return matrix.dim();
  }

  public final int tokens() {
    return matrix.rows();
  }
}
