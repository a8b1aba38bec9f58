package dev.latte.searcher.firststage.warp;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.ResidualCodebook;
import dev.latte.core.kernel.ResidualQuery;
import dev.latte.core.kernel.VectorKernel;

/**
 * {@link WarpCoder} over a {@link ResidualCodebook}: tokens go to their nearest centroid and keep
 * the codebook's packed n-bit residual; queries score codes through the kernel's nibble tables
 * (implicit decompression: no float vector is rebuilt).
 */
final class CodebookCoder implements WarpCoder {
  private final ResidualCodebook book;
  private final VectorKernel kernel;

  CodebookCoder(ResidualCodebook book, VectorKernel kernel) {
    this.book = book;
    this.kernel = kernel;
  }

  ResidualCodebook codebook() {
    return book;
  }

  @Override
  public int dim() {
    return book.dim();
  }

  @Override
  public int centroids() {
    return book.centroidCount();
  }

  @Override
  public int stride() {
    return book.codeStride();
  }

  @Override
  public void encode(float[] rows, int n, int[] centroidOut, byte[] codesOut) {
    if (n == 0) return;
    kernel.assignCentroids(book, rows, 0, n, centroidOut);
    int dim = book.dim(), r = book.codeStride();
    for (int i = 0; i < n; i++) book.encodeResidual(rows, i * dim, centroidOut[i], codesOut, i * r);
  }

  @Override
  public void decodeResidual(byte[] codes, int offset, float[] out) {
    for (int d = 0; d < book.dim(); d++) out[d] = book.weight(d, book.code(codes, offset, d));
  }

  @Override
  public Query prepare(TokenMatrix query) {
    ResidualQuery rq = kernel.prepareResidual(query, book);
    return new Query() {
      @Override
      public int tokens() {
        return rq.tokens();
      }

      @Override
      public float[] centroidScores() {
        return rq.centroidScores();
      }

      @Override
      public void residualDots(
          int i, int c, byte[] codes, int offset, int count, float[] out, int outOffset) {
        kernel.residualDots(rq, i, rq.centroidScore(i, c), codes, offset, count, out, outOffset);
      }
    };
  }
}
