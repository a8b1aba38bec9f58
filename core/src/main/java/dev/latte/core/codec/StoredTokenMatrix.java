package dev.latte.core.codec;

import dev.latte.core.TokenMatrix;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The byte layout of one document's token matrix, as stored in the Lucene segment (one
 * {@code BinaryDocValues} value per document, field {@code latte_tokens}).
 *
 * <h2>Format version 1</h2>
 *
 * <pre>
 * offset size  field
 * 0      1     format version (1)
 * 1      1     codec id: 0 = float32 (further codecs take further ids)
 * 2      2     dimension, unsigned 16-bit little-endian
 * 4      4     token count, signed 32-bit little-endian (>= 0)
 * 8      ...   payload; for float32: tokens x dim IEEE-754 floats, little-endian, row-major
 * </pre>
 *
 * The header repeats per document what the index also records once, so that a value is
 * self-describing and a mismatch (a document written by another model or codec) is caught on read
 * rather than producing silent garbage scores.
 */
public final class StoredTokenMatrix {
  public static final int FORMAT_VERSION = 1;
  public static final int HEADER_BYTES = 8;
  public static final byte CODEC_FLOAT32 = 0;

  private static final ValueLayout.OfFloat FLOAT_LE =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfInt INT_LE =
      ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfShort SHORT_LE =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private StoredTokenMatrix() {}

  public static byte[] encodeFloat32(TokenMatrix m) {
    if (m.dim() > 0xFFFF) {
      throw new IllegalArgumentException("dimension " + m.dim() + " exceeds the format's 65535 limit");
    }
    byte[] out = new byte[HEADER_BYTES + m.data().length * Float.BYTES];
    MemorySegment seg = MemorySegment.ofArray(out);
    seg.set(ValueLayout.JAVA_BYTE, 0, (byte) FORMAT_VERSION);
    seg.set(ValueLayout.JAVA_BYTE, 1, CODEC_FLOAT32);
    seg.set(SHORT_LE, 2, (short) m.dim());
    seg.set(INT_LE, 4, m.rows());
    MemorySegment.copy(m.data(), 0, seg, FLOAT_LE, HEADER_BYTES, m.data().length);
    return out;
  }

  /** Token count of the value at {@code bytes[offset, offset + length)}, after checking its header. */
  public static int tokens(byte[] bytes, int offset, int length, int expectedDim) {
    if (length < HEADER_BYTES) {
      throw new CorruptTokenMatrixException("value of " + length + " bytes is shorter than the header");
    }
    MemorySegment seg = MemorySegment.ofArray(bytes);
    int version = seg.get(ValueLayout.JAVA_BYTE, offset);
    int codec = seg.get(ValueLayout.JAVA_BYTE, offset + 1);
    int dim = Short.toUnsignedInt(seg.get(SHORT_LE, offset + 2));
    int tokens = seg.get(INT_LE, offset + 4);
    if (version != FORMAT_VERSION) {
      throw new CorruptTokenMatrixException("unknown token matrix format version " + version + " (this build reads " + FORMAT_VERSION + ")");
    }
    if (codec != CODEC_FLOAT32) {
      throw new CorruptTokenMatrixException("token matrix codec id " + codec + " is not float32");
    }
    if (dim != expectedDim) {
      throw new CorruptTokenMatrixException("stored dimension " + dim + " differs from the index dimension " + expectedDim);
    }
    long payload = (long) tokens * dim * Float.BYTES;
    if (tokens < 0 || payload != length - HEADER_BYTES) {
      throw new CorruptTokenMatrixException(
          "header says " + tokens + " tokens x " + dim + " dims but the payload has " + (length - HEADER_BYTES) + " bytes");
    }
    return tokens;
  }

  /**
   * Decodes the float32 payload into {@code scratch} (grown when too small) and returns the buffer
   * holding it; the token count comes from {@link #tokens}.
   */
  public static float[] decodeFloat32(byte[] bytes, int offset, int tokens, int dim, float[] scratch) {
    int n = tokens * dim;
    float[] dst = scratch.length >= n ? scratch : new float[Math.max(n, scratch.length * 2)];
    MemorySegment.copy(MemorySegment.ofArray(bytes), FLOAT_LE, offset + HEADER_BYTES, dst, 0, n);
    return dst;
  }

  public static TokenMatrix decode(byte[] bytes, int offset, int length, int dim) {
    int tokens = tokens(bytes, offset, length, dim);
    float[] data = new float[tokens * dim];
    decodeFloat32(bytes, offset, tokens, dim, data);
    return new TokenMatrix(data, tokens, dim);
  }

  /** A stored value that does not match this format: the index was written by something else. */
  public static final class CorruptTokenMatrixException extends RuntimeException {
    public CorruptTokenMatrixException(String message) {
      super(message);
    }
  }
}
