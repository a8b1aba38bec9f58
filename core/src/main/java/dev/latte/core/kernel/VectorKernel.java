package dev.latte.core.kernel;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.ResidualCodebook;
import dev.latte.core.codec.TokenCodec;
import java.util.Optional;

/**
 * Every numeric kernel of Latte behind one checked facade: late-interaction MaxSim(q, d) = sum over
 * query tokens i of the max over document tokens j of sim(q_i, d_j) against float rows and every
 * stored {@link TokenCodec}, the dot-product matrices of k-means and inverted files, and the Gram
 * step of Ward token pooling.
 *
 * <p>The arithmetic is done by one {@link KernelSupport} chosen once per JVM by {@link
 * KernelProvider} (the Vector API when {@code jdk.incubator.vector} is present, else the scalar
 * reference, with a logged warning): {@link #get()} is that choice. This class only checks
 * arguments (offsets, lengths and dimensions against the arrays, queries prepared by this kernel)
 * so that a bad call fails with a message here instead of reading past a payload or returning a
 * wrong score; the implementations trust their arguments. The pattern is Lucene's {@code
 * VectorUtil} in front of {@code VectorUtilSupport}.
 *
 * <p>A query is prepared once ({@link #prepare}) into whatever layout the kernel wants, then scored
 * against many documents. Float documents are row-major float rows inside a caller-owned array, so
 * a searcher can decode each stored matrix into one reused scratch buffer. Documents in a
 * compressed codec are scored in place on their stored payload ({@code bytes} from {@code
 * payloadOffset}, the layout documented in {@link dev.latte.core.codec.StoredTokenMatrix}): no
 * decoding and no allocation per document. Each codec method computes exactly the float MaxSim of
 * the query against {@link TokenCodec#decodePayload decoded} document vectors, up to float
 * rounding. A document with no tokens scores 0.
 */
public final class VectorKernel {

  private static final VectorKernel DEFAULT = new VectorKernel(KernelProvider.chooseForThisJvm());

  private final KernelSupport support;

  /** The implementation behind this facade (tests of the package compare implementations). */
  KernelSupport support() {
    return support;
  }

  private VectorKernel(KernelSupport support) {
    this.support = support;
  }

  /** The kernel chosen for this JVM (see the class comment). */
  public static VectorKernel get() {
    return DEFAULT;
  }

  /** The scalar reference, for tests and benchmarks that compare against it. */
  public static VectorKernel scalar() {
    return new VectorKernel(KernelProvider.scalar());
  }

  /**
   * The scalar kernels with residual codes scored in the code domain (query x centroid matrix plus
   * nibble lookup tables) instead of decoded: what a JVM without the Vector API runs.
   */
  public static VectorKernel scalarCodeDomain() {
    return new VectorKernel(new ScalarKernelSupport(LutResidualKernel.INSTANCE));
  }

  /** The Vector API kernel, or empty (after a logged warning) when this JVM cannot run it. */
  public static Optional<VectorKernel> panama() {
    return KernelProvider.panama().map(VectorKernel::new);
  }

  /** Short name for logs and benchmark tables, e.g. {@code scalar} or {@code panama-512}. */
  public String name() {
    return support.name();
  }

  @Override
  public String toString() {
    return "VectorKernel[" + name() + "]";
  }

  public PreparedQuery prepare(TokenMatrix query) {
    return support.prepare(query);
  }

  /** Binarises a query for {@link #maxSimHamming}. */
  public PreparedBitQuery prepareBits(TokenMatrix query) {
    return support.prepareBits(query);
  }

  /**
   * MaxSim of the prepared query against {@code docTokens} rows of {@code query.dim()} floats
   * starting at {@code doc[docOffset]}.
   */
  public float maxSim(PreparedQuery query, float[] doc, int docOffset, int docTokens) {
    owned(query.owner);
    range("document rows", doc.length, docOffset, (long) docTokens * query.dim(), docTokens);
    return support.maxSim(query, doc, docOffset, docTokens);
  }

