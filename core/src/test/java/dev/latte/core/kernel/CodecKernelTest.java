package dev.latte.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.core.codec.TokenCodec;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The codec kernels (scoring stored payloads in place) against their references. */
class CodecKernelTest {

  private static final int[] DIMS = {1, 3, 63, 64, 65, 96, 128, 384, 385};
  private static final int[] QUERY_TOKENS = {1, 7, 15, 16, 17, 31, 32, 33, 64, 65};
  private static final int[] DOC_TOKENS = {0, 1, 3, 4, 5, 7, 8, 9, 13, 207};

  /** The four ways to score a stored document, each with the codec it reads. */
  enum Method {
    FLOAT32(TokenCodec.FLOAT32),
    FLOAT16(TokenCodec.FLOAT16),
    INT8(TokenCodec.INT8),
    BIT(TokenCodec.BIT),
    HAMMING(TokenCodec.BIT);

    final TokenCodec codec;

    Method(TokenCodec codec) {
      this.codec = codec;
    }

    float score(VectorKernel k, TokenMatrix query, byte[] bytes, int payloadOffset, int docTokens) {
      return switch (this) {
        case FLOAT32 -> k.maxSimFloat32(k.prepare(query), bytes, payloadOffset, docTokens);
        case FLOAT16 -> k.maxSimFloat16(k.prepare(query), bytes, payloadOffset, docTokens);
        case INT8 -> k.maxSimInt8(k.prepare(query), bytes, payloadOffset, docTokens);
        case BIT -> k.maxSimBit(k.prepare(query), bytes, payloadOffset, docTokens);
        case HAMMING -> k.maxSimHamming(k.prepareBits(query), bytes, payloadOffset, docTokens);
      };
    }

    /**
     * Exact float MaxSim of what the method claims to compute: the query (binarised and decoded for
     * hamming) against the decoded document, with the scalar float kernel.
     */
    float reference(TokenMatrix query, TokenMatrix doc) {
      TokenMatrix q = this == HAMMING ? decodedSigns(query) : query;
      TokenMatrix d =
          codec.decodePayload(
              codec.encode(doc), StoredTokenMatrix.HEADER_BYTES, doc.rows(), doc.dim());
      return VectorKernel.scalar().maxSim(q, d);
    }
  }

  static TokenMatrix random(Random rnd, int rows, int dim) {
    return MaxSimKernelTest.random(rnd, rows, dim);
  }

  static TokenMatrix decodedSigns(TokenMatrix m) {
    return TokenCodec.BIT.decodePayload(
        TokenCodec.BIT.encode(m), StoredTokenMatrix.HEADER_BYTES, m.rows(), m.dim());
  }

  /**
   * A stored value placed at an offset inside a larger buffer, as a BytesRef from doc values is.
   */
  record Placed(byte[] bytes, int payloadOffset) {
    static Placed of(Random rnd, byte[] value) {
      int offset = rnd.nextInt(13);
      byte[] buffer = new byte[offset + value.length + rnd.nextInt(9)];
      rnd.nextBytes(buffer); // garbage around the value must not be read
      System.arraycopy(value, 0, buffer, offset, value.length);
      return new Placed(buffer, offset + StoredTokenMatrix.HEADER_BYTES);
    }
  }

  /**
   * Both sides sum the same dim products (the same decoded values times the same query values) in a
   * different order (lane layout, FMA vs multiply-add, per-byte partial sums for bit). Recursive
   * float summation of n terms errs by at most (n-1)·2^-24·sum|terms| per side, and sum|q_d·d_d| <=
   * |q|·|d| = 1 for unit rows (<= 1.01 for int8's rounded rows), so one query token's best dot
   * differs by at most dim·2^-23 (the max of values each within that bound is within it too); the
   * sum over qt tokens adds qt·2^-24·qt. The factor 2 covers int8's norm slack. A lost dimension or
   * token costs ~1/dim per query token, far above this.
   */
  static float orderTolerance(int qt, int dim) {
    return 2f * qt * (dim + qt) * 0x1p-23f;
  }

