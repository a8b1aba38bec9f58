package dev.latte.core.codec;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.StoredTokenMatrix.CorruptTokenMatrixException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How the payload of a {@link StoredTokenMatrix} value encodes its token vectors. The id is written
 * into every value's header; the payload layouts are specified in {@link StoredTokenMatrix}.
 *
 * <p>Every codec encodes a float matrix of L2-normalised rows and decodes back to floats (for
 * tests, explanations and tools). Scoring does not decode: the {@code VectorKernel} codec methods
 * read the payload in place.
 */
public enum TokenCodec {
  /** IEEE-754 single precision: exact. */
  FLOAT32(0, "float32") {
    @Override
    public int bytesPerToken(int dim) {
      return dim * Float.BYTES;
    }

    @Override
    void encodePayload(TokenMatrix m, byte[] out, int offset) {
      MemorySegment.copy(
          m.data(), 0, MemorySegment.ofArray(out), FLOAT_LE_LAYOUT, offset, m.data().length);
    }

    @Override
    void decodePayload(byte[] bytes, int offset, int tokens, int dim, float[] dst) {
      MemorySegment.copy(
          MemorySegment.ofArray(bytes), FLOAT_LE_LAYOUT, offset, dst, 0, tokens * dim);
    }
  },

  /** IEEE-754 half precision ({@link Float#floatToFloat16}): relative error at most 2^-11. */
  FLOAT16(1, "float16") {
    @Override
    public int bytesPerToken(int dim) {
      return dim * Short.BYTES;
    }

    @Override
    void encodePayload(TokenMatrix m, byte[] out, int offset) {
      float[] data = m.data();
      for (int i = 0; i < data.length; i++) {
        SHORT_LE.set(out, offset + i * Short.BYTES, Float.floatToFloat16(data[i]));
      }
    }

    @Override
    void decodePayload(byte[] bytes, int offset, int tokens, int dim, float[] dst) {
      for (int i = 0, n = tokens * dim; i < n; i++) {
        dst[i] = Float.float16ToFloat((short) SHORT_LE.get(bytes, offset + i * Short.BYTES));
      }
    }
  },

  /**
   * Symmetric scalar quantisation with one float32 scale per token vector: value = byte x scale,
   * scale = max|x| / 127, so the error per value is at most scale / 2.
   */
  INT8(2, "int8") {
    @Override
    public int bytesPerToken(int dim) {
      return Float.BYTES + dim;
    }

    @Override
    void encodePayload(TokenMatrix m, byte[] out, int offset) {
      float[] data = m.data();
      int dim = m.dim();
      int codes = int8CodesOffset(offset, m.rows());
      for (int t = 0; t < m.rows(); t++) {
        float maxAbs = 0f;
        for (int d = 0; d < dim; d++) {
          maxAbs = Math.max(maxAbs, Math.abs(data[t * dim + d]));
        }
        float scale = maxAbs / 127f;
        FLOAT_LE.set(out, offset + t * Float.BYTES, scale);
        for (int d = 0; d < dim; d++) {
          // An all-zero row keeps scale 0 and codes 0 rather than dividing by zero.
          int q = scale == 0f ? 0 : Math.round(data[t * dim + d] / scale);
          out[codes + t * dim + d] = (byte) Math.clamp(q, -127, 127);
        }
      }
    }

    @Override
    void decodePayload(byte[] bytes, int offset, int tokens, int dim, float[] dst) {
      int codes = int8CodesOffset(offset, tokens);
      for (int t = 0; t < tokens; t++) {
        float scale = (float) FLOAT_LE.get(bytes, offset + t * Float.BYTES);
        for (int d = 0; d < dim; d++) {
          dst[t * dim + d] = bytes[codes + t * dim + d] * scale;
        }
      }
    }
  },

  /**
   * One sign bit per dimension. Decodes to the unit vector b / sqrt(dim), b in {-1, +1}^dim: the
   * direction a sign pattern stands for, at the norm of the vectors it replaced.
   */
  BIT(3, "bit") {
    @Override
    public int bytesPerToken(int dim) {
      return bitWordsPerToken(dim) * Long.BYTES;
    }

    @Override
    void encodePayload(TokenMatrix m, byte[] out, int offset) {
      int words = bitWordsPerToken(m.dim());
      long[] row = new long[words];
      for (int t = 0; t < m.rows(); t++) {
        signBits(m.data(), t * m.dim(), m.dim(), row, 0);
        for (int w = 0; w < words; w++) {
          LONG_LE.set(out, offset + (t * words + w) * Long.BYTES, row[w]);
        }
      }
    }

    @Override
    void decodePayload(byte[] bytes, int offset, int tokens, int dim, float[] dst) {
      int words = bitWordsPerToken(dim);
      float unit = bitUnit(dim);
      for (int t = 0; t < tokens; t++) {
        for (int d = 0; d < dim; d++) {
          long word = (long) LONG_LE.get(bytes, offset + (t * words + d / 64) * Long.BYTES);
          dst[t * dim + d] = (word >>> (d % 64) & 1L) != 0 ? unit : -unit;
        }
      }
    }
  },