  /** MaxSim against a stored payload of {@code codec} (asymmetric for {@link TokenCodec#BIT}). */
  public float maxSim(
      PreparedQuery query, TokenCodec codec, byte[] bytes, int payloadOffset, int docTokens) {
    return switch (codec) {
      case FLOAT32 -> maxSimFloat32(query, bytes, payloadOffset, docTokens);
      case FLOAT16 -> maxSimFloat16(query, bytes, payloadOffset, docTokens);
      case INT8 -> maxSimInt8(query, bytes, payloadOffset, docTokens);
      case BIT -> maxSimBit(query, bytes, payloadOffset, docTokens);
      case RESIDUAL_1, RESIDUAL_2, RESIDUAL_4 ->
          throw new IllegalArgumentException(
              codec.cliName()
                  + " payloads are scored against their codebook: prepare the query with"
                  + " prepareResidual and call maxSimResidual");
    };
  }

  /**
   * MaxSim against a {@link TokenCodec#FLOAT32} payload read in place from the stored bytes (no
   * whole-document decode into a scratch buffer).
   */
  public float maxSimFloat32(PreparedQuery query, byte[] bytes, int payloadOffset, int docTokens) {
    payload(query, TokenCodec.FLOAT32, bytes, payloadOffset, docTokens);
    return support.maxSimFloat32(query, bytes, payloadOffset, docTokens);
  }

  /** MaxSim against a {@link TokenCodec#FLOAT16} payload: the query dotted with the half values. */
  public float maxSimFloat16(PreparedQuery query, byte[] bytes, int payloadOffset, int docTokens) {
    payload(query, TokenCodec.FLOAT16, bytes, payloadOffset, docTokens);
    return support.maxSimFloat16(query, bytes, payloadOffset, docTokens);
  }

  /** MaxSim against an {@link TokenCodec#INT8} payload: the query dotted with code x scale. */
  public float maxSimInt8(PreparedQuery query, byte[] bytes, int payloadOffset, int docTokens) {
    payload(query, TokenCodec.INT8, bytes, payloadOffset, docTokens);
    return support.maxSimInt8(query, bytes, payloadOffset, docTokens);
  }

  /**
   * Asymmetric MaxSim against a {@link TokenCodec#BIT} payload: the float query dotted with each
   * document token's unit sign vector b/sqrt(dim).
   */
  public float maxSimBit(PreparedQuery query, byte[] bytes, int payloadOffset, int docTokens) {
    payload(query, TokenCodec.BIT, bytes, payloadOffset, docTokens);
    return support.maxSimBit(query, bytes, payloadOffset, docTokens);
  }

  /**
   * Symmetric MaxSim against a {@link TokenCodec#BIT} payload: per query token the best of (dim - 2
   * * hamming) / dim over the document tokens, i.e. the cosine of the two sign vectors.
   */
  public float maxSimHamming(
      PreparedBitQuery query, byte[] bytes, int payloadOffset, int docTokens) {
    owned(query.owner);
    range(
        "bit payload",
        bytes.length,
        payloadOffset,
        TokenCodec.BIT.payloadBytes(docTokens, query.dim()),
        docTokens);
    return support.maxSimHamming(query, bytes, payloadOffset, docTokens);
  }

  /** Convenience for tests and tools: prepares and scores one pair. */
  public float maxSim(TokenMatrix query, TokenMatrix doc) {
    if (query.dim() != doc.dim()) {
      throw new IllegalArgumentException(
          "query dimension " + query.dim() + " differs from document dimension " + doc.dim());
    }
    return maxSim(prepare(query), doc.data(), 0, doc.rows());
  }

  /**
   * Prepares a query for residual payloads coded by {@code book}: the query x centroid matrix and
   * the nibble lookup tables of {@link ResidualQuery}, computed once per query (and codebook).
   */
  public ResidualQuery prepareResidual(TokenMatrix query, ResidualCodebook book) {
    return new ResidualQuery(query, book, support, support.residualLanes(), null);
  }