  @Test
  void vectorCodecKernelsAgreeWithScalarOnAwkwardSizes() {
    VectorKernel scalar = VectorKernel.scalar();
    VectorKernel panama = panama();
    Random rnd = new Random(7);
    int compared = 0;
    for (int dim : DIMS) {
      for (int qt : QUERY_TOKENS) {
        TokenMatrix q = random(rnd, qt, dim);
        PreparedQuery ps = scalar.prepare(q), pp = panama.prepare(q);
        PreparedBitQuery bs = scalar.prepareBits(q), bp = panama.prepareBits(q);
        for (int dt : DOC_TOKENS) {
          TokenMatrix d = random(rnd, dt, dim);
          for (Method m : Method.values()) {
            Placed p = Placed.of(rnd, m.codec.encode(d));
            String where = m + " dim=" + dim + " q=" + qt + " d=" + dt;
            switch (m) {
              case FLOAT32 ->
                  assertEquals(
                      scalar.maxSimFloat32(ps, p.bytes, p.payloadOffset, dt),
                      panama.maxSimFloat32(pp, p.bytes, p.payloadOffset, dt),
                      orderTolerance(qt, dim),
                      where);
              case FLOAT16 ->
                  assertEquals(
                      scalar.maxSimFloat16(ps, p.bytes, p.payloadOffset, dt),
                      panama.maxSimFloat16(pp, p.bytes, p.payloadOffset, dt),
                      orderTolerance(qt, dim),
                      where);
              case INT8 ->
                  assertEquals(
                      scalar.maxSimInt8(ps, p.bytes, p.payloadOffset, dt),
                      panama.maxSimInt8(pp, p.bytes, p.payloadOffset, dt),
                      orderTolerance(qt, dim),
                      where);
              case BIT ->
                  assertEquals(
                      scalar.maxSimBit(ps, p.bytes, p.payloadOffset, dt),
                      panama.maxSimBit(pp, p.bytes, p.payloadOffset, dt),
                      orderTolerance(qt, dim),
                      where);
              // Hamming distances are integers and both kernels round their exact sum once:
              // identical.
              case HAMMING ->
                  assertEquals(
                      scalar.maxSimHamming(bs, p.bytes, p.payloadOffset, dt),
                      panama.maxSimHamming(bp, p.bytes, p.payloadOffset, dt),
                      where);
            }
            compared++;
          }
        }
      }
    }
    assertEquals(
        DIMS.length * QUERY_TOKENS.length * DOC_TOKENS.length * Method.values().length, compared);
  }

  @Test
  void everyKernelComputesExactlyTheFloatMaxSimOfTheDecodedDocument() {
    Random rnd = new Random(11);
    for (VectorKernel k : kernels()) {
      for (int dim : new int[] {3, 65, 128, 385}) {
        for (int qt : new int[] {1, 17, 32}) {
          for (int dt : new int[] {1, 9, 207}) {
            TokenMatrix q = random(rnd, qt, dim);
            TokenMatrix d = random(rnd, dt, dim);
            for (Method m : Method.values()) {
              Placed p = Placed.of(rnd, m.codec.encode(d));
              // For hamming the reference multiplies decoded signs (±1/sqrt(dim) rounded to float),
              // so each product carries one more rounding: still within the order tolerance.
              assertEquals(
                  m.reference(q, d),
                  m.score(k, q, p.bytes, p.payloadOffset, dt),
                  orderTolerance(qt, dim),
                  k.name() + " " + m + " dim=" + dim + " q=" + qt + " d=" + dt);
            }
          }
        }
      }
    }
  }

