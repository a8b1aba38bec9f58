package dev.latte.core.kernel;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.TokenCodec;

/**
 * The service interface behind {@link VectorKernel}: one implementation per instruction set ({@link
 * ScalarKernelSupport}, the reference, and {@link PanamaKernelSupport} on the Vector API), chosen
 * once by {@link KernelProvider}. Implementations trust their arguments; {@link VectorKernel}
 * checks them first. MaxSim(q, d) = sum over query tokens i of the max over document tokens j of
 * sim(q_i, d_j).
 *
 * <p>A query is prepared once ({@link #prepare}) into whatever layout the kernel wants, then scored
 * against many documents. Float documents are row-major float rows inside a caller-owned array, so
 * a searcher can decode each stored matrix into one reused scratch buffer. Documents in a
 * compressed {@link TokenCodec} are scored in place on their stored payload ({@code bytes} from
 * {@code payloadOffset}, the layout documented in {@link dev.latte.core.codec.StoredTokenMatrix}):
 * no decoding and no allocation per document. Each codec method computes exactly the float MaxSim
 * of the query against {@link TokenCodec#decodePayload decoded} document vectors, up to float
 * rounding. A document with no tokens scores 0.
 */
interface KernelSupport {

  /** Short name for logs and benchmark tables, e.g. {@code scalar} or {@code panama-512}. */
  String name();

  PreparedQuery prepare(TokenMatrix query);

  /**
   * MaxSim of the prepared query against {@code docTokens} rows of {@code query.dim()} floats
   * starting at {@code doc[docOffset]}.
   */
  float maxSim(PreparedQuery query, float[] doc, int docOffset, int docTokens);

  /**
   * MaxSim against a {@link TokenCodec#FLOAT32} payload read in place from the stored bytes (no
   * whole-document decode into a scratch buffer).
   */
  float maxSimFloat32(PreparedQuery query, byte[] bytes, int payloadOffset, int docTokens);

  /** MaxSim against a {@link TokenCodec#FLOAT16} payload: the query dotted with the half values. */
  float maxSimFloat16(PreparedQuery query, byte[] bytes, int payloadOffset, int docTokens);

  /** MaxSim against an {@link TokenCodec#INT8} payload: the query dotted with code x scale. */
  float maxSimInt8(PreparedQuery query, byte[] bytes, int payloadOffset, int docTokens);

  /**
   * Asymmetric MaxSim against a {@link TokenCodec#BIT} payload: the float query dotted with each
   * document token's unit sign vector b/sqrt(dim).
   */
  float maxSimBit(PreparedQuery query, byte[] bytes, int payloadOffset, int docTokens);

  /** Binarises a query for {@link #maxSimHamming}. */
  PreparedBitQuery prepareBits(TokenMatrix query);

  /**
   * Symmetric MaxSim against a {@link TokenCodec#BIT} payload: per query token the best of (dim - 2
   * * hamming) / dim over the document tokens, i.e. the cosine of the two sign vectors.
   */
  float maxSimHamming(PreparedBitQuery query, byte[] bytes, int payloadOffset, int docTokens);

  /**
   * All dot products of {@code rows} row-major vectors {@code a} (from {@code a[aOffset]}) with
   * {@code cols} vectors stored dimension-major in {@code bt} ({@code bt[d * cols + j]} is element
   * {@code d} of vector {@code j}): {@code out[i * cols + j] = a_i · b_j}. For scoring a query, or
   * a batch of token vectors, against every centroid of an inverted file.
   */
  default void dotMatrix(
      float[] a, int aOffset, int rows, float[] bt, int cols, int dim, float[] out) {
    dotMatrixColumns(a, aOffset, rows, bt, cols, 0, cols, dim, out);
  }

  /**
   * {@link #dotMatrix} for the columns {@code [from, to)} only: {@code out[i * cols + j]} for those
   * j, every other entry untouched, each written entry bit for bit what the whole call writes (so
   * disjoint column ranges can be computed on different threads).
   */
  void dotMatrixColumns(
      float[] a,
      int aOffset,
      int rows,
      float[] bt,
      int cols,
      int from,
      int to,
      int dim,
      float[] out);

  /** Columns per panel {@link #dotMatrixPanels} reads. */
  int panelWidth();

  /**
   * {@link #dotMatrixColumns} over columns packed in panels of {@link #panelWidth} ({@link
   * dev.latte.core.codec.ResidualCodebook#centroidPanels}'s layout) instead of dimension-major:
   * every written entry bit for bit what {@link #dotMatrixColumns} writes there.
   */
  void dotMatrixPanels(
      float[] a,
      int aOffset,
      int rows,
      float[] panels,
      int cols,
      int from,
      int to,
      int dim,
      float[] out);

  /**
   * Dot products of selected query rows with every token of an {@link TokenCodec#INT8} payload:
   * {@code out[t * nRows + r] = q_{rows[r]} · decoded(d_t)} for {@code t < docTokens}, {@code r <
   * nRows}; {@code query} is row-major with {@code dim} columns. For token retrieval, where each
   * inverted-list token meets only the few query tokens that probed its list.
   */
  void dotsInt8(
      float[] query,
      int dim,
      int[] rows,
      int nRows,
      byte[] bytes,
      int payloadOffset,
      int docTokens,
      float[] out);

  /**
   * The Gram step of Ward token pooling: for the {@code m} rows starting at row {@code rowOffset}
   * of the row-major {@code data}, {@code gram[i * m + j] = sum over d of x_i[d] * x_j[d]} for
   * every {@code j >= i} (entries below the diagonal may be overwritten with anything). Each entry
   * is accumulated in double precision over {@code d = 0, 1, ..., dim - 1} in that order, one
   * rounding per addition. A product of two floats is exact in double (24 + 24 significant bits),
   * so {@code acc + x * v} and {@code fma(x, v, acc)} round identically and every implementation
   * that keeps the order returns bit-identical matrices: pooling does not depend on the kernel, and
   * duplicate rows get bit-identical entries (hence distance exactly 0).
   */
  void upperGram(float[] data, int rowOffset, int m, int dim, double[] gram);

  /** The residual-code kernels of this instruction set (in their own classes). */
  default ResidualKernelSupport residual() {
    return ScalarResidualKernel.INSTANCE;
  }

  /** Query tokens per vector of {@link #residual()}'s tables: {@link ResidualQuery} pads to it. */
  default int residualLanes() {
    return 1;
  }
}