  /**
   * As above, with the query x centroid GEMM split by centroid range and the nibble tables by query
   * token into parts that {@code parts} may run on several threads (a sharded index's fan-out: the
   * query's own thread takes parts too). The tables are the same bit for bit.
   */
  public ResidualQuery prepareResidual(TokenMatrix query, ResidualCodebook book, PartRunner parts) {
    return new ResidualQuery(query, book, support, support.residualLanes(), parts);
  }

  /**
   * MaxSim against a residual payload (centroid ids then packed codes, {@link
   * dev.latte.core.codec.StoredTokenMatrix}) of the query's codebook: the float MaxSim over the
   * decoded vectors {@code c[id] + r}, computed from the query's tables, up to float rounding.
   */
  public float maxSimResidual(ResidualQuery query, byte[] bytes, int payloadOffset, int docTokens) {
    owned(query.owner);
    TokenCodec codec = query.codebook().codec();
    range(
        codec.cliName() + " payload",
        bytes.length,
        payloadOffset,
        query.codebook().payloadBytes(docTokens),
        docTokens);
    return support.residual().maxSim(query, bytes, payloadOffset, docTokens);
  }

  /**
   * {@link #maxSimResidual} of a document whose codes lie where the WARP lists keep them (one copy
   * of the tokens), scored in place: its centroid ids from {@code ids[payloadOffset]} (ids only),
   * code byte b of token j (its scale byte after the R code bytes) at {@code codes[at[j] + b *
   * step[j]]} (step 16 inside a {@link ResidualBlocks} block, 1 in a list's row-major rest). Equal
   * to {@link #maxSimResidual} over the same codes gathered into a payload, bit for bit.
   */
  public float maxSimResidualListed(
      ResidualQuery query,
      byte[] ids,
      int payloadOffset,
      int docTokens,
      java.lang.foreign.MemorySegment codes,
      long[] at,
      int[] step) {
    owned(query.owner);
    range("centroid ids", ids.length, payloadOffset, (long) docTokens * Short.BYTES, docTokens);
    range("code offsets", at.length, 0, docTokens, docTokens);
    range("code steps", step.length, 0, docTokens, docTokens);
    long last = query.codebook().codeStride() - 1L, size = codes.byteSize();
    for (int j = 0; j < docTokens; j++)
      if (step[j] <= 0 || at[j] < 0 || at[j] + last * step[j] >= size)
        throw new IllegalArgumentException(
            "token "
                + j
                + "'s codes at "
                + at[j]
                + " (step "
                + step[j]
                + ") are not inside the "
                + size
                + "-byte code segment");
    return support.residual().maxSimListed(query, ids, payloadOffset, docTokens, codes, at, step);
  }

  /**
   * Token retrieval over residual codes: {@code out[outOffset + t]} = the similarity {@code s_t .
   * (q_row . r_t + centroidScore)} of query token {@code row} with each of {@code count} tokens of
   * one centroid c (one inverted list; {@code centroidScore} = {@link
   * ResidualQuery#centroidScore}{@code (row, c)}) whose codes lie back to back (stride {@link
   * ResidualCodebook#codeStride}) from {@code codes[codesOffset]}. s_t is the token's scale, and
   * without scales the value is {@code (q_row . r_t) + centroidScore}.
   */
  public void residualDots(
      ResidualQuery query,
      int row,
      float centroidScore,
      byte[] codes,
      int codesOffset,
      int count,
      float[] out,
      int outOffset) {
    owned(query.owner);
    if (row < 0 || row >= query.tokens())
      throw new IllegalArgumentException(
          "query row " + row + " is outside the query's " + query.tokens() + " rows");
    range(
        "residual codes",
        codes.length,
        codesOffset,
        (long) count * query.codebook().codeStride(),
        count);
    range("out", out.length, outOffset, count, count);
    support
        .residual()
        .residualDots(query, row, centroidScore, codes, codesOffset, count, out, outOffset);
  }