  @Test
  void scalarCodecKernelsAreBitForBitDecodeThenDot() {
    VectorKernel scalar = VectorKernel.scalar();
    Random rnd = new Random(12);
    TokenMatrix q = random(rnd, 9, 96);
    TokenMatrix d = random(rnd, 31, 96);
    for (Method m : List.of(Method.FLOAT32, Method.FLOAT16, Method.INT8, Method.BIT)) {
      byte[] value = m.codec.encode(d);
      assertEquals(
          m.reference(q, d),
          m.score(scalar, q, value, StoredTokenMatrix.HEADER_BYTES, 31),
          0f,
          m.toString());
    }
  }

  @Test
  void hammingIsTheCosineOfTheSignVectors() {
    // dim 4: query signs (+,+,+,+); document tokens (+,+,-,-) and (-,-,-,-): hamming 2 and 4.
    TokenMatrix q =
        TokenMatrix.of(new float[][] {{0.5f, 0.5f, 0.5f, 0.5f}, {-0.5f, -0.5f, -0.5f, -0.5f}});
    TokenMatrix d =
        TokenMatrix.of(new float[][] {{0.5f, 0.5f, -0.5f, -0.5f}, {-0.5f, -0.5f, -0.5f, -0.5f}});
    byte[] value = TokenCodec.BIT.encode(d);
    for (VectorKernel k : kernels()) {
      // token 0: max((4-4)/4, (4-8)/4) = 0; token 1: max(0, (4-0)/4) = 1.
      assertEquals(
          1f,
          k.maxSimHamming(k.prepareBits(q), value, StoredTokenMatrix.HEADER_BYTES, 2),
          k.name());
      // asymmetric: token 0 · (1,1,-1,-1)/2 = 0, · (-1,-1,-1,-1)/2 = -1 -> 0; token 1: 0 and 1 ->
      // 1.
      assertEquals(
          1f, k.maxSimBit(k.prepare(q), value, StoredTokenMatrix.HEADER_BYTES, 2), 1e-6f, k.name());
    }
  }

  @Test
  void emptyDocumentScoresZeroInEveryCodecAndKernel() {
    Random rnd = new Random(13);
    for (int dim : new int[] {1, 64, 385}) {
      TokenMatrix q = random(rnd, 17, dim);
      for (VectorKernel k : kernels()) {
        for (Method m : Method.values()) {
          byte[] value = m.codec.encode(TokenMatrix.empty(dim));
          assertEquals(StoredTokenMatrix.HEADER_BYTES, value.length);
          assertEquals(
              0f, m.score(k, q, value, StoredTokenMatrix.HEADER_BYTES, 0), k.name() + " " + m);
        }
      }
    }
  }

  /**
   * float16 and int8 stay close to float32 MaxSim, with bounds from the codec errors: per query
   * token the best dot moves by at most max over document tokens of sum_d |q_d|·|x_d - x'_d| (a max
   * of values each within e of another max is within e of it). float16: |x - x'| <= 2^-11|x| +
   * 2^-25, so <= 2^-11 + 2^-25·|q|_1 per token. int8: |x - x'| <= scale_j/2, so <= |q|_1 · max_j
   * scale_j/2.
   */
  @Test
  void float16AndInt8MaxSimStayWithinTheirErrorBoundsOfFloat32() {
    Random rnd = new Random(17);
    VectorKernel k = VectorKernel.get();
    VectorKernel scalar = VectorKernel.scalar();
    for (int dim : new int[] {64, 128, 384}) {
      double int8Error = 0, int8Bound = 0;
      for (int trial = 0; trial < 20; trial++) {
        TokenMatrix q = random(rnd, 32, dim);
        TokenMatrix d = random(rnd, 200, dim);
        float exact = scalar.maxSim(q, d);
        double sumL1 = 0, maxHalfScale = 0;
        for (int i = 0; i < q.rows(); i++) {
          for (int x = 0; x < dim; x++) sumL1 += Math.abs(q.get(i, x));
        }
        for (int j = 0; j < d.rows(); j++) {
          double maxAbs = 0;
          for (int x = 0; x < dim; x++) maxAbs = Math.max(maxAbs, Math.abs(d.get(j, x)));
          maxHalfScale = Math.max(maxHalfScale, maxAbs / 127 / 2);
        }
        double slop = 2 * orderTolerance(32, dim);
        byte[] f16 = TokenCodec.FLOAT16.encode(d);
        float half = k.maxSimFloat16(k.prepare(q), f16, StoredTokenMatrix.HEADER_BYTES, d.rows());
        assertEquals(exact, half, 32 * 0x1p-11 + sumL1 * 0x1p-25 + slop, "float16 dim=" + dim);
        byte[] i8 = TokenCodec.INT8.encode(d);
        float int8 = k.maxSimInt8(k.prepare(q), i8, StoredTokenMatrix.HEADER_BYTES, d.rows());
        assertEquals(exact, int8, sumL1 * maxHalfScale + slop, "int8 dim=" + dim);
        int8Error += Math.abs(exact - int8);
        int8Bound += sumL1 * maxHalfScale;
      }
      // Rounding errors of random sign mostly cancel: the typical error is far below the worst
      // case.
      assertTrue(
          int8Error < 0.1 * int8Bound,
          "int8 dim=" + dim + " mean error " + int8Error / 20 + " bound " + int8Bound / 20);
    }
  }