  /** Centroid id + 1 bit per dimension of the residual; coded by a {@link ResidualCodebook}. */
  RESIDUAL_1(4, "residual-1", 1),
  /** Centroid id + 2 bits per dimension of the residual; coded by a {@link ResidualCodebook}. */
  RESIDUAL_2(5, "residual-2", 2),
  /** Centroid id + 4 bits per dimension of the residual; coded by a {@link ResidualCodebook}. */
  RESIDUAL_4(6, "residual-4", 4);

  private static final ValueLayout.OfFloat FLOAT_LE_LAYOUT =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle FLOAT_LE =
      MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle SHORT_LE =
      MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private static final TokenCodec[] BY_ID = new TokenCodec[7];

  static {
    for (TokenCodec c : values()) {
      BY_ID[c.id] = c;
    }
  }

  private final int id;
  private final String cliName;
  private final int residualBits;

  TokenCodec(int id, String cliName) {
    this(id, cliName, 0);
  }

  TokenCodec(int id, String cliName, int residualBits) {
    this.id = id;
    this.cliName = cliName;
    this.residualBits = residualBits;
  }

  /**
   * True for the residual codecs, whose values need the index's trained {@link ResidualCodebook} to
   * be written or read (the enum alone cannot code them).
   */
  public boolean isResidual() {
    return residualBits > 0;
  }

  /** Bits per dimension of a residual codec's code; 0 for the other codecs. */
  public int residualBits() {
    return residualBits;
  }

  /** The residual codec with {@code bits} bits per dimension (1, 2 or 4). */
  public static TokenCodec residual(int bits) {
    return switch (bits) {
      case 1 -> RESIDUAL_1;
      case 2 -> RESIDUAL_2;
      case 4 -> RESIDUAL_4;
      default ->
          throw new IllegalArgumentException(
              "residual codes have 1, 2 or 4 bits per dimension, not " + bits);
    };
  }

  /** The id written into byte 1 of every stored value. */
  public int id() {
    return id;
  }

  /** The name used on the command line and in index metadata, e.g. {@code float16}. */
  public String cliName() {
    return cliName;
  }

  /**
   * Payload bytes of one token vector; for a residual codec the 2-byte centroid id plus {@link
   * #residualBytes} code bytes.
   */
  public int bytesPerToken(int dim) {
    if (!isResidual()) throw new AssertionError(this + " must override bytesPerToken");
    return Short.BYTES + residualBytes(dim);
  }

  /** Residual codecs: bytes of one token's packed codes, ceil(dim x bits / 8); 0 otherwise. */
  public int residualBytes(int dim) {
    return (dim * residualBits + 7) >>> 3;
  }

  /**
   * Payload bytes (header excluded) of a matrix; a long so that corrupt headers cannot overflow.
   */
  public long payloadBytes(int tokens, int dim) {
    return (long) tokens * bytesPerToken(dim);
  }

  /** The complete stored value: header followed by this codec's payload. */
  public byte[] encode(TokenMatrix m) {
    if (m.dim() > 0xFFFF) {
      throw new IllegalArgumentException(
          "dimension " + m.dim() + " exceeds the format's 65535 limit");
    }
    long payload = payloadBytes(m.rows(), m.dim());
    if (payload > Integer.MAX_VALUE - StoredTokenMatrix.HEADER_BYTES) {
      throw new IllegalArgumentException(
          m.rows() + " tokens x " + m.dim() + " dims do not fit one stored value as " + cliName);
    }
    byte[] out = new byte[StoredTokenMatrix.HEADER_BYTES + (int) payload];
    StoredTokenMatrix.writeHeader(out, this, m.dim(), m.rows());
    encodePayload(m, out, StoredTokenMatrix.HEADER_BYTES);
    return out;
  }