  /**
   * {@link #residualDots} over a token list laid out by {@link ResidualBlocks} (blocks of 16 tokens
   * byte-transposed, then the rest row-major), read in place from {@code codes} at byte {@code
   * offset}: the scan of the WARP lists, vectorised with 16 tokens per vector where the JVM has
   * 512-bit vectors.
   */
  public void residualDotsBlocked(
      ResidualQuery query,
      int row,
      float centroidScore,
      java.lang.foreign.MemorySegment codes,
      long offset,
      int count,
      float[] out,
      int outOffset) {
    owned(query.owner);
    if (row < 0 || row >= query.tokens())
      throw new IllegalArgumentException(
          "query row " + row + " is outside the query's " + query.tokens() + " rows");
    long bytes = (long) count * query.codebook().codeStride();
    if (count < 0 || offset < 0 || offset + bytes > codes.byteSize())
      throw new IllegalArgumentException(
          "residual list of "
              + count
              + " tokens at byte "
              + offset
              + " runs past the "
              + codes.byteSize()
              + "-byte segment");
    range("out", out.length, outOffset, count, count);
    support
        .residual()
        .residualDotsBlocked(query, row, centroidScore, codes, offset, count, out, outOffset);
  }

  /**
   * The nearest centroid of each of {@code n} row-major vectors starting at row {@code rowOffset}
   * of {@code rows} (largest dot product with the unit centroids), in blocks through {@link
   * #dotMatrix}: how writers pick each token's centroid before {@link ResidualCodebook#encode}.
   */
  public void assignCentroids(
      ResidualCodebook book, float[] rows, int rowOffset, int n, int[] out) {
    int dim = book.dim(), k = book.centroidCount();
    range("rows", rows.length, (long) rowOffset * dim, (long) n * dim, n);
    range("out", out.length, 0, n, n);
    float[] ct = book.centroidsDimMajor();
    int block = Math.max(1, Math.min(n, 64));
    float[] scores = new float[block * k];
    for (int from = 0; from < n; from += block) {
      int m = Math.min(block, n - from);
      support.dotMatrix(rows, (rowOffset + from) * dim, m, ct, k, dim, scores);
      for (int i = 0; i < m; i++) {
        int arg = 0;
        float max = scores[i * k];
        for (int c = 1; c < k; c++) {
          float v = scores[i * k + c];
          if (v > max) {
            max = v;
            arg = c;
          }
        }
        out[from + i] = arg;
      }
    }
  }

  /**
   * All dot products of {@code rows} row-major vectors {@code a} (from {@code a[aOffset]}) with
   * {@code cols} vectors stored dimension-major in {@code bt} ({@code bt[d * cols + j]} is element
   * {@code d} of vector {@code j}): {@code out[i * cols + j] = a_i · b_j}. For scoring a query, or
   * a batch of token vectors, against every centroid of an inverted file.
   */
  public void dotMatrix(
      float[] a, int aOffset, int rows, float[] bt, int cols, int dim, float[] out) {
    dotMatrixColumns(a, aOffset, rows, bt, cols, 0, cols, dim, out);
  }

  /**
   * {@link #dotMatrix} for the columns {@code [from, to)} only: those entries of {@code out}, bit
   * for bit what the whole call writes there, every other entry untouched (so disjoint column
   * ranges can be computed on different threads).
   */
  public void dotMatrixColumns(
      float[] a,
      int aOffset,
      int rows,
      float[] bt,
      int cols,
      int from,
      int to,
      int dim,
      float[] out) {
    nonNegative("dim", dim);
    range("rows of a", a.length, aOffset, (long) rows * dim, rows);
    range("columns bt", bt.length, 0, (long) cols * dim, cols);
    range("out", out.length, 0, (long) rows * cols, rows);
    if (from < 0 || from > to || to > cols)
      throw new IllegalArgumentException(
          "column range [" + from + ", " + to + ") is not inside [0, " + cols + ")");
    support.dotMatrixColumns(a, aOffset, rows, bt, cols, from, to, dim, out);
  }

