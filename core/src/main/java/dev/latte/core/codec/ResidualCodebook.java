package dev.latte.core.codec;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.StoredTokenMatrix.CorruptTokenMatrixException;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

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
 * A token decodes to {@code c[id] + r}, not re-normalised, so that {@code q . decoded = q . c[id] +
 * q . r} exactly: the kernels score a query against the codes as that sum, from the query x
 * centroid matrix and per-query lookup tables over the code bytes (see {@code ResidualQuery}),
 * without rebuilding the float vector. The payload layout is in {@link StoredTokenMatrix}.
 */
public final class ResidualCodebook {
  /** Most centroids a stored id (unsigned 16 bits) can name. */
  public static final int MAX_CENTROIDS = 1 << 16;

  private static final int MAGIC = 0x4C524342; // "LRCB"
  private static final int VERSION = 1;
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
  private volatile float[] centroidsDimMajor;

  /**
   * @param centroids K x dim row-major
   * @param cutoffs dim x (2^bits - 1), ascending within each dimension
   * @param weights dim x 2^bits
   */
  public ResidualCodebook(int bits, int dim, float[] centroids, float[] cutoffs, float[] weights) {
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
   * Most Lloyd-Max rounds per dimension: 16 levels converge slowly in the tails, and a round costs
   * only 2^bits binary searches over the sorted sample.
   */
  static final int LLOYD_MAX_ROUNDS = 2000;

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
   */
  public static ResidualCodebook fit(
      int bits, float[] centroids, int dim, float[] sample, int sampleRows, int[] sampleCentroid) {
    int buckets = 1 << TokenCodec.residual(bits).residualBits();
    float[] cutoffs = new float[dim * (buckets - 1)];
    float[] weights = new float[dim * buckets];
    float[] values = new float[sampleRows];
    double[] prefix = new double[sampleRows + 1];
    for (int d = 0; d < dim; d++) {
      for (int t = 0; t < sampleRows; t++)
        values[t] = sample[t * dim + d] - centroids[sampleCentroid[t] * dim + d];
      Arrays.sort(values);
      for (int t = 0; t < sampleRows; t++) prefix[t + 1] = prefix[t] + values[t];
      int cut = d * (buckets - 1), w = d * buckets;
      for (int j = 1; j < buckets; j++)
        cutoffs[cut + j - 1] =
            sampleRows == 0 ? 0f : values[(int) ((long) j * sampleRows / buckets)];
      bucketMeans(values, prefix, sampleRows, cutoffs, cut, weights, w, buckets, true);
      if (sampleRows == 0) continue;
      // Ends on the midpoints, so that coding always picks the nearest weight.
      for (int round = 0; midpoints(cutoffs, cut, weights, w, buckets); round++) {
        if (round == LLOYD_MAX_ROUNDS) break;
        bucketMeans(values, prefix, sampleRows, cutoffs, cut, weights, w, buckets, false);
      }
    }
    return new ResidualCodebook(bits, dim, centroids, cutoffs, weights);
  }

  /** Sets each cutoff to the midpoint of its two weights; whether any moved. */
  private static boolean midpoints(float[] cutoffs, int cut, float[] weights, int w, int buckets) {
    boolean moved = false;
    for (int j = 0; j < buckets - 1; j++) {
      float mid = (weights[w + j] + weights[w + j + 1]) / 2;
      moved |= mid != cutoffs[cut + j];
      cutoffs[cut + j] = mid;
    }
    return moved;
  }

  /**
   * Sets each bucket's weight to the mean of the sorted {@code values} falling in it (a value v
   * falls in bucket b = the number of cutoffs {@code <= v}); an empty bucket keeps its weight, or
   * on the first pass ({@code initial}) decodes to its nearest boundary (ties in a degenerate
   * dimension), never NaN.
   */
  private static void bucketMeans(
      float[] values,
      double[] prefix,
      int n,
      float[] cutoffs,
      int cut,
      float[] weights,
      int w,
      int buckets,
      boolean initial) {
    int from = 0;
    for (int b = 0; b < buckets; b++) {
      int to = b == buckets - 1 ? n : firstAtLeast(values, n, cutoffs[cut + b]);
      to = Math.max(to, from);
      if (to > from) {
        weights[w + b] = (float) ((prefix[to] - prefix[from]) / (to - from));
      } else if (initial) {
        weights[w + b] =
            buckets == 1 ? 0f : cutoffs[cut + Math.min(Math.max(b - 1, 0), buckets - 2)];
      }
      from = to;
    }
  }

  /** The first index of sorted {@code values[0, n)} holding a value {@code >= x} (n if none). */
  private static int firstAtLeast(float[] values, int n, float x) {
    int lo = 0, hi = n;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (values[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
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

  /** R, bytes of one token's packed residual codes. */
  public int residualBytes() {
    return residualBytes;
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
   * Writes the {@link #residualBytes} packed codes of the residual {@code x - c[centroid]} at
   * {@code out[outOffset]}: dimension d's code at bit {@code (d * bits) % 8} of byte {@code d *
   * bits / 8}, least significant first; padding bits 0.
   */
  public void encodeResidual(float[] x, int offset, int centroid, byte[] out, int outOffset) {
    Arrays.fill(out, outOffset, outOffset + residualBytes, (byte) 0);
    int nCut = (1 << bits) - 1;
    for (int d = 0; d < dim; d++) {
      float r = x[offset + d] - centroids[centroid * dim + d];
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

  /** Writes the decoded vector {@code c[centroid] + r} of one token into {@code dst[dstOffset]}. */
  public void decodeToken(int centroid, byte[] codes, int codesOffset, float[] dst, int dstOffset) {
    for (int d = 0; d < dim; d++)
      dst[dstOffset + d] = centroids[centroid * dim + d] + weight(d, code(codes, codesOffset, d));
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
    long payload = codec.payloadBytes(m.rows(), dim);
    if (payload > Integer.MAX_VALUE - StoredTokenMatrix.HEADER_BYTES)
      throw new IllegalArgumentException(
          m.rows() + " tokens do not fit one stored value as " + codec.cliName());
    byte[] out = new byte[StoredTokenMatrix.HEADER_BYTES + (int) payload];
    StoredTokenMatrix.writeHeader(out, codec, dim, m.rows());
    int ids = TokenCodec.residualIdsOffset(StoredTokenMatrix.HEADER_BYTES);
    int codes = TokenCodec.residualCodesOffset(StoredTokenMatrix.HEADER_BYTES, m.rows());
    for (int t = 0; t < m.rows(); t++) {
      int c = centroidIds[t];
      if (c < 0 || c >= k)
        throw new IllegalArgumentException("centroid id " + c + " outside [0, " + k + ")");
      SHORT_LE.set(out, ids + t * Short.BYTES, (short) c);
      encodeResidual(m.data(), t * dim, c, out, codes + t * residualBytes);
    }
    return out;
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
      decodeToken(c, bytes, codes + t * residualBytes, out, t * dim);
    }
    return new TokenMatrix(out, tokens, dim);
  }

  /** Decodes a stored value after checking that its header names this codebook's codec. */
  public TokenMatrix decode(byte[] bytes, int offset, int length) {
    StoredTokenMatrix.Header h = StoredTokenMatrix.header(bytes, offset, length, dim);
    if (h.codec() != codec)
      throw new CorruptTokenMatrixException(
          "stored value uses codec " + h.codec().cliName() + ", expected " + codec.cliName());
    return decodePayload(bytes, StoredTokenMatrix.Header.payloadOffset(offset), h.tokens());
  }

  /** Versioned binary form: magic, version, bits, dim, K, centroids, cutoffs, weights. */
  public void writeTo(DataOutput out) throws IOException {
    out.writeInt(MAGIC);
    out.writeInt(VERSION);
    out.writeInt(bits);
    out.writeInt(dim);
    out.writeInt(k);
    for (float f : centroids) out.writeFloat(f);
    for (float f : cutoffs) out.writeFloat(f);
    for (float f : weights) out.writeFloat(f);
  }

  public static ResidualCodebook readFrom(DataInput in) throws IOException {
    int magic = in.readInt();
    if (magic != MAGIC)
      throw new CorruptTokenMatrixException("not a residual codebook (bad magic number)");
    int version = in.readInt();
    if (version != VERSION)
      throw new CorruptTokenMatrixException(
          "residual codebook version " + version + " (this build reads " + VERSION + ")");
    int bits = in.readInt(), dim = in.readInt(), k = in.readInt();
    if (bits != 1 && bits != 2 && bits != 4 || dim <= 0 || dim > 0xFFFF || k <= 0)
      throw new CorruptTokenMatrixException(
          "residual codebook header is corrupt: bits " + bits + ", dim " + dim + ", K " + k);
    int buckets = 1 << bits;
    float[] centroids = readFloats(in, Math.multiplyExact(k, dim));
    float[] cutoffs = readFloats(in, dim * (buckets - 1));
    float[] weights = readFloats(in, dim * buckets);
    return new ResidualCodebook(bits, dim, centroids, cutoffs, weights);
  }

  private static float[] readFloats(DataInput in, int n) throws IOException {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) v[i] = in.readFloat();
    return v;
  }

  /** SHA-256 (first 16 hex digits) of the binary form: identifies the parameters. */
  public String fingerprint() {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      writeTo(new DataOutputStream(bytes));
      byte[] h = MessageDigest.getInstance("SHA-256").digest(bytes.toByteArray());
      return HexFormat.of().formatHex(h, 0, 8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return codec.cliName() + " codebook: " + k + " centroids x " + dim + " dims";
  }
}
