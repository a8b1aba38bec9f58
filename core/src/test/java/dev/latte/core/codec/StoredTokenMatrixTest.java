package dev.latte.core.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.latte.core.TokenMatrix;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StoredTokenMatrixTest {

  @Test
  void roundTripsAtAnOffsetInsideALargerBuffer() {
    Random rnd = new Random(3);
    for (int tokens : new int[] {0, 1, 7, 300}) {
      float[] data = new float[tokens * 17];
      for (int i = 0; i < data.length; i++) data[i] = (float) rnd.nextGaussian();
      TokenMatrix m = new TokenMatrix(data, tokens, 17);
      byte[] value = TokenCodec.FLOAT32.encode(m);
      assertEquals(StoredTokenMatrix.HEADER_BYTES + tokens * 17 * 4, value.length);
      byte[] padded = new byte[value.length + 5];
      System.arraycopy(value, 0, padded, 3, value.length);
      assertEquals(m, StoredTokenMatrix.decode(padded, 3, value.length, 17));
      float[] scratch = StoredTokenMatrix.decodeFloat32(padded, 3, tokens, 17, new float[1]);
      assertArrayEquals(data, java.util.Arrays.copyOf(scratch, data.length));
    }
  }

  @Test
  void rejectsWrongDimensionAndTruncatedValues() {
    byte[] value = TokenCodec.FLOAT32.encode(TokenMatrix.of(new float[][] {{1, 2, 3}}));
    var e =
        assertThrows(
            StoredTokenMatrix.CorruptTokenMatrixException.class,
            () -> StoredTokenMatrix.header(value, 0, value.length, 4));
    assertTrue(e.getMessage().contains("dimension 3"), e.getMessage());
    assertThrows(
        StoredTokenMatrix.CorruptTokenMatrixException.class,
        () -> StoredTokenMatrix.header(value, 0, value.length - 4, 3));
    assertThrows(
        StoredTokenMatrix.CorruptTokenMatrixException.class,
        () -> StoredTokenMatrix.header(value, 0, 5, 3));
    value[0] = 9;
    assertThrows(
        StoredTokenMatrix.CorruptTokenMatrixException.class,
        () -> StoredTokenMatrix.header(value, 0, value.length, 3));
  }
}
