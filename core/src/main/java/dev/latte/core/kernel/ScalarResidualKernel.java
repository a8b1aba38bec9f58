package dev.latte.core.kernel;

import dev.latte.core.codec.ResidualCodebook;
import dev.latte.core.codec.TokenCodec;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The reference residual kernels: decode each token with {@link ResidualCodebook#decodeToken} (or
 * only its residual) and take plain float dot products, the definition the table-driven kernels are
 * tested against. Allocates per call: a reference, not a hot path.
 */
final class ScalarResidualKernel implements ResidualKernelSupport {
  static final ScalarResidualKernel INSTANCE = new ScalarResidualKernel();

  @Override
  public float maxSim(ResidualQuery query, byte[] bytes, int payloadOffset, int docTokens) {
    if (docTokens == 0) return 0f;
    ResidualCodebook book = query.codebook();
    float[] doc = book.decodePayload(bytes, payloadOffset, docTokens).data();
    float[] q = query.matrix().data();
    int dim = query.dim();
    float total = 0f;
    for (int i = 0; i < query.tokens(); i++) {
      float best = Float.NEGATIVE_INFINITY;
      for (int j = 0; j < docTokens; j++)
        best = Math.max(best, ScalarKernelSupport.dot(q, i * dim, doc, j * dim, dim));
      total += best;
    }
    return total;
  }

  @Override
  public void residualDots(
      ResidualQuery query,
      int row,
      float centroidScore,
      byte[] codes,
      int codesOffset,
      int count,
      float[] out,
      int outOffset) {
    ResidualCodebook book = query.codebook();
    int dim = book.dim(), stride = book.codeStride();
    float[] q = query.matrix().data();
    for (int t = 0; t < count; t++) {
      int at = codesOffset + t * stride;
      float dot = 0f;
      for (int d = 0; d < dim; d++)
        dot += q[row * dim + d] * book.weight(d, book.code(codes, at, d));
      float score = dot + centroidScore;
      out[outOffset + t] = book.scaled() ? book.scaleOf(codes, at) * score : score;
    }
  }

  @Override
  public void residualDotsBlocked(
      ResidualQuery query,
      int row,
      float centroidScore,
      MemorySegment codes,
      long offset,
      int count,
      float[] out,
      int outOffset) {
    int stride = query.codebook().codeStride();
    byte[] blocked = codes.asSlice(offset, (long) count * stride).toArray(ValueLayout.JAVA_BYTE);
    byte[] rows = new byte[blocked.length];
    ResidualBlocks.unblock(blocked, 0, count, stride, rows, 0);
    residualDots(query, row, centroidScore, rows, 0, count, out, outOffset);
  }

  /** The centroid id of token t of a payload, checked against the codebook. */
  static int centroid(ResidualCodebook book, byte[] bytes, int payloadOffset, int t) {
    int c = TokenCodec.residualCentroid(bytes, payloadOffset, t);
    if (c >= book.centroidCount())
      throw new dev.latte.core.codec.StoredTokenMatrix.CorruptTokenMatrixException(
          "centroid id " + c + " outside the codebook's " + book.centroidCount() + " centroids");
    return c;
  }
}
