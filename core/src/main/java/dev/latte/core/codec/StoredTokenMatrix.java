package dev.latte.core.codec;

import dev.latte.core.TokenMatrix;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The byte layout of one document's token matrix, as stored in the Lucene segment (one {@code
 * BinaryDocValues} value per document, field {@code latte_tokens}).
 *
 * <h2>Format version 1</h2>
 *
 * <pre>
 * offset size  field
 * 0      1     format version (1)
 * 1      1     codec id, see {@link TokenCodec}: 0 = float32, 1 = float16, 2 = int8, 3 = bit,
 *              4/5/6 = residual-1/2/4
 * 2      2     dimension, unsigned 16-bit little-endian
 * 4      4     token count, signed 32-bit little-endian (>= 0)
 * 8      ...   payload, laid out by the codec (below); its length must match the header exactly
 * </pre>
 *
 * <h3>Payloads (T = token count, D = dimension; all multi-byte values little-endian)</h3>
 *
 * <table>
 * <caption>payload layouts</caption>
 * <tr><th>codec</th><th>bytes</th><th>layout</th></tr>
 * <tr><td>0 float32</td><td>4·T·D</td>
 *     <td>T×D IEEE-754 single floats, row-major (token by token).</td></tr>
 * <tr><td>1 float16</td><td>2·T·D</td>
 *     <td>T×D IEEE-754 half floats ({@link Float#floatToFloat16}, round to nearest even), row-major.</td></tr>
 * <tr><td>2 int8</td><td>(4 + D)·T</td>
 *     <td>First all T scales (float32, one per token: max|x|/127, 0 for an all-zero row), then
 *     T×D signed bytes row-major, code = clamp(round(x / scale), -127, 127); x ≈ code·scale. Scales
 *     first keeps the codes of consecutive tokens contiguous at stride D.</td></tr>
 * <tr><td>3 bit</td><td>8·T·ceil(D/64)</td>
 *     <td>Per token ceil(D/64) 64-bit words, token by token; dimension d is bit d%64 (least significant
 *     first) of word d/64, set when x_d ≥ 0 (±0.0 give 1). Padding bits above D are 0. Decodes to
 *     the unit vector b/√D with b_d = +1 for a set bit and −1 otherwise.</td></tr>
 * <tr><td>4, 5, 6 residual-n (n = 1, 2, 4)</td><td>(2 + R)·T, R = ceil(D·n/8)</td>
 *     <td>First all T centroid ids (unsigned 16-bit), then T×R bytes of packed residual codes,
 *     token by token: dimension d's n-bit code at bit (d·n)%8 (least significant first) of byte
 *     (d·n)/8 of its token's R bytes, padding bits 0. Decodes, with the index's {@link
 *     ResidualCodebook}, to c[id] + r, r_d = weight(d, code_d) (not re-normalised). Ids first keeps
 *     the codes of consecutive tokens contiguous at stride R.</td></tr>
 * </table>
 *
 * <h2>Format version 3: residual values with per-token scales</h2>
 *
 * The header as in version 1 (codec 4, 5 or 6), then T centroid ids as above, then T×(R + 1) bytes:
 * each token's R code bytes followed by its scale byte u. The token decodes to s·(c[id] + r), s =
 * low + u·step (both from the index's {@link ResidualCodebook}, version 2), so that a query token
 * scores {@code s·(q·c + q·r)}; s ≈ |x|/|c + r| puts the decoded token back at the length of the
 * token the writer was given.
 *
 * <p>Scoring the bit codec: asymmetrically (float query × stored bits) the query is dotted with the
 * decoded b/√D, so each query token's similarity is on the same cosine scale as float32's.
 * Symmetrically (binarised query, "hamming") the similarity of two sign vectors with hamming
 * distance h is (D − 2h)/D, which is the cosine of the two ±1 vectors: 1 for equal signs, −1 for
 * opposite, so MaxSim sums values in [−1, 1] per query token as float MaxSim does.
 *
 * <p>The header repeats per document what the index also records once, so that a value is
 * self-describing and a mismatch (a document written by another model or codec) is caught on read
 * rather than producing silent garbage scores.
 */
public final class StoredTokenMatrix {
  public static final int FORMAT_VERSION = 1;
  public static final int HEADER_BYTES = 8;

  /**
   * Version byte of a residual value whose codes live in the index's WARP lists (one copy of the
   * tokens): the header as in version 1, then only the T centroid ids (2·T bytes). Readers get such
   * values resolved back to version 1 through {@code dev.latte.indexer.lists.DocumentTokens}; read
   * raw they are refused here.
   */
  public static final int LISTED_VERSION = 2;

  /** Version byte of a residual value whose tokens carry a scale byte each (see the class doc). */
  public static final int SCALED_VERSION = 3;

  /** True if the value at {@code bytes[offset, offset + length)} is a listed (codeless) value. */
  public static boolean isListed(byte[] bytes, int offset, int length) {
    return length >= HEADER_BYTES && bytes[offset] == LISTED_VERSION;
  }

  /**
   * The listed form of a version-1 residual value: its header (version byte {@value
   * #LISTED_VERSION}) and its centroid ids, without the codes.
   */
  public static byte[] listed(byte[] bytes, int offset, int length, int dim) {
    Header h = header(bytes, offset, length, dim);
    if (!h.codec().isResidual())
      throw new IllegalArgumentException("only residual values keep their codes in lists");
    byte[] out = new byte[HEADER_BYTES + Short.BYTES * h.tokens()];
    System.arraycopy(bytes, offset, out, 0, out.length);
    out[0] = (byte) LISTED_VERSION;
    return out;
  }

  private static final ValueLayout.OfFloat FLOAT_LE =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfInt INT_LE =
      ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfShort SHORT_LE =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private StoredTokenMatrix() {}

  /** What the header of one stored value says, after validation. */
  public record Header(TokenCodec codec, int dim, int tokens, boolean scaled) {
    public Header(TokenCodec codec, int dim, int tokens) {
      this(codec, dim, tokens, false);
    }

    /** Where the payload of a value starting at {@code valueOffset} begins. */
    public static int payloadOffset(int valueOffset) {
      return valueOffset + HEADER_BYTES;
    }

    public long payloadBytes() {
      return codec.payloadBytes(tokens, dim) + (scaled ? tokens : 0);
    }
  }

  public static byte[] encode(TokenMatrix m, TokenCodec codec) {
    return codec.encode(m);
  }

  static void writeHeader(byte[] out, TokenCodec codec, int dim, int tokens) {
    writeHeader(out, codec, dim, tokens, false);
  }

  static void writeHeader(byte[] out, TokenCodec codec, int dim, int tokens, boolean scaled) {
    MemorySegment seg = MemorySegment.ofArray(out);
    seg.set(ValueLayout.JAVA_BYTE, 0, (byte) (scaled ? SCALED_VERSION : FORMAT_VERSION));
    seg.set(ValueLayout.JAVA_BYTE, 1, (byte) codec.id());
    seg.set(SHORT_LE, 2, (short) dim);
    seg.set(INT_LE, 4, tokens);
  }

  /**
   * Reads and checks the header of the value at {@code bytes[offset, offset + length)}: known
   * version and codec, the index's dimension, and a payload of exactly the size the header implies.
   */
  public static Header header(byte[] bytes, int offset, int length, int expectedDim) {
    if (length < HEADER_BYTES) {
      throw new CorruptTokenMatrixException(
          "value of " + length + " bytes is shorter than the header");
    }
    MemorySegment seg = MemorySegment.ofArray(bytes);
    int version = seg.get(ValueLayout.JAVA_BYTE, offset);
    int codecId = Byte.toUnsignedInt(seg.get(ValueLayout.JAVA_BYTE, offset + 1));
    int dim = Short.toUnsignedInt(seg.get(SHORT_LE, offset + 2));
    int tokens = seg.get(INT_LE, offset + 4);
    if (version == LISTED_VERSION) {
      throw new CorruptTokenMatrixException(
          "this value's residual codes are in the index's WARP lists (latte-warp/); read it"
              + " through DocumentTokens");
    }
    if (version != FORMAT_VERSION && version != SCALED_VERSION) {
      throw new CorruptTokenMatrixException(
          "unknown token matrix format version "
              + version
              + " (this build reads "
              + FORMAT_VERSION
              + " and "
              + SCALED_VERSION
              + ")");
    }
    TokenCodec codec = TokenCodec.fromId(codecId);
    boolean scaled = version == SCALED_VERSION;
    if (scaled && !codec.isResidual())
      throw new CorruptTokenMatrixException(
          "a " + codec.cliName() + " value cannot carry residual scales (format version 3)");
    if (dim != expectedDim) {
      throw new CorruptTokenMatrixException(
          "stored dimension " + dim + " differs from the index dimension " + expectedDim);
    }
    if (tokens < 0
        || codec.payloadBytes(tokens, dim) + (scaled ? tokens : 0) != length - HEADER_BYTES) {
      throw new CorruptTokenMatrixException(
          "header says "
              + tokens
              + " tokens x "
              + dim
              + " dims as "
              + codec.cliName()
              + " but the payload has "
              + (length - HEADER_BYTES)
              + " bytes");
    }
    return new Header(codec, dim, tokens, scaled);
  }

  /**
   * Decodes the float32 payload into {@code scratch} (grown when too small) and returns the buffer
   * holding it; the token count comes from {@link #header}.
   */
  public static float[] decodeFloat32(
      byte[] bytes, int offset, int tokens, int dim, float[] scratch) {
    int n = tokens * dim;
    float[] dst = scratch.length >= n ? scratch : new float[Math.max(n, scratch.length * 2)];
    MemorySegment.copy(MemorySegment.ofArray(bytes), FLOAT_LE, offset + HEADER_BYTES, dst, 0, n);
    return dst;
  }

  /**
   * Decodes a value in any codec to floats (exact for float32, the codec's approximation
   * otherwise).
   */
  public static TokenMatrix decode(byte[] bytes, int offset, int length, int dim) {
    Header h = header(bytes, offset, length, dim);
    return h.codec().decodePayload(bytes, Header.payloadOffset(offset), h.tokens(), dim);
  }

  /** A stored value that does not match this format: the index was written by something else. */
  public static final class CorruptTokenMatrixException extends RuntimeException {
    public CorruptTokenMatrixException(String message) {
      super(message);
    }
  }
}
