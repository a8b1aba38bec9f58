package dev.latte.core.codec;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.StoredTokenMatrix.CorruptTokenMatrixException;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The trained parameters of a residual codec ({@link TokenCodec#RESIDUAL_1}, {@code _2}, {@code
 * _4}), as ColBERTv2/PLAID compress late-interaction token vectors: each token is stored as the id
 * of its nearest centroid plus an n-bit code per dimension of its residual (token minus centroid).
 * Immutable; trained once per index and frozen, so every token of an index, written by whichever
 * writer, is coded against the same parameters.
 *
 * <ul>
 *   <li>{@code centroids}: K unit vectors, row-major K x dim (spherical k-means, the same centroids
 *       as the index's token-retrieval lists).
 *   <li>{@code cutoffs}: per dimension d, 2^n - 1 ascending bucket boundaries; code_d = the number
 *       of boundaries {@code <=} the residual value.
 *   <li>{@code weights}: per dimension d, 2^n bucket values: the residual decodes to {@code r[d] =
 *       weights[d * 2^n + code_d]}. Cutoffs and weights are the least-squares (Lloyd-Max) scalar
 *       quantizer of a sample's residual values in that dimension ({@link #fit}).
 * </ul>
 *
 * A token decodes to {@code s . (c[id] + r)}, so that {@code q . decoded = s . (q . c[id] + q .
 * r)}: the kernels score a query against the codes as that sum times the token's scale, from the
 * query x centroid matrix and per-query lookup tables over the code bytes (see {@code
 * ResidualQuery}), without rebuilding the float vector. The payload layout is in {@link
 * StoredTokenMatrix}.
 *
 * <p><b>Per-token scales</b> (codebook version 2, {@link #scaled()}): each token also stores one
 * byte u, decoding to {@code s = scaleLow + u . scaleStep}, fitted so that {@code s ~ x.x̂ / x̂.x̂}
 * with {@code x̂ = c + r}: the least-squares factor, the s that makes {@code s . x̂} nearest to the
 * token {@code x} it codes (so a scaled token is never farther from x than the unscaled one, to the
 * scale's rounding). Without it a coded token's length drifts with its quantisation error (longer
 * where the residual's buckets overshoot, and a pooled token's own length is lost), and MaxSim's
 * max over a document's tokens favours the tokens that came out long. The first version restored
 * the length ({@code |x| / |x̂|}); that gained as much on SciFact (pooled by 2: exact MaxSim over
 * the codes 0.7553 to 0.7590 on the train queries, least squares 0.7591) but lost where the
 * quantisation error is mostly direction (the 1 M synthetic token set of {@code ScaleBenchmark}:
 * the codes' recall@100 of the float truth 0.842 unscaled, 0.762 with the length, 0.848 with least
 * squares): stretching x̂ to full length also stretches its error. The range is fitted on the
 * codebook's sample (its smallest and largest factor), quantised linearly, not log-uniformly: over
 * a range this narrow the two differ little in step, and linear decodes in one multiply-add in the
 * vector list scan (no table gather). A version-1 codebook (indexes built before) has no scale
 * byte: s = 1.
 *
 * <p><b>Tangent residuals</b> (codebook version 3, {@link #tangent()}; what {@link #fit} trains at
 * 1 bit): the residual coded is {@code x / (x.c) - c}, the token's central projection onto the
 * plane tangent to its centroid minus the centroid, instead of {@code x - c}. It is orthogonal to
 * c, so no residual bit is spent on the token's length along c (a radial offset {@code (x.c - 1) c}
 * shared by all dimensions, which a per-dimension 1-bit code cannot represent and which shifts
 * every dimension's bucket choice); the scale byte carries that length instead ({@code s ~ x.c}).
 * Decoding is unchanged ({@code s . (c + r)}), so every kernel scores these codes as before; only
 * the encoder and the fit differ. On SciFact pooled by 2 (train, exact MaxSim over the codes, full
 * scan): 0.7515 to 0.7532 at 1 bit (within the noise of 809 queries, but level with or above the
 * sign code {@code bit} at 63% of its bytes). A token with {@code x.c <= } {@value
 * #MIN_TANGENT_DOT} (never the case against its nearest of many centroids) keeps the plain
 * residual.
 */
public final class ResidualCodebook {
  /** Most centroids a stored id (unsigned 16 bits) can name. */
  public static final int MAX_CENTROIDS = 1 << 16;

  /** Bit width whose fit codes tangent residuals (see the class comment). */
  public static final int TANGENT_BITS = 1;

  /** Smallest {@code x.c} at which a token is projected onto its centroid's tangent plane. */
  public static final double MIN_TANGENT_DOT = 0.05;

  private static final VarHandle SHORT_LE =
      MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

  private final int bits;
  private final int dim;
  private final int k;
  private final float[] centroids;
  private final float[] cutoffs;
  private final float[] weights;
  private final TokenCodec codec;
  private final int residualBytes;
  private final boolean scaled;
  private final boolean tangent;
  private final float scaleLow;
  private final float scaleStep;
  private volatile float[] centroidsDimMajor;

  private volatile float[] nibbleWeights;

  /** {@link #centroidPanels} of the width asked last (one kernel per process: one width). */
  private volatile Panels centroidPanels;

  private record Panels(int width, float[] data) {}

  /** Scale codes per token: one byte. */
  public static final int SCALE_LEVELS = 256;

  /**
   * @param centroids K x dim row-major
   * @param cutoffs dim x (2^bits - 1), ascending within each dimension
   * @param weights dim x 2^bits
   */
  public ResidualCodebook(int bits, int dim, float[] centroids, float[] cutoffs, float[] weights) {
    this(bits, dim, centroids, cutoffs, weights, false, 1f, 0f);
  }

  /**
   * A codebook with per-token scales {@code scaleLow + u . scaleStep}, u in [0, 255] (when {@code
   * scaled}; otherwise {@code scaleLow} and {@code scaleStep} must be 1 and 0).
   */
  public ResidualCodebook(
      int bits,
      int dim,
      float[] centroids,
      float[] cutoffs,
      float[] weights,
      boolean scaled,
      float scaleLow,
      float scaleStep) {
    this(bits, dim, centroids, cutoffs, weights, scaled, false, scaleLow, scaleStep);
  }

  /**
   * A scaled codebook whose codes are {@link #tangent} residuals when {@code tangent} (then {@code
   * scaled} must be true, except for the unscaled intermediate {@link #fit} builds its scales'
   * range with, which cannot be written).
   */
  ResidualCodebook(
      int bits,
      int dim,
      float[] centroids,
      float[] cutoffs,
      float[] weights,
      boolean scaled,
      boolean tangent,
      float scaleLow,
      float scaleStep) {
    this.tangent = tangent;
    if (!(scaleLow > 0f) || !(scaleStep >= 0f) || !Float.isFinite(scaleLow + 255 * scaleStep))
      throw new IllegalArgumentException(
          "scales must be positive and finite, got low " + scaleLow + ", step " + scaleStep);
    if (!scaled && (scaleLow != 1f || scaleStep != 0f))
      throw new IllegalArgumentException("an unscaled codebook decodes every scale to 1");
    this.scaled = scaled;
    this.scaleLow = scaleLow;
    this.scaleStep = scaleStep;
    this.codec = TokenCodec.residual(bits);
    this.bits = bits;
    this.dim = dim;
    if (dim <= 0) throw new IllegalArgumentException("dimension must be positive, got " + dim);
    if (centroids.length == 0 || centroids.length % dim != 0)
      throw new IllegalArgumentException(
          centroids.length + " centroid values are not a positive number of " + dim + "-d rows");
    this.k = centroids.length / dim;
    if (k > MAX_CENTROIDS)
      throw new IllegalArgumentException(
          k + " centroids exceed the " + MAX_CENTROIDS + " a 16-bit id can name");
    int buckets = 1 << bits;
    if (cutoffs.length != dim * (buckets - 1) || weights.length != dim * buckets)
      throw new IllegalArgumentException(
          "a "
              + bits
              + "-bit codebook of "
              + dim
              + " dimensions needs "
              + dim * (buckets - 1)
              + " cutoffs and "
              + dim * buckets
              + " weights, got "
              + cutoffs.length
              + " and "
              + weights.length);
    this.centroids = centroids.clone();
    this.cutoffs = cutoffs.clone();
    this.weights = weights.clone();
    this.residualBytes = codec.residualBytes(dim);
  }

  /**
   * Learns the per-dimension cutoffs and weights from {@code sampleRows} sample vectors (row-major
   * in {@code sample}) whose nearest centroids are {@code sampleCentroid}: per dimension, the
   * 2^bits-level scalar quantizer of least squared error on the sample's residual values
   * (Lloyd-Max: started from the quantile buckets, then alternately each cutoff the midpoint of its
   * two weights and each weight the mean of its bucket, until nothing moves).
   *
   * <p>Why not stop at the quantiles, as ColBERTv2 does: the residual values of real token vectors
   * are heavy-tailed (most near 0, a few large — the dimensions in which a token differs from its
   * centroid), and equal-population buckets spend their levels on the crowded centre and lump the
   * tails together. On SciFact (bundled model, 384-d, 4,096 centroids) the 2-bit quantile fit keeps
   * 98.9% of exact float nDCG@10 on the train queries; the least-squares fit keeps 100%.
   *
   * <p>Then the per-token scales' range on the same sample ({@link #withScalesFitted}): every
   * codebook trained now has scales.
   */
  public static ResidualCodebook fit(
      int bits, float[] centroids, int dim, float[] sample, int sampleRows, int[] sampleCentroid) {
    boolean tangent = bits == TANGENT_BITS;
    float[] rowScale =
        tangent ? tangentFactors(centroids, dim, sample, sampleRows, sampleCentroid) : null;
    float[][] cw =
        LloydMaxFit.cutoffsAndWeights(
            bits, centroids, dim, sample, sampleRows, sampleCentroid, rowScale);
    ResidualCodebook unscaled =
        new ResidualCodebook(bits, dim, centroids, cw[0], cw[1], false, tangent, 1f, 0f);
    return unscaled.withScalesFitted(sample, sampleRows, sampleCentroid);
  }

  /**
   * Per sample row, the factor {@code 1 / (x.c)} that puts it on its centroid's tangent plane (1
   * where {@code x.c <= MIN_TANGENT_DOT}).
   */
  private static float[] tangentFactors(
      float[] centroids, int dim, float[] sample, int rows, int[] sampleCentroid) {
    float[] f = new float[rows];
    for (int t = 0; t < rows; t++)
      f[t] = tangentFactor(sample, t * dim, centroids, sampleCentroid[t] * dim, dim);
    return f;
  }

  private static float tangentFactor(float[] x, int offset, float[] centroids, int c, int dim) {
    double xc = 0;
    for (int d = 0; d < dim; d++) xc += (double) x[offset + d] * centroids[c + d];
    return xc > MIN_TANGENT_DOT ? (float) (1 / xc) : 1f;
  }

  /**
   * This codebook with per-token scales whose range is fitted on a sample (the smallest and the
   * largest least-squares factor {@code x.x̂ / x̂.x̂} of its rows, {@code x̂ = c + r} coded against
   * their centroids {@code sampleCentroid}); the centroids, cutoffs and weights unchanged.
   */
  public ResidualCodebook withScalesFitted(float[] sample, int sampleRows, int[] sampleCentroid) {
    float lo = Float.POSITIVE_INFINITY, hi = 0f;
    byte[] codes = new byte[residualBytes];
    float[] decoded = new float[dim];
    for (int t = 0; t < sampleRows; t++) {
      encodeResidual(sample, t * dim, sampleCentroid[t], codes, 0);
      decodeUnscaled(sampleCentroid[t], codes, 0, decoded);
      float ratio = leastSquaresScale(sample, t * dim, decoded);
      if (!(ratio > 0f) || !Float.isFinite(ratio)) continue;
      lo = Math.min(lo, ratio);
      hi = Math.max(hi, ratio);
    }
    if (!(lo <= hi)) lo = hi = 1f; // no usable sample row: every scale 1
    return new ResidualCodebook(
        bits, dim, centroids, cutoffs, weights, true, tangent, lo, (hi - lo) / (SCALE_LEVELS - 1));
  }

  /**
   * This codebook without scales (version 1, as indexes built before scales were written; plain
   * residuals {@code x - c}, even if this one codes {@link #tangent} ones).
   */
  public ResidualCodebook withoutScales() {
    return new ResidualCodebook(bits, dim, centroids, cutoffs, weights);
  }

  /**
   * The s minimising {@code |x - s . decoded|} for x = {@code x[offset, offset + dim)}: {@code
   * x.decoded / decoded.decoded}, in doubles.
   */
  private float leastSquaresScale(float[] x, int offset, float[] decoded) {
    double xd = 0, dd = 0;
    for (int d = 0; d < dim; d++) {
      xd += (double) x[offset + d] * decoded[d];
      dd += (double) decoded[d] * decoded[d];
    }
    return (float) (xd / dd);
  }

  private static int bucket(float[] cutoffs, int from, int n, float v) {
    int b = 0;
    while (b < n && v >= cutoffs[from + b]) b++;
    return b;
  }

  public int bits() {
    return bits;
  }

  public int dim() {
    return dim;
  }

  /** K, the number of centroids. */
  public int centroidCount() {
    return k;
  }

  public TokenCodec codec() {
    return codec;
  }

  /** R, bytes of one token's packed residual codes (its nibble bytes, without the scale byte). */
  public int residualBytes() {
    return residualBytes;
  }

  /**
   * Bytes of one stored token's codes: R, plus its scale byte (at offset R) if {@link #scaled}. The
   * stride of every code array and list.
   */
  public int codeStride() {
    return scaled ? residualBytes + 1 : residualBytes;
  }

  /** Whether each token carries a scale byte (codebook version 2 or 3). */
  public boolean scaled() {
    return scaled;
  }

  /**
   * Whether the codes are of the tangent residual {@code x / (x.c) - c} (codebook version 3) rather
   * than {@code x - c}. Decoding and scoring do not depend on it, only encoding.
   */
  public boolean tangent() {
    return tangent;
  }

  /**
   * Whether this codebook has the form {@link #fit} trains today (scales; tangent residuals at
   * {@link #TANGENT_BITS}): what caches check before reusing an index coded by an older build.
   */
  public boolean currentForm() {
    return scaled && tangent == (bits == TANGENT_BITS);
  }

  /** The scale of code 0 (1 when unscaled). */
  public float scaleLow() {
    return scaleLow;
  }

  /** The scale between two consecutive codes (0 when unscaled). */
  public float scaleStep() {
    return scaleStep;
  }

  /**
   * The scale of scale code {@code u} (0..255): {@code u * scaleStep + scaleLow} in float, the
   * expression (multiply, then add; not fused) every kernel uses.
   */
  public float scale(int u) {
    return scaled ? u * scaleStep + scaleLow : 1f;
  }

  /** The scale of the token whose codes start at {@code codes[at]} (1 when unscaled). */
  public float scaleOf(byte[] codes, int at) {
    return scaled ? scale(codes[at + residualBytes] & 0xFF) : 1f;
  }

  /** The nearest scale code of scale {@code s} (clamped to the fitted range). */
  public int scaleCode(float s) {
    if (!scaled || scaleStep == 0f) return 0;
    long u = Math.round((s - scaleLow) / (double) scaleStep);
    return (int) Math.max(0, Math.min(SCALE_LEVELS - 1, u));
  }

  /** The centroids, K x dim row-major (a copy). */
  public float[] centroids() {
    return centroids.clone();
  }

  /** The centroids dimension-major ({@code [d * K + c]}), the layout of a query x centroid GEMM. */
  public float[] centroidsDimMajor() {
    float[] t = centroidsDimMajor;
    if (t == null) {
      t = new float[k * dim];
      for (int c = 0; c < k; c++)
        for (int d = 0; d < dim; d++) t[d * k + c] = centroids[c * dim + d];
      centroidsDimMajor = t;
    }
    return t;
  }

  /**
   * The centroids in column panels of {@code width} for a query x centroid GEMM that reads them
   * where they lie (made once, then shared; {@code K x dim} floats rounded up to whole panels):
   * panel p holds centroids {@code [p W, p W + W)} dimension-major, element d of centroid c at
   * {@code [p dim W + d W + (c - p W)]}, zeros past the last centroid. Don't modify.
   */
  public float[] centroidPanels(int width) {
    Panels t = centroidPanels;
    if (t == null || t.width() != width) {
      if (width <= 0) throw new IllegalArgumentException("panel width " + width);
      int panels = (k + width - 1) / width;
      float[] data = new float[panels * dim * width];
      for (int c = 0; c < k; c++) {
        int at = c / width * dim * width + c % width;
        for (int d = 0; d < dim; d++) data[at + d * width] = centroids[c * dim + d];
      }
      centroidPanels = t = new Panels(width, data);
    }
    return t.data();
  }

  /**
   * The weights a query's nibble tables multiply, by nibble value: {@code [(p * 4/bits + u) * 16 +
   * v]} = {@link #weight}{@code (d, code)} for dimension {@code d = p * 4/bits + u} of nibble p and
   * the code {@code (v >>> u * bits) & (2^bits - 1)} that nibble value v holds for it; 0 for the
   * padding dimensions past the last one (made once; don't modify).
   */
  public float[] nibbleWeights() {
    float[] t = nibbleWeights;
    if (t == null) {
      int perNibble = 4 / bits, mask = (1 << bits) - 1;
      int nibbles = 2 * residualBytes();
      t = new float[nibbles * perNibble * 16];
      for (int p = 0; p < nibbles; p++)
        for (int u = 0; u < perNibble; u++) {
          int d = p * perNibble + u;
          if (d >= dim) continue;
          for (int v = 0; v < 16; v++)
            t[(p * perNibble + u) * 16 + v] = weight(d, (v >>> (u * bits)) & mask);
        }
      nibbleWeights = t;
    }
    return t;
  }

  /** Per-dimension bucket boundaries, dim x (2^bits - 1) (a copy). */
  public float[] cutoffs() {
    return cutoffs.clone();
  }

  /** Per-dimension bucket values, dim x 2^bits (a copy). */
  public float[] weights() {
    return weights.clone();
  }

  /** The decoded value of code {@code code} in dimension {@code d}. */
  public float weight(int d, int code) {
    return weights[(d << bits) + code];
  }

  /** Component {@code d} of centroid {@code c}. */
  public float centroid(int c, int d) {
    return centroids[c * dim + d];
  }

  /**
   * The centroid with the largest dot product with {@code x[offset, offset + dim)} (for unit
   * centroids the nearest); plain loops, for single tokens and tests — batches go through {@code
   * VectorKernel.assignCentroids}.
   */
  public int nearestCentroid(float[] x, int offset) {
    int best = 0;
    float max = Float.NEGATIVE_INFINITY;
    for (int c = 0; c < k; c++) {
      float dot = 0f;
      for (int d = 0; d < dim; d++) dot += x[offset + d] * centroids[c * dim + d];
      if (dot > max) {
        max = dot;
        best = c;
      }
    }
    return best;
  }

  /**
   * Writes the {@link #codeStride} bytes of one token at {@code out[outOffset]}: the {@link
   * #residualBytes} packed codes of the residual {@code x - c[centroid]} (dimension d's code at bit
   * {@code (d * bits) % 8} of byte {@code d * bits / 8}, least significant first; padding bits 0),
   * then, if {@link #scaled}, the scale code of {@code x.x̂ / x̂.x̂}, {@code x̂ = c + r}.
   */
  public void encodeResidual(float[] x, int offset, int centroid, byte[] out, int outOffset) {
    encodeCodes(x, offset, centroid, out, outOffset);
    if (!scaled) return;
    float[] decoded = new float[dim];
    decodeUnscaled(centroid, out, outOffset, decoded);
    out[outOffset + residualBytes] = (byte) scaleCode(leastSquaresScale(x, offset, decoded));
  }

  /** The {@link #residualBytes} packed codes alone (see {@link #encodeResidual}). */
  private void encodeCodes(float[] x, int offset, int centroid, byte[] out, int outOffset) {
    Arrays.fill(out, outOffset, outOffset + residualBytes, (byte) 0);
    int nCut = (1 << bits) - 1;
    float f = tangent ? tangentFactor(x, offset, centroids, centroid * dim, dim) : 1f;
    for (int d = 0; d < dim; d++) {
      float r = (tangent ? x[offset + d] * f : x[offset + d]) - centroids[centroid * dim + d];
      int code = bucket(cutoffs, d * nCut, nCut, r);
      int bit = d * bits;
      out[outOffset + (bit >>> 3)] |= (byte) (code << (bit & 7));
    }
  }

  /** The n-bit code of dimension {@code d} in the packed codes at {@code codes[codesOffset]}. */
  public int code(byte[] codes, int codesOffset, int d) {
    int bit = d * bits;
    return (codes[codesOffset + (bit >>> 3)] >>> (bit & 7)) & ((1 << bits) - 1);
  }

  /**
   * Writes the decoded vector {@code s . (c[centroid] + r)} of one token (s its scale, 1 when
   * unscaled) into {@code dst[dstOffset]}.
   */
  public void decodeToken(int centroid, byte[] codes, int codesOffset, float[] dst, int dstOffset) {
    float s = scaleOf(codes, codesOffset);
    for (int d = 0; d < dim; d++)
      dst[dstOffset + d] =
          scaled
              ? s * (centroids[centroid * dim + d] + weight(d, code(codes, codesOffset, d)))
              : centroids[centroid * dim + d] + weight(d, code(codes, codesOffset, d));
  }

  /** {@code c[centroid] + r}, the token before its scale. */
  private void decodeUnscaled(int centroid, byte[] codes, int codesOffset, float[] dst) {
    for (int d = 0; d < dim; d++)
      dst[d] = centroids[centroid * dim + d] + weight(d, code(codes, codesOffset, d));
  }

  /**
   * The complete stored value (header and payload) of {@code m}, its row {@code t} coded against
   * centroid {@code centroidIds[t]} (normally its nearest).
   */
  public byte[] encode(TokenMatrix m, int[] centroidIds) {
    if (m.dim() != dim)
      throw new IllegalArgumentException(
          "a " + m.dim() + "-d matrix cannot be coded by a " + dim + "-d codebook");
    if (centroidIds.length < m.rows())
      throw new IllegalArgumentException(
          centroidIds.length + " centroid ids for " + m.rows() + " rows");
    long payload = payloadBytes(m.rows());
    if (payload > Integer.MAX_VALUE - StoredTokenMatrix.HEADER_BYTES)
      throw new IllegalArgumentException(
          m.rows() + " tokens do not fit one stored value as " + codec.cliName());
    byte[] out = new byte[StoredTokenMatrix.HEADER_BYTES + (int) payload];
    StoredTokenMatrix.writeHeader(out, codec, dim, m.rows(), scaled);
    int ids = TokenCodec.residualIdsOffset(StoredTokenMatrix.HEADER_BYTES);
    int codes = TokenCodec.residualCodesOffset(StoredTokenMatrix.HEADER_BYTES, m.rows());
    for (int t = 0; t < m.rows(); t++) {
      int c = centroidIds[t];
      if (c < 0 || c >= k)
        throw new IllegalArgumentException("centroid id " + c + " outside [0, " + k + ")");
      SHORT_LE.set(out, ids + t * Short.BYTES, (short) c);
      encodeResidual(m.data(), t * dim, c, out, codes + t * codeStride());
    }
    return out;
  }

  /** Payload bytes of {@code tokens} tokens: ids, codes and (if scaled) scale bytes. */
  public long payloadBytes(int tokens) {
    return (long) tokens * (Short.BYTES + codeStride());
  }

  /**
   * Encodes {@code m} against each row's nearest centroid (plain loops: tests and small inputs).
   */
  public byte[] encode(TokenMatrix m) {
    int[] ids = new int[m.rows()];
    for (int t = 0; t < m.rows(); t++) ids[t] = nearestCentroid(m.data(), t * m.dim());
    return encode(m, ids);
  }

  /** Decodes a payload (no header) of {@code tokens} tokens. */
  public TokenMatrix decodePayload(byte[] bytes, int payloadOffset, int tokens) {
    float[] out = new float[tokens * dim];
    int codes = TokenCodec.residualCodesOffset(payloadOffset, tokens);
    for (int t = 0; t < tokens; t++) {
      int c = TokenCodec.residualCentroid(bytes, payloadOffset, t);
      if (c >= k)
        throw new CorruptTokenMatrixException(
            "centroid id " + c + " outside this codebook's " + k + " centroids");
      decodeToken(c, bytes, codes + t * codeStride(), out, t * dim);
    }
    return new TokenMatrix(out, tokens, dim);
  }

  /** Decodes a stored value after checking that its header names this codebook's codec. */
  public TokenMatrix decode(byte[] bytes, int offset, int length) {
    StoredTokenMatrix.Header h = StoredTokenMatrix.header(bytes, offset, length, dim);
    if (h.codec() != codec)
      throw new CorruptTokenMatrixException(
          "stored value uses codec " + h.codec().cliName() + ", expected " + codec.cliName());
    checkScaled(h);
    return decodePayload(bytes, StoredTokenMatrix.Header.payloadOffset(offset), h.tokens());
  }

  /**
   * Refuses a stored value whose scale bytes do not match this codebook (a value written with
   * another index's parameters).
   */
  public void checkScaled(StoredTokenMatrix.Header h) {
    if (h.scaled() != scaled)
      throw new CorruptTokenMatrixException(
          "stored value "
              + (h.scaled() ? "carries" : "lacks")
              + " per-token scales but the index's residual codebook "
              + (scaled ? "has" : "has none")
              + "; the value was written for another index");
  }

  /**
   * Versioned binary form ({@link CodebookBinaryForm}): version 1 unscaled, byte for byte as before
   * scales existed (same fingerprint); 2 scaled; 3 scaled with {@link #tangent} residuals.
   */
  public void writeTo(DataOutput out) throws IOException {
    CodebookBinaryForm.write(this, out);
  }

  public static ResidualCodebook readFrom(DataInput in) throws IOException {
    return CodebookBinaryForm.read(in);
  }

  /** SHA-256 (first 16 hex digits) of the binary form: identifies the parameters. */
  public String fingerprint() {
    return CodebookBinaryForm.fingerprint(this);
  }

  @Override
  public String toString() {
    return codec.cliName()
        + " codebook: "
        + k
        + " centroids x "
        + dim
        + " dims"
        + (scaled ? ", scales " + scaleLow + " + u x " + scaleStep : "")
        + (tangent ? ", tangent residuals" : "");
  }
}