  /**
   * Dot products of selected query rows with every token of an {@link TokenCodec#INT8} payload:
   * {@code out[t * nRows + r] = q_{rows[r]} · decoded(d_t)} for {@code t < docTokens}, {@code r <
   * nRows}; {@code query} is row-major with {@code dim} columns. For token retrieval, where each
   * inverted-list token meets only the few query tokens that probed its list.
   */
  public void dotsInt8(
      float[] query,
      int dim,
      int[] rows,
      int nRows,
      byte[] bytes,
      int payloadOffset,
      int docTokens,
      float[] out) {
    nonNegative("dim", dim);
    range("selected rows", rows.length, 0, nRows, nRows);
    int queryRows = dim == 0 ? 0 : query.length / dim;
    for (int r = 0; r < nRows; r++) {
      if (rows[r] < 0 || rows[r] >= queryRows) {
        throw new IllegalArgumentException(
            "selected row " + rows[r] + " is outside the query's " + queryRows + " rows");
      }
    }
    range(
        "int8 payload",
        bytes.length,
        payloadOffset,
        TokenCodec.INT8.payloadBytes(docTokens, dim),
        docTokens);
    range("out", out.length, 0, (long) docTokens * nRows, docTokens);
    support.dotsInt8(query, dim, rows, nRows, bytes, payloadOffset, docTokens, out);
  }

  /**
   * The Gram step of Ward token pooling: for the {@code m} rows starting at row {@code rowOffset}
   * of the row-major {@code data}, {@code gram[i * m + j] = sum over d of x_i[d] * x_j[d]} for
   * every {@code j >= i}; entries below the diagonal may be overwritten with anything. Accumulated
   * in double in ascending {@code d}, so every kernel returns bit-identical matrices.
   */
  public void upperGram(float[] data, int rowOffset, int m, int dim, double[] gram) {
    nonNegative("dim", dim);
    nonNegative("row offset", rowOffset);
    range("rows", data.length, (long) rowOffset * dim, (long) m * dim, m);
    range("gram", gram.length, 0, (long) m * m, m);
    support.upperGram(data, rowOffset, m, dim, gram);
  }

  private void payload(
      PreparedQuery query, TokenCodec codec, byte[] bytes, int payloadOffset, int docTokens) {
    owned(query.owner);
    range(
        codec.cliName() + " payload",
        bytes.length,
        payloadOffset,
        codec.payloadBytes(docTokens, query.dim()),
        docTokens);
  }

  private void owned(KernelSupport owner) {
    if (owner != support && owner.getClass() != support.getClass()) {
      throw new IllegalArgumentException(
          "query prepared by the "
              + owner.name()
              + " kernel cannot be scored by the "
              + support.name()
              + " kernel: prepare it with the kernel that scores it");
    }
  }

  private static void nonNegative(String what, int value) {
    if (value < 0) {
      throw new IllegalArgumentException(what + " must not be negative, got " + value);
    }
  }

  /**
   * Checks that {@code [offset, offset + length)} lies inside an array of {@code arrayLength}
   * elements and that {@code count} (the number of rows or tokens behind {@code length}) is not
   * negative.
   */
  private static void range(String what, int arrayLength, long offset, long length, int count) {
    if (count < 0) {
      throw new IllegalArgumentException(what + ": count must not be negative, got " + count);
    }
    if (offset < 0 || offset + length > arrayLength) {
      throw new IllegalArgumentException(
          what
              + " ["
              + offset
              + ", "
              + (offset + length)
              + ") lie outside the array of "
              + arrayLength);
    }
  }
}