  /**
   * On clustered data (each document's tokens gathered around its own three topic centres, each
   * query drawn around one document's centres) the bit codec ranks like float32. The noise
   * (per-dimension sigma 0.25, cosine to the centre about 0.3) is chosen so that float still finds
   * every query's document but the binary scores do not always: the test measures agreement rather
   * than passing trivially, and asymmetric scoring must agree at least as often as hamming.
   */
  @Test
  void bitScoringRanksClusteredDocumentsLikeFloat() {
    Random rnd = new Random(19);
    int dim = 128, docs = 60, queries = 60;
    TokenMatrix[][] centres = new TokenMatrix[docs][];
    TokenMatrix[] docMatrices = new TokenMatrix[docs];
    byte[][] bits = new byte[docs][];
    for (int i = 0; i < docs; i++) {
      centres[i] =
          new TokenMatrix[] {random(rnd, 1, dim), random(rnd, 1, dim), random(rnd, 1, dim)};
      docMatrices[i] = around(rnd, centres[i], 40, 0.25f);
      bits[i] = TokenCodec.BIT.encode(docMatrices[i]);
    }
    VectorKernel k = VectorKernel.get();
    int bitAgrees = 0, hammingAgrees = 0;
    for (int n = 0; n < queries; n++) {
      TokenMatrix q = around(rnd, centres[n % docs], 16, 0.25f);
      PreparedQuery pq = k.prepare(q);
      PreparedBitQuery pb = k.prepareBits(q);
      int bestFloat = -1, bestBit = -1, bestHamming = -1;
      float sf = Float.NEGATIVE_INFINITY, sb = sf, sh = sf;
      for (int i = 0; i < docs; i++) {
        float f = k.maxSim(pq, docMatrices[i].data(), 0, docMatrices[i].rows());
        float b = k.maxSimBit(pq, bits[i], StoredTokenMatrix.HEADER_BYTES, docMatrices[i].rows());
        float h =
            k.maxSimHamming(pb, bits[i], StoredTokenMatrix.HEADER_BYTES, docMatrices[i].rows());
        if (f > sf) {
          sf = f;
          bestFloat = i;
        }
        if (b > sb) {
          sb = b;
          bestBit = i;
        }
        if (h > sh) {
          sh = h;
          bestHamming = i;
        }
      }
      assertEquals(n % docs, bestFloat, "float finds the document the query was drawn from");
      if (bestBit == bestFloat) bitAgrees++;
      if (bestHamming == bestFloat) hammingAgrees++;
    }
    // Measured with this seed: 57/60 asymmetric, 43/60 hamming (random scores would agree ~1/60).
    assertTrue(bitAgrees >= 50, "asymmetric bit top-1 agreement " + bitAgrees + "/" + queries);
    assertTrue(hammingAgrees >= 35, "hamming top-1 agreement " + hammingAgrees + "/" + queries);
    assertTrue(bitAgrees >= hammingAgrees, "the float query keeps information hamming throws away");
  }