  /**
   * Decodes the value at {@code bytes[offset, offset + length)} to floats, after checking its
   * header (which must name this codec and {@code expectedDim}).
   */
  public TokenMatrix decode(byte[] bytes, int offset, int length, int expectedDim) {
    StoredTokenMatrix.Header h = StoredTokenMatrix.header(bytes, offset, length, expectedDim);
    if (h.codec() != this) {
      throw new CorruptTokenMatrixException(
          "stored value uses codec " + h.codec().cliName + ", expected " + cliName);
    }
    return decodePayload(bytes, offset + StoredTokenMatrix.HEADER_BYTES, h.tokens(), h.dim());
  }

  /**
   * Decodes a payload (no header) of {@code tokens} rows starting at {@code bytes[payloadOffset]}.
   */
  public TokenMatrix decodePayload(byte[] bytes, int payloadOffset, int tokens, int dim) {
    float[] data = new float[tokens * dim];
    decodePayload(bytes, payloadOffset, tokens, dim, data);
    return new TokenMatrix(data, tokens, dim);
  }

  /** Residual codecs are coded by their {@link ResidualCodebook}; the others override this. */
  void encodePayload(TokenMatrix m, byte[] out, int payloadOffset) {
    throw needsCodebook();
  }

  /** Residual codecs are decoded by their {@link ResidualCodebook}; the others override this. */
  void decodePayload(byte[] bytes, int payloadOffset, int tokens, int dim, float[] dst) {
    throw needsCodebook();
  }

  private IllegalStateException needsCodebook() {
    return new IllegalStateException(
        cliName
            + " values are coded against the index's trained centroids and buckets: use the"
            + " index's ResidualCodebook (file latte_residual_codebook.bin) to encode or decode"
            + " them");
  }

  /**
   * The codec with this header id, or a {@link CorruptTokenMatrixException} naming the known ids.
   */
  public static TokenCodec fromId(int id) {
    if (id < 0 || id >= BY_ID.length || BY_ID[id] == null) {
      throw new CorruptTokenMatrixException(
          "unknown token codec id "
              + id
              + " (this build reads "
              + Arrays.stream(values())
                  .map(c -> c.id + "=" + c.cliName)
                  .collect(Collectors.joining(", "))
              + ")");
    }
    return BY_ID[id];
  }

  /** The codec with this {@link #cliName()} (case-insensitive). */
  public static TokenCodec fromName(String name) {
    for (TokenCodec c : values()) {
      if (c.cliName.equals(name.toLowerCase(Locale.ROOT))) {
        return c;
      }
    }
    throw new IllegalArgumentException(
        "unknown token codec '"
            + name
            + "'; valid codecs: "
            + Arrays.stream(values()).map(TokenCodec::cliName).collect(Collectors.joining(", ")));
  }

  // ---- layout helpers shared with the kernels, which read payloads in place ----

  /** Residual codecs: byte offset of the first token's u16 centroid id (ids come first). */
  public static int residualIdsOffset(int payloadOffset) {
    return payloadOffset;
  }

  /** Residual codecs: byte offset of the first token's codes, after the {@code tokens} ids. */
  public static int residualCodesOffset(int payloadOffset, int tokens) {
    return payloadOffset + tokens * Short.BYTES;
  }

  /** Residual codecs: the centroid id of token {@code t} of a payload of {@code tokens} ids. */
  public static int residualCentroid(byte[] bytes, int payloadOffset, int t) {
    return Short.toUnsignedInt((short) SHORT_LE.get(bytes, payloadOffset + t * Short.BYTES));
  }

  /** int8: byte offset of the first code, after the {@code tokens} float32 scales. */
  public static int int8CodesOffset(int payloadOffset, int tokens) {
    return payloadOffset + tokens * Float.BYTES;
  }

  /**
   * bit: 64-bit words per token vector; the last word's bits at and above {@code dim % 64} are 0.
   */
  public static int bitWordsPerToken(int dim) {
    return (dim + 63) >>> 6;
  }

  /** bit: the magnitude 1/sqrt(dim) of every component of a decoded sign vector. */
  public static float bitUnit(int dim) {
    return (float) (1.0 / Math.sqrt(dim));
  }

  /**
   * Writes the sign bits of {@code data[offset, offset + dim)} into {@code words[wordOffset...]}:
   * bit {@code d % 64} of word {@code d / 64} is 1 when value d is {@code >= 0} (so +0.0 and -0.0
   * are 1, NaN is 0); padding bits are 0.
   */
  public static void signBits(float[] data, int offset, int dim, long[] words, int wordOffset) {
    int n = bitWordsPerToken(dim);
    Arrays.fill(words, wordOffset, wordOffset + n, 0L);
    for (int d = 0; d < dim; d++) {
      if (data[offset + d] >= 0f) {
        words[wordOffset + (d >>> 6)] |= 1L << (d & 63);
      }
    }
  }
}
