package dev.latte.core.kernel;

import dev.latte.core.TokenMatrix;

/** A query matrix laid out for one kernel; create it with {@link VectorKernel#prepare}. */
public abstract class PreparedQuery {
  private final TokenMatrix matrix;

  /** The kernel that laid this query out: {@link VectorKernel} refuses it elsewhere. */
  final KernelSupport owner;

  PreparedQuery(TokenMatrix matrix, KernelSupport owner) {
    this.matrix = matrix;
    this.owner = owner;
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
