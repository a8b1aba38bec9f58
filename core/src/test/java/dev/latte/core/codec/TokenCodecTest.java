package dev.latte.core.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.StoredTokenMatrix.CorruptTokenMatrixException;
import dev.latte.core.codec.StoredTokenMatrix.Header;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TokenCodecTest {

  static final int[] DIMS = {1, 3, 63, 64, 65, 96, 128, 384, 385};
  static final int[] TOKENS = {0, 1, 2, 7, 300};

  private static final VarHandle FLOAT_LE =
      MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  /** Unit rows; a few exact zeros, signed zeros and tiny values to reach the codecs' edge cases. */
  static TokenMatrix unitRows(Random rnd, int rows, int dim) {
    float[] data = new float[rows * dim];
    for (int i = 0; i < data.length; i++) {
      data[i] =
          switch (rnd.nextInt(40)) {
            case 0 -> 0f;
            case 1 -> -0f;
            case 2 -> (float) rnd.nextGaussian() * 1e-6f; // half subnormal after normalisation
            default -> (float) rnd.nextGaussian();
          };
    }
    TokenMatrix.normalizeRows(data, rows, dim);
    return new TokenMatrix(data, rows, dim);
  }

  /** Encodes, copies into a larger buffer at an odd offset, reads the header and decodes. */
  private static TokenMatrix roundTrip(TokenCodec codec, TokenMatrix m) {
    byte[] value = codec.encode(m);
    assertEquals(
        StoredTokenMatrix.HEADER_BYTES + codec.payloadBytes(m.rows(), m.dim()), value.length);
    assertEquals(
        codec.payloadBytes(m.rows(), m.dim()), (long) m.rows() * codec.bytesPerToken(m.dim()));
    byte[] padded = new byte[value.length + 11];
    System.arraycopy(value, 0, padded, 5, value.length);
    Header h = StoredTokenMatrix.header(padded, 5, value.length, m.dim());
    assertEquals(new Header(codec, m.dim(), m.rows()), h);
    TokenMatrix viaCodec = codec.decode(padded, 5, value.length, m.dim());
    assertEquals(viaCodec, StoredTokenMatrix.decode(padded, 5, value.length, m.dim()));
    return viaCodec;
  }

  @Test
  void float32RoundTripIsExact() {
    Random rnd = new Random(1);
    for (int dim : DIMS) {
      for (int tokens : TOKENS) {
        TokenMatrix m = unitRows(rnd, tokens, dim);
        assertEquals(m, roundTrip(TokenCodec.FLOAT32, m));
        assertArrayEquals(TokenCodec.FLOAT32.encode(m), TokenCodec.FLOAT32.encode(m));
      }
    }
  }

  @Test
  void float16ErrorIsWithinHalfPrecision() {
    Random rnd = new Random(2);
    for (int dim : DIMS) {
      for (int tokens : TOKENS) {
        TokenMatrix m = unitRows(rnd, tokens, dim);
        TokenMatrix back = roundTrip(TokenCodec.FLOAT16, m);
        for (int i = 0; i < m.data().length; i++) {
          float x = m.data()[i];
          // Round to nearest with 11 significant bits: relative error <= 2^-11 for normal halves;
          // below 2^-14 halves are subnormal with absolute spacing 2^-24, so error <= 2^-25.
          float bound = Math.max(Math.abs(x) * 0x1p-11f, 0x1p-25f);
          assertTrue(
              Math.abs(back.data()[i] - x) <= bound,
              "dim=" + dim + " value " + x + " -> " + back.data()[i]);
          assertEquals(Float.float16ToFloat(Float.floatToFloat16(x)), back.data()[i]);
        }
      }
    }
  }

  @Test
  void int8ErrorIsAtMostHalfAStepOfTheRowScale() {
    Random rnd = new Random(3);
    for (int dim : DIMS) {
      for (int tokens : TOKENS) {
        TokenMatrix m = unitRows(rnd, tokens, dim);
        byte[] value = TokenCodec.INT8.encode(m);
        TokenMatrix back = roundTrip(TokenCodec.INT8, m);
        for (int t = 0; t < tokens; t++) {
          float maxAbs = 0f;
          for (int d = 0; d < dim; d++) maxAbs = Math.max(maxAbs, Math.abs(m.get(t, d)));
          float scale =
              (float) FLOAT_LE.get(value, StoredTokenMatrix.HEADER_BYTES + t * Float.BYTES);
          assertEquals(maxAbs / 127f, scale, "scales come first, one per token");
          for (int d = 0; d < dim; d++) {
            float x = m.get(t, d);
            // Rounding to the nearest code costs at most scale/2; the float arithmetic of x/scale
            // and
            // code*scale adds a few ulps of x.
            float bound = scale / 2 * (1 + 0x1p-20f) + 2 * Math.ulp(x);
            assertTrue(
                Math.abs(back.get(t, d) - x) <= bound,
                "dim=" + dim + " t=" + t + " d=" + d + ": " + x + " -> " + back.get(t, d));
          }
          // The largest magnitude is representable exactly up to rounding: its code is +-127.
          assertTrue(maxAbs == 0f || hasCode127(value, tokens, dim, t));
        }
      }
    }
  }

  private static boolean hasCode127(byte[] value, int tokens, int dim, int t) {
    int codes = TokenCodec.int8CodesOffset(StoredTokenMatrix.HEADER_BYTES, tokens) + t * dim;
    for (int d = 0; d < dim; d++) {
      if (Math.abs(value[codes + d]) == 127) return true;
    }
    return false;
  }

  @Test
  void bitDecodesToTheSignPatternAtUnitNorm() {
    Random rnd = new Random(4);
    for (int dim : DIMS) {
      for (int tokens : TOKENS) {
        TokenMatrix m = unitRows(rnd, tokens, dim);
        byte[] value = TokenCodec.BIT.encode(m);
        assertEquals(8 * ((dim + 63) / 64), TokenCodec.BIT.bytesPerToken(dim));
        TokenMatrix back = roundTrip(TokenCodec.BIT, m);
        float unit = (float) (1 / Math.sqrt(dim));
        int words = (dim + 63) / 64;
        for (int t = 0; t < tokens; t++) {
          double norm = 0;
          for (int d = 0; d < dim; d++) {
            float x = m.get(t, d);
            // x >= 0 (which includes -0.0) is a set bit.
            assertEquals(x >= 0 ? unit : -unit, back.get(t, d), "dim=" + dim + " x=" + x);
            norm += back.get(t, d) * back.get(t, d);
          }
          assertEquals(1.0, norm, 1e-5);
          long last =
              (long)
                  LONG_LE.get(value, StoredTokenMatrix.HEADER_BYTES + (t * words + words - 1) * 8);
          if (dim % 64 != 0) {
            assertEquals(0L, last >>> (dim % 64), "padding bits above dim are 0");
          }
        }
      }
    }
  }

  @Test
  void layoutsMatchTheDocumentedBytes() {
    TokenMatrix m = TokenMatrix.of(new float[][] {{1f, -0.5f, 0f}, {0f, 0f, 0f}});

    byte[] f16 = TokenCodec.FLOAT16.encode(m);
    assertArrayEquals(
        new byte[] {1, 1, 3, 0, 2, 0, 0, 0, 0x00, 0x3C, 0x00, (byte) 0xB8, 0, 0, 0, 0, 0, 0, 0, 0},
        f16);

    byte[] i8 = TokenCodec.INT8.encode(m);
    assertEquals(StoredTokenMatrix.HEADER_BYTES + 2 * 4 + 2 * 3, i8.length);
    assertEquals(2, i8[1]);
    assertEquals(1f / 127f, (float) FLOAT_LE.get(i8, 8));
    assertEquals(0f, (float) FLOAT_LE.get(i8, 12), "an all-zero row has scale 0");
    // -0.5 / (1/127) = -63.5, rounded half up by Math.round to -63.
    assertArrayEquals(new byte[] {127, -63, 0, 0, 0, 0}, java.util.Arrays.copyOfRange(i8, 16, 22));

    float[] row = new float[65];
    java.util.Arrays.fill(row, -1f);
    row[1] = 1f;
    row[8] = 0.5f;
    row[64] = 2f;
    byte[] bit = TokenCodec.BIT.encode(TokenMatrix.of(new float[][] {row}));
    assertEquals(StoredTokenMatrix.HEADER_BYTES + 16, bit.length);
    assertEquals(3, bit[1]);
    assertEquals(65, bit[2]);
    // Word 0: bits 1 and 8, least significant first, little-endian; word 1: bit 0 (dimension 64).
    assertArrayEquals(
        new byte[] {2, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0},
        java.util.Arrays.copyOfRange(bit, 8, 24));
  }

  @Test
  void namesAndIdsResolveAndUnknownOnesSayWhatIsValid() {
    for (TokenCodec c : TokenCodec.values()) {
      assertSame(c, TokenCodec.fromId(c.id()));
      assertSame(c, TokenCodec.fromName(c.cliName()));
      assertSame(c, TokenCodec.fromName(c.cliName().toUpperCase(java.util.Locale.ROOT)));
    }
    assertEquals(0, TokenCodec.FLOAT32.id());
    assertEquals(1, TokenCodec.FLOAT16.id());
    assertEquals(2, TokenCodec.INT8.id());
    assertEquals(3, TokenCodec.BIT.id());
    var e = assertThrows(IllegalArgumentException.class, () -> TokenCodec.fromName("int4"));
    assertTrue(
        e.getMessage().contains("'int4'") && e.getMessage().contains("float32, float16, int8, bit"),
        e.getMessage());
    var c = assertThrows(CorruptTokenMatrixException.class, () -> TokenCodec.fromId(9));
    assertTrue(c.getMessage().contains("9") && c.getMessage().contains("3=bit"), c.getMessage());
  }

  @Test
  void headerValidationNamesTheProblem() {
    TokenMatrix m = TokenMatrix.of(new float[][] {{0.6f, 0.8f, 0f}, {1f, 0f, 0f}});
    for (TokenCodec codec : TokenCodec.values()) {
      if (codec.isResidual()) continue; // coded by a codebook: ResidualCodebookTest
      byte[] value = codec.encode(m);
      var dim =
          assertThrows(
              CorruptTokenMatrixException.class,
              () -> StoredTokenMatrix.header(value, 0, value.length, 4));
      assertTrue(dim.getMessage().contains("dimension 3"), dim.getMessage());
      var truncated =
          assertThrows(
              CorruptTokenMatrixException.class,
              () -> StoredTokenMatrix.header(value, 0, value.length - 1, 3));
      assertTrue(truncated.getMessage().contains(codec.cliName()), truncated.getMessage());
      assertThrows(
          CorruptTokenMatrixException.class, () -> StoredTokenMatrix.header(value, 0, 7, 3));

      byte[] unknownCodec = value.clone();
      unknownCodec[1] = (byte) 200;
      var id =
          assertThrows(
              CorruptTokenMatrixException.class,
              () -> StoredTokenMatrix.header(unknownCodec, 0, value.length, 3));
      assertTrue(id.getMessage().contains("codec id 200"), id.getMessage());

      byte[] version = value.clone();
      version[0] = 3;
      var v =
          assertThrows(
              CorruptTokenMatrixException.class,
              () -> StoredTokenMatrix.header(version, 0, value.length, 3));
      assertTrue(v.getMessage().contains("version 3"), v.getMessage());

      // Version 2 is a listed value (codes in the WARP lists): read raw, it says where they are.
      byte[] listed = value.clone();
      listed[0] = (byte) StoredTokenMatrix.LISTED_VERSION;
      var l =
          assertThrows(
              CorruptTokenMatrixException.class,
              () -> StoredTokenMatrix.header(listed, 0, value.length, 3));
      assertTrue(l.getMessage().contains("WARP lists"), l.getMessage());

      byte[] negative = value.clone();
      negative[7] = (byte) 0x80;
      assertThrows(
          CorruptTokenMatrixException.class,
          () -> StoredTokenMatrix.header(negative, 0, value.length, 3));

      // A codec decodes only its own values.
      assertEquals(2, StoredTokenMatrix.header(value, 0, value.length, 3).tokens());
      if (codec != TokenCodec.FLOAT32) {
        var wrong =
            assertThrows(
                CorruptTokenMatrixException.class,
                () -> TokenCodec.FLOAT32.decode(value, 0, value.length, 3));
        assertTrue(wrong.getMessage().contains(codec.cliName()), wrong.getMessage());
      }
    }
  }
}
