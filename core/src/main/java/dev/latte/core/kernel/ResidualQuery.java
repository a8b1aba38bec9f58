package dev.latte.core.kernel;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.ResidualCodebook;

/**
 * A query prepared for scoring residual codes ({@link ResidualCodebook}) without rebuilding float
 * vectors; create it with {@link VectorKernel#prepareResidual}. For a stored token (centroid id c,
 * packed codes) the similarity to query token i is {@code q_i . c + q_i . r}; both parts come from
 * tables computed here once per query:
 *
 * <ul>
 *   <li>{@link #centroidScores()}: the query x centroid matrix, {@code [i * K + c] = q_i . c} (one
 *       GEMM through the kernel's {@code dotMatrix}).
 *   <li>{@link #lut()}: nibble lookup tables. The packed codes of a token are read as 2R nibbles
 *       (nibble p = the low (p even) or high (p odd) half of code byte p/2), each holding the codes
 *       of 4/bits dimensions; {@code lut[(i * 2R + p) * 16 + v]} = the sum over those dimensions d
 *       of {@code q_i[d] * weight(d, code_d(v))}. So {@code q_i . r} = the sum over p of {@code
 *       lut[i][p][nibble_p]}: 2R table reads per pair (WARP's implicit decompression).
 * </ul>
 *
 * The nibble tables are also kept query-token-minor ({@link #lanes()}-padded, made on first use),
 * the layout the Vector API MaxSim kernel reads to score every query token of one stored token in a
 * few vector adds; it reads the centroid scores of a vector of query tokens from the matrix's
 * centroid-major copy ({@link #byCentroid}, made on first use too).
 */
public final class ResidualQuery {
  private final TokenMatrix matrix;
  private final ResidualCodebook book;

  /** The kernel that prepared this query: {@link VectorKernel} refuses it elsewhere. */
  final KernelSupport owner;

  final int tokens;
  final int paddedTokens;
  final int nibbles;
  final float[] centroidScores;
  final float[] lut;

  /**
   * {@code [(p * 16 + v) * paddedTokens + i]} = {@code lut[i][p][v]}; padding lanes 0. Made on
   * first use by {@link #byNibble()}: token retrieval alone (the WARP list scan) never reads it.
   */
  private volatile float[] lutByNibble;

  /**
   * Columns of the query x centroid matrix per part of a split preparation: a multiple of every
   * kernel's column block (so no part ends in the masked left-over loop that a whole call would not
   * run there either — not that it matters for the values, which are the same bit for bit).
   */
  static final int COLUMNS_PER_PART = 1024;

  ResidualQuery(
      TokenMatrix query, ResidualCodebook book, KernelSupport owner, int lanes, PartRunner parts) {
    if (query.dim() != book.dim())
      throw new IllegalArgumentException(
          "query dimension " + query.dim() + " differs from the codebook's " + book.dim());
    this.matrix = query;
    this.book = book;
    this.owner = owner;
    this.tokens = query.rows();
    this.paddedTokens = (tokens + lanes - 1) / lanes * lanes;
    int k = book.centroidCount(), dim = book.dim();
    this.nibbles = 2 * book.residualBytes();
    this.centroidScores = new float[tokens * k];
    this.lut = new float[tokens * nibbles * 16];
    // The GEMM reads every centroid once (6 MB for 4,096 x 384, mostly from memory): split by
    // centroid range, each part reads only its own columns; the nibble tables split by query
    // token. Every entry is computed as the one-part preparation computes it, bit for bit.
    int n =
        Math.max(1, Math.min((k + COLUMNS_PER_PART - 1) / COLUMNS_PER_PART, Math.max(1, tokens)));
    // The centroids packed once per codebook in the kernel's column panels (the GEMM then copies
    // no column block per query); the entries are those of the dimension-major GEMM bit for bit.
    float[] panels = book.centroidPanels(owner.panelWidth());
    if (n == 1 || parts == null) {
      owner.dotMatrixPanels(query.data(), 0, tokens, panels, k, 0, k, dim, centroidScores);
      nibbleTables(0, tokens);
      return;
    }
    parts.run(
        n,
        j -> {
          int from = (int) ((long) k * j / n / 64 * 64),
              to = j + 1 == n ? k : (int) ((long) k * (j + 1) / n / 64 * 64);
          owner.dotMatrixPanels(query.data(), 0, tokens, panels, k, from, to, dim, centroidScores);
          nibbleTables(tokens * j / n, tokens * (j + 1) / n);
        });
  }

