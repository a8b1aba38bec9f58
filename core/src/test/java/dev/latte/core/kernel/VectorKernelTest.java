package dev.latte.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.core.codec.TokenCodec;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The facade's argument checks: a bad call fails with a message before any kernel reads memory. */
class VectorKernelTest {

  private static final TokenMatrix QUERY = MaxSimKernelTest.random(new Random(3), 5, 16);

  @Test
  void aPayloadShorterThanItsTokenCountIsRefusedInEveryCodecAndKernel() {
    TokenMatrix doc = MaxSimKernelTest.random(new Random(4), 6, 16);
    for (VectorKernel k : KernelTesting.both()) {
      PreparedQuery q = k.prepare(QUERY);
      for (TokenCodec codec : TokenCodec.values()) {
        if (codec.isResidual()) continue; // ResidualKernelTest
        byte[] stored = codec.encode(doc);
        int payload = StoredTokenMatrix.HEADER_BYTES;
        // The real token count scores; one token more would read past the value.
        float ok = k.maxSim(q, codec, stored, payload, 6);
        assertTrue(Float.isFinite(ok), codec + " " + k.name());
        var e =
            assertThrows(
                IllegalArgumentException.class, () -> k.maxSim(q, codec, stored, payload, 7));
        assertTrue(e.getMessage().contains(codec.cliName() + " payload"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> k.maxSim(q, codec, stored, -1, 1));
        assertThrows(IllegalArgumentException.class, () -> k.maxSim(q, codec, stored, payload, -1));
      }
      PreparedBitQuery bits = k.prepareBits(QUERY);
      byte[] stored = TokenCodec.BIT.encode(doc);
      assertThrows(
          IllegalArgumentException.class,
          () -> k.maxSimHamming(bits, stored, StoredTokenMatrix.HEADER_BYTES, 7));
    }
  }

  @Test
  void floatRowsOutsideTheArrayAreRefused() {
    for (VectorKernel k : KernelTesting.both()) {
      PreparedQuery q = k.prepare(QUERY);
      float[] doc = new float[3 * 16];
      assertEquals(k.maxSim(q, doc, 16, 2), k.maxSim(q, doc, 16, 2));
      var e = assertThrows(IllegalArgumentException.class, () -> k.maxSim(q, doc, 17, 2));
      assertTrue(e.getMessage().contains("document rows"), e.getMessage());
    }
  }

  @Test
  void aQueryPreparedByOneKernelIsRefusedByTheOther() {
    VectorKernel scalar = VectorKernel.scalar();
    VectorKernel panama = KernelTesting.panama();
    PreparedQuery prepared = scalar.prepare(QUERY);
    var e =
        assertThrows(
            IllegalArgumentException.class, () -> panama.maxSim(prepared, new float[16], 0, 1));
    assertTrue(e.getMessage().contains("prepared by the scalar kernel"), e.getMessage());
    // Two scalar facades share the implementation, so their prepared queries are interchangeable.
    assertEquals(
        scalar.maxSim(prepared, QUERY.data(), 0, 5),
        VectorKernel.scalar().maxSim(prepared, QUERY.data(), 0, 5));
  }

  @Test
  void matrixShapesThatDoNotFitTheirArraysAreRefused() {
    for (VectorKernel k : KernelTesting.both()) {
      float[] a = new float[2 * 8];
      float[] bt = new float[8 * 3];
      k.dotMatrix(a, 0, 2, bt, 3, 8, new float[6]);
      assertThrows(
          IllegalArgumentException.class, () -> k.dotMatrix(a, 0, 2, bt, 3, 8, new float[5]));
      assertThrows(
          IllegalArgumentException.class, () -> k.dotMatrix(a, 1, 2, bt, 3, 8, new float[6]));
      assertThrows(
          IllegalArgumentException.class, () -> k.dotMatrix(a, 0, 2, bt, 4, 8, new float[8]));
      double[] gram = new double[4];
      k.upperGram(new float[3 * 8], 1, 2, 8, gram);
      assertThrows(
          IllegalArgumentException.class, () -> k.upperGram(new float[3 * 8], 2, 2, 8, gram));
      assertThrows(
          IllegalArgumentException.class, () -> k.upperGram(new float[3 * 8], 0, 3, 8, gram));
      byte[] stored = TokenCodec.INT8.encode(MaxSimKernelTest.random(new Random(5), 2, 8));
      float[] q = new float[2 * 8];
      int payload = StoredTokenMatrix.HEADER_BYTES;
      k.dotsInt8(q, 8, new int[] {1}, 1, stored, payload, 2, new float[2]);
      var e =
          assertThrows(
              IllegalArgumentException.class,
              () -> k.dotsInt8(q, 8, new int[] {2}, 1, stored, payload, 2, new float[2]));
      assertTrue(e.getMessage().contains("selected row 2"), e.getMessage());
      assertThrows(
          IllegalArgumentException.class,
          () -> k.dotsInt8(q, 8, new int[] {1}, 1, stored, payload, 3, new float[3]));
    }
  }
}
