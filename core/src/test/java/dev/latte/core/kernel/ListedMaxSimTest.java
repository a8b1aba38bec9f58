package dev.latte.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.ResidualCodebook;
import dev.latte.core.codec.ResidualCodebookTest;
import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.core.codec.TokenCodec;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * MaxSim over codes read where the WARP lists keep them ({@link
 * VectorKernel#maxSimResidualListed}): each kernel gives what it gives over the same codes gathered
 * into a payload ({@link VectorKernel#maxSimResidual}, itself tested against exact float MaxSim
 * over the decoded vectors in {@link ResidualKernelTest}), on awkward sizes, with the tokens
 * scattered over block lanes (step 16) and row-major rests (step 1) among unrelated bytes; bit for
 * bit (the Vector API one up to its final lane sum, see the test).
 */
class ListedMaxSimTest {
  private static final int[] DIMS = {1, 3, 17, 64, 65, 96, 385};
  private static final int[] QUERY_TOKENS = {1, 15, 16, 17, 32, 33};
  private static final int[] DOC_TOKENS = {0, 1, 3, 16, 17, 70};

  static VectorKernel[] every() {
    return new VectorKernel[] {
      VectorKernel.scalar(), VectorKernel.scalarCodeDomain(), KernelTesting.panama()
    };
  }

  /** Codes of a payload laid out as the lists hold them, with where each token's bytes lie. */
  record Scattered(MemorySegment codes, long[] at, int[] step) {}

  static Scattered scatter(Random rnd, byte[] value, int docTokens, int stride) {
    int codes = TokenCodec.residualCodesOffset(StoredTokenMatrix.HEADER_BYTES, docTokens);
    // One 16-token block per token (a random lane of it) or a row-major slot, in random order.
    int slot = 16 * stride;
    byte[] area = new byte[docTokens * slot + 7];
    rnd.nextBytes(area);
    long[] at = new long[docTokens + 3];
    int[] step = new int[docTokens + 3];
    int[] places = new int[docTokens];
    for (int j = 0; j < docTokens; j++) places[j] = j;
    for (int j = docTokens - 1; j > 0; j--) {
      int o = rnd.nextInt(j + 1), t = places[j];
      places[j] = places[o];
      places[o] = t;
    }
    for (int j = 0; j < docTokens; j++) {
      int place = places[j];
      boolean blocked = rnd.nextBoolean();
      int lane = rnd.nextInt(16);
      at[j] = blocked ? 7L + (long) place * slot + lane : 7L + (long) place * slot + lane * stride;
      step[j] = blocked ? 16 : 1;
      for (int b = 0; b < stride; b++)
        area[(int) (at[j] + (long) b * step[j])] = value[codes + j * stride + b];
    }
    return new Scattered(MemorySegment.ofArray(area), at, step);
  }

  @Test
  void listedCodesScoreAsTheGatheredPayload() {
    VectorKernel[] kernels = every();
    VectorKernel panama = kernels[2];
    int checked = 0;
    for (int bits : new int[] {1, 2, 4}) {
      for (int dim : DIMS) {
        Random rnd = new Random(31L * dim + bits);
        ResidualCodebook fitted = ResidualCodebookTest.codebook(rnd, bits, 5, dim, 64);
        for (ResidualCodebook book : ResidualKernelTest.unscaledAndScaled(fitted)) {
          for (int docTokens : DOC_TOKENS) {
            TokenMatrix doc = MaxSimKernelTest.random(rnd, docTokens, dim);
            byte[] value = book.encode(doc);
            int payload = StoredTokenMatrix.HEADER_BYTES;
            Scattered s = scatter(rnd, value, docTokens, book.codeStride());
            for (int queryTokens : QUERY_TOKENS) {
              TokenMatrix q = MaxSimKernelTest.random(rnd, queryTokens, dim);
              for (VectorKernel k : kernels) {
                ResidualQuery rq = k.prepareResidual(q, book);
                float gathered = k.maxSimResidual(rq, value, payload, docTokens);
                float listed =
                    k.maxSimResidualListed(
                        rq, value, payload, docTokens, s.codes(), s.at(), s.step());
                String where =
                    k.name()
                        + (book.scaled() ? " scaled" : "")
                        + " bits "
                        + bits
                        + " dim "
                        + dim
                        + " q "
                        + queryTokens
                        + " d "
                        + docTokens
                        + ": "
                        + gathered
                        + " vs "
                        + listed;
                if (k == panama)
                  // The same adds in the same order; only the final lane sum (reduceLanes) may
                  // round 1 ulp apart while one of the two methods is interpreted and the other
                  // compiled (see OneCopyLayoutTest): compiled, both sum alike.
                  assertEquals(gathered, listed, 1e-6f * Math.max(1f, Math.abs(gathered)), where);
                else
                  assertEquals(
                      Float.floatToRawIntBits(gathered), Float.floatToRawIntBits(listed), where);
                checked++;
              }
            }
          }
        }
      }
    }
    assertEquals(3 * DIMS.length * 2 * DOC_TOKENS.length * QUERY_TOKENS.length * 3, checked);
  }

  @Test
  void codesOutsideTheSegmentAreRefusedWithTheToken() {
    Random rnd = new Random(3);
    ResidualCodebook book = ResidualCodebookTest.codebook(rnd, 2, 4, 17, 40);
    TokenMatrix doc = MaxSimKernelTest.random(rnd, 3, 17);
    byte[] value = book.encode(doc);
    Scattered s = scatter(rnd, value, 3, book.codeStride());
    for (VectorKernel k : every()) {
      ResidualQuery rq = k.prepareResidual(MaxSimKernelTest.random(rnd, 2, 17), book);
      long[] at = s.at().clone();
      at[1] = s.codes().byteSize() - 2; // its last byte past the end
      var e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  k.maxSimResidualListed(
                      rq, value, StoredTokenMatrix.HEADER_BYTES, 3, s.codes(), at, s.step()));
      assertEquals(true, e.getMessage().contains("token 1's codes"), e.getMessage());
      int[] step = s.step().clone();
      step[2] = 0;
      assertThrows(
          IllegalArgumentException.class,
          () ->
              k.maxSimResidualListed(
                  rq, value, StoredTokenMatrix.HEADER_BYTES, 3, s.codes(), s.at(), step));
    }
  }
}