  /**
   * {@code rows} unit vectors, each a random centre plus Gaussian noise of the given per-dim sigma.
   */
  private static TokenMatrix around(Random rnd, TokenMatrix[] centres, int rows, float sigma) {
    int dim = centres[0].dim();
    float[] data = new float[rows * dim];
    for (int r = 0; r < rows; r++) {
      TokenMatrix c = centres[rnd.nextInt(centres.length)];
      for (int x = 0; x < dim; x++)
        data[r * dim + x] = c.get(0, x) + sigma * (float) rnd.nextGaussian();
    }
    TokenMatrix.normalizeRows(data, rows, dim);
    return new TokenMatrix(data, rows, dim);
  }

  @Test
  void scoresDoNotChangeOnceTheJitCompilesTheKernels() {
    Random rnd = new Random(23);
    TokenMatrix q = random(rnd, 32, 128);
    TokenMatrix d = random(rnd, 13, 128);
    VectorKernel k = panama();
    PreparedQuery pq = k.prepare(q);
    PreparedBitQuery pb = k.prepareBits(q);
    for (Method m : Method.values()) {
      byte[] value = m.codec.encode(d);
      int at = StoredTokenMatrix.HEADER_BYTES;
      java.util.function.IntSupplier score =
          () ->
              Float.floatToRawIntBits(
                  switch (m) {
                    case FLOAT32 -> k.maxSimFloat32(pq, value, at, 13);
                    case FLOAT16 -> k.maxSimFloat16(pq, value, at, 13);
                    case INT8 -> k.maxSimInt8(pq, value, at, 13);
                    case BIT -> k.maxSimBit(pq, value, at, 13);
                    case HAMMING -> k.maxSimHamming(pb, value, at, 13);
                  });
      int first = score.getAsInt();
      for (int i = 0; i < 20_000; i++) {
        int again = score.getAsInt();
        if (again != first) {
          throw new AssertionError(
              m
                  + " changed from "
                  + Float.intBitsToFloat(first)
                  + " to "
                  + Float.intBitsToFloat(again)
                  + " after "
                  + i
                  + " calls");
        }
      }
    }
  }

  @Test
  void halfWideningMatchesFloat16ToFloatForEveryBitPattern() {
    byte[] bytes = new byte[3 + 2 * 65536];
    for (int h = 0; h < 65536; h++) {
      bytes[3 + 2 * h] = (byte) h;
      bytes[4 + 2 * h] = (byte) (h >>> 8);
    }
    float[] out = new float[65536];
    PanamaKernelSupport.widenHalves(bytes, 3, 65536, out);
    for (int h = 0; h < 65536; h++) {
      assertEquals(
          Float.floatToRawIntBits(Float.float16ToFloat((short) h)),
          Float.floatToRawIntBits(out[h]),
          "half bits 0x" + Integer.toHexString(h));
    }
  }

  @Test
  void codeWideningMatchesScalarForEveryLengthAndOffset() {
    Random rnd = new Random(29);
    byte[] bytes = new byte[200];
    rnd.nextBytes(bytes);
    for (int count = 0; count <= 70; count++) {
      for (int from = 0; from < 5; from++) {
        float[] out = new float[count + 3];
        PanamaKernelSupport.widenCodes(bytes, from, count, 0.0123f, out, 2);
        for (int i = 0; i < count; i++) {
          assertEquals(
              bytes[from + i] * 0.0123f,
              out[2 + i],
              "count=" + count + " from=" + from + " i=" + i);
        }
      }
    }
  }

  private static VectorKernel panama() {
    return KernelTesting.panama();
  }

  private static VectorKernel[] kernels() {
    return KernelTesting.both();
  }
}
