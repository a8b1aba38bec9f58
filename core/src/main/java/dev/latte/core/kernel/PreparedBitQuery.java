package dev.latte.core.kernel;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.TokenCodec;

/**
 * A query binarised for symmetric (hamming) scoring against the {@link TokenCodec#BIT} codec;
 * create it with {@link VectorKernel#prepareBits}. Each query token becomes its sign bits, packed
 * exactly as the codec packs a document token.
 */
public abstract class PreparedBitQuery {
  private final TokenMatrix matrix;

  /** The kernel that laid this query out: {@link VectorKernel} refuses it elsewhere. */
  final KernelSupport owner;

  private final long[] words;

  PreparedBitQuery(TokenMatrix matrix, KernelSupport owner) {
    this.matrix = matrix;
    this.owner = owner;
    int perToken = TokenCodec.bitWordsPerToken(matrix.dim());
    this.words = new long[matrix.rows() * perToken];
    for (int i = 0; i < matrix.rows(); i++) {
      TokenCodec.signBits(matrix.data(), i * matrix.dim(), matrix.dim(), words, i * perToken);
    }
  }

  /** The original row-major float query. */
  public final TokenMatrix matrix() {
    return matrix;
  }

  public final int dim() {
    return matrix.dim();
  }

  public final int tokens() {
    return matrix.rows();
  }

  /** Sign bits of query token {@code i}, word {@code w} (same packing as a stored bit token). */
  public final long word(int i, int w) {
    return words[i * TokenCodec.bitWordsPerToken(matrix.dim()) + w];
  }
}