  /** The nibble tables of query tokens {@code [from, to)}. */
  private void nibbleTables(int from, int to) {
    float[] q = matrix.data();
    float[] w = book.nibbleWeights();
    int dim = book.dim(), perNibble = 4 / book.bits();
    for (int i = from; i < to; i++) {
      for (int p = 0; p < nibbles; p++) {
        int at = (i * nibbles + p) * 16;
        int d0 = p * perNibble, n = Math.min(perNibble, dim - d0); // padding bits add nothing
        // lut[v] = 0 + q[d0] w(d0, v_0) + q[d0 + 1] w(d0 + 1, v_1) + ..., the adds in dimension
        // order; the loop over v innermost, the weights by nibble value ready in the codebook's
        // table. Two dimensions a nibble (residual-2, the default) in one pass: 0.19 -> 0.05 ms
        // for a 32-token 384-d query (the general loop: 0.09).
        if (n == 2) {
          float x0 = q[i * dim + d0], x1 = q[i * dim + d0 + 1];
          int w0 = d0 * 16, w1 = w0 + 16;
          for (int v = 0; v < 16; v++) lut[at + v] = (0f + x0 * w[w0 + v]) + x1 * w[w1 + v];
          continue;
        }
        for (int v = 0; v < 16; v++) lut[at + v] = 0f;
        for (int u = 0; u < n; u++) {
          float x = q[i * dim + d0 + u];
          int wAt = (p * perNibble + u) * 16;
          for (int v = 0; v < 16; v++) lut[at + v] += x * w[wAt + v];
        }
      }
    }
  }

  private volatile float[] byCentroid;

  /**
   * The query x centroid matrix centroid-major, {@code [c * paddedTokens + i]} = {@code q_i . c}
   * (padding lanes 0), made on first use: a vector kernel scoring a stored token reads its
   * centroid's lanes with one contiguous load instead of a gather over {@code tokens} rows. Read
   * without locking once made (the kernels ask for it per scored document).
   */
  float[] byCentroid() {
    float[] t = byCentroid;
    return t != null ? t : makeByCentroid();
  }

  private synchronized float[] makeByCentroid() {
    if (byCentroid == null) {
      int k = book.centroidCount(), w = paddedTokens;
      float[] t = new float[k * w];
      // By blocks of 64 centroids: the block's 64 destination rows stay in L1 while every query
      // row passes over them.
      for (int c0 = 0; c0 < k; c0 += 64) {
        int c1 = Math.min(k, c0 + 64);
        for (int i = 0; i < tokens; i++) {
          int row = i * k;
          for (int c = c0; c < c1; c++) t[c * w + i] = centroidScores[row + c];
        }
      }
      byCentroid = t;
    }
    return byCentroid;
  }

  /**
   * The by-nibble table (made on first use, then read without locking; thread-safe): each entry
   * computed as {@link #nibbleTables} computes it, the loop over query tokens innermost over the
   * query's transpose (so it writes the table in order instead of transposing the row-major one).
   */
  float[] byNibble() {
    float[] t = lutByNibble;
    return t != null ? t : makeByNibble();
  }

  private synchronized float[] makeByNibble() {
    if (lutByNibble != null) return lutByNibble;
    float[] q = matrix.data();
    float[] w = book.nibbleWeights();
    int dim = book.dim(), perNibble = 4 / book.bits(), width = paddedTokens;
    float[] qt = new float[dim * tokens];
    for (int i = 0; i < tokens; i++)
      for (int d = 0; d < dim; d++) qt[d * tokens + i] = q[i * dim + d];
    float[] t = new float[nibbles * 16 * width];
    for (int p = 0; p < nibbles; p++) {
      int d0 = p * perNibble, n = Math.min(perNibble, dim - d0);
      for (int v = 0; v < 16; v++) {
        int row = (p * 16 + v) * width;
        if (n == 2) {
          float w0 = w[d0 * 16 + v], w1 = w[(d0 + 1) * 16 + v];
          int q0 = d0 * tokens, q1 = q0 + tokens;
          for (int i = 0; i < tokens; i++) t[row + i] = (0f + qt[q0 + i] * w0) + qt[q1 + i] * w1;
          continue;
        }
        for (int u = 0; u < n; u++) {
          float wu = w[(d0 + u) * 16 + v];
          int qu = (d0 + u) * tokens;
          for (int i = 0; i < tokens; i++) t[row + i] += qt[qu + i] * wu; // 0 + ... in order
        }
      }
    }
    lutByNibble = t;
    return t;
  }

  /** The original row-major query. */
  public TokenMatrix matrix() {
    return matrix;
  }

  public ResidualCodebook codebook() {
    return book;
  }

  public int dim() {
    return matrix.dim();
  }

  public int tokens() {
    return tokens;
  }

  /** Query tokens rounded up to the preparing kernel's lane count (the by-nibble table's row). */
  public int lanes() {
    return paddedTokens;
  }

  /** q_i . c for every query token i and centroid c, row-major {@code [i * K + c]} (a view). */
  public float[] centroidScores() {
    return centroidScores;
  }

  public float centroidScore(int i, int c) {
    return centroidScores[i * book.centroidCount() + c];
  }

  /** The nibble lookup tables, {@code [(i * 2R + p) * 16 + v]} (a view; see the class comment). */
  public float[] lut() {
    return lut;
  }
}
