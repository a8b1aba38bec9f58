package dev.latte.searcher.firststage.warp;

import dev.latte.core.TokenMatrix;

/**
 * How the WARP lists code token vectors and score the codes: a centroid per token (the list it is
 * stored in) and a fixed-size residual code of {@link #stride()} bytes. The lists store codes and
 * never decode them; a query scores a code as {@code s·(q·c + q·r)} from per-query tables ({@link
 * Query}).
 */
interface WarpCoder extends dev.latte.indexer.lists.WarpListsWriter.ResidualDecoder {
  int dim();

  /** Number of centroids (lists). */
  int centroids();

  /** Bytes of one token's residual code (and its scale byte, if the codebook has scales). */
  int stride();

  /**
   * Codes {@code n} rows of {@code rows} (row-major, {@link #dim()} wide): each row's centroid into
   * {@code centroidOut[i]} and its residual code into {@code codesOut} at {@code i * stride()}.
   */
  void encode(float[] rows, int n, int[] centroidOut, byte[] codesOut);

  /** The decoded residual of one code (x̂ − c), for the per-list bounds and tests. */
  @Override
  void decodeResidual(byte[] codes, int offset, float[] out);

  /** A query prepared once: centroid scores and whatever tables score its residual codes. */
  Query prepare(TokenMatrix query);

  interface Query {
    int tokens();

    /** q_i · c for every centroid c of query token i, row-major {@code tokens x centroids}. */
    float[] centroidScores();

    /**
     * {@code out[outOffset + t] = s_t (q_i · c + q_i · r_t)} for the {@code count} codes of
     * centroid c at {@code offset}.
     */
    void residualDots(
        int i, int c, byte[] codes, int offset, int count, float[] out, int outOffset);
  }
}
