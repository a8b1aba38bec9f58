package dev.latte.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.ResidualCodebook;
import dev.latte.core.codec.ResidualCodebookTest;
import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.core.codec.TokenCodec;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The residual kernels: the code-domain ones (query x centroid matrix + nibble tables, scalar and
 * Vector API) against exact float MaxSim over the decoded vectors, on awkward sizes.
 */
class ResidualKernelTest {
  private static final int[] DIMS = {1, 3, 5, 7, 15, 16, 17, 63, 64, 65, 96, 385};
  private static final int[] QUERY_TOKENS = {1, 7, 15, 16, 17, 32, 33};
  private static final int[] DOC_TOKENS = {0, 1, 3, 16, 17, 207};

  /**
   * The same trained parameters without per-token scales (an index written before scales) and with
   * them.
   */
  static ResidualCodebook[] unscaledAndScaled(ResidualCodebook fitted) {
    return new ResidualCodebook[] {fitted.withoutScales(), fitted};
  }

  static VectorKernel[] codeDomain() {
    return new VectorKernel[] {VectorKernel.scalarCodeDomain(), KernelTesting.panama()};
  }

  /**
   * The nibble tables are their definition, bit for bit: entry (i, p, v) = 0 + the sum, in
   * dimension order, of q_i[d] x weight(d, code of d in v) over the dimensions nibble p holds (none
   * past the last dimension), whichever loop computes it; the by-nibble copy holds the same values.
   */
  @Test
  void nibbleTablesAreTheirDefinitionBitForBit() {
    for (int bits : new int[] {1, 2, 4}) {
      for (int dim : new int[] {1, 3, 5, 17, 64, 385}) {
        Random rnd = new Random(17L * dim + bits);
        ResidualCodebook book = ResidualCodebookTest.codebook(rnd, bits, 3, dim, 40);
        for (VectorKernel k : new VectorKernel[] {VectorKernel.scalar(), KernelTesting.panama()}) {
          int tokens = 1 + rnd.nextInt(20);
          TokenMatrix q = MaxSimKernelTest.random(rnd, tokens, dim);
          ResidualQuery rq = k.prepareResidual(q, book);
          int nibbles = 2 * book.residualBytes(), perNibble = 4 / bits, mask = (1 << bits) - 1;
          float[] byNibble = rq.byNibble();
          for (int i = 0; i < tokens; i++)
            for (int p = 0; p < nibbles; p++)
              for (int v = 0; v < 16; v++) {
                float sum = 0f;
                for (int u = 0; u < perNibble; u++) {
                  int d = p * perNibble + u;
                  if (d >= dim) break;
                  sum += q.data()[i * dim + d] * book.weight(d, (v >>> (u * bits)) & mask);
                }
                String where =
                    k.name() + " bits " + bits + " dim " + dim + " " + i + "," + p + "," + v;
                assertEquals(
                    Float.floatToRawIntBits(sum),
                    Float.floatToRawIntBits(rq.lut()[(i * nibbles + p) * 16 + v]),
                    where);
                assertEquals(
                    Float.floatToRawIntBits(sum),
                    Float.floatToRawIntBits(byNibble[(p * 16 + v) * rq.lanes() + i]),
                    where);
              }
        }
      }
    }
  }

  @Test
  void codeDomainMaxSimEqualsExactMaxSimOverDecodedVectors() {
    int checked = 0;
    for (int bits : new int[] {1, 2, 4}) {
      for (int dim : DIMS) {
        Random rnd = new Random(7L * dim + bits);
        ResidualCodebook fitted = ResidualCodebookTest.codebook(rnd, bits, 5, dim, 64);
        for (int docTokens : DOC_TOKENS)
          for (ResidualCodebook book : unscaledAndScaled(fitted)) {
            TokenMatrix doc = MaxSimKernelTest.random(rnd, docTokens, dim);
            byte[] value = book.encode(doc);
            // Scored at an offset inside a larger array, as doc values hand it over.
            byte[] shifted = new byte[value.length + 13];
            System.arraycopy(value, 0, shifted, 5, value.length);
            int payload = 5 + StoredTokenMatrix.HEADER_BYTES;
            TokenMatrix decoded = book.decode(value, 0, value.length);
            for (int queryTokens : QUERY_TOKENS) {
              TokenMatrix q = MaxSimKernelTest.random(rnd, queryTokens, dim);
              float exact = docTokens == 0 ? 0f : VectorKernel.scalar().maxSim(q, decoded);
              VectorKernel ref = VectorKernel.scalar();
              assertEquals(
                  exact,
                  ref.maxSimResidual(ref.prepareResidual(q, book), shifted, payload, docTokens),
                  1e-4f * queryTokens);
              for (VectorKernel k : codeDomain()) {
                float s = k.maxSimResidual(k.prepareResidual(q, book), shifted, payload, docTokens);
                assertEquals(
                    exact,
                    s,
                    2e-5f * queryTokens * (1 + dim / 64f),
                    k.name()
                        + (book.scaled() ? " scaled" : "")
                        + " bits "
                        + bits
                        + " dim "
                        + dim
                        + " q "
                        + queryTokens
                        + " d "
                        + docTokens);
                checked++;
              }
            }
          }
      }
    }
    assertEquals(3 * DIMS.length * DOC_TOKENS.length * QUERY_TOKENS.length * 2 * 2, checked);
  }

  @Test
  void residualDotsEqualTheQueryDottedWithTheDecodedResidual() {
    for (int bits : new int[] {1, 2, 4}) {
      for (int dim : new int[] {1, 5, 17, 64, 385}) {
        Random rnd = new Random(dim + 100L * bits);
        ResidualCodebook fitted = ResidualCodebookTest.codebook(rnd, bits, 4, dim, 40);
        for (ResidualCodebook book : unscaledAndScaled(fitted)) {
          int tokens = 9;
          TokenMatrix doc = MaxSimKernelTest.random(rnd, tokens, dim);
          byte[] value = book.encode(doc);
          int codes = TokenCodec.residualCodesOffset(StoredTokenMatrix.HEADER_BYTES, tokens);
          TokenMatrix decoded = book.decode(value, 0, value.length);
          TokenMatrix q = MaxSimKernelTest.random(rnd, 3, dim);
          for (VectorKernel k :
              new VectorKernel[] {VectorKernel.scalar(), codeDomain()[0], codeDomain()[1]}) {
            ResidualQuery rq = k.prepareResidual(q, book);
            for (int row = 0; row < 3; row++) {
              float[] out = new float[tokens + 2];
              // Tokens 2..8 only (all of centroid c of token 2, as in one list), from out[1].
              int c = TokenCodec.residualCentroid(value, StoredTokenMatrix.HEADER_BYTES, 2);
              k.residualDots(
                  rq,
                  row,
                  rq.centroidScore(row, c),
                  value,
                  codes + 2 * book.codeStride(),
                  tokens - 2,
                  out,
                  1);
              assertEquals(0f, out[0]);
              for (int t = 2; t < tokens; t++) {
                int at = codes + t * book.codeStride();
                // The token as if coded against c: s . (c + r), its scale and residual codes kept.
                double full = 0;
                for (int d = 0; d < dim; d++)
                  full +=
                      q.data()[row * dim + d]
                          * book.scaleOf(value, at)
                          * (book.centroid(c, d) + book.weight(d, book.code(value, at, d)));
                assertEquals(
                    full,
                    out[t - 1],
                    1e-4,
                    k.name() + " dim " + dim + " bits " + bits + " scaled " + book.scaled());
              }
              if (!book.scaled()) continue;
              // A token of c itself scores q . its decoded vector.
              for (int t = 2; t < tokens; t++) {
                if (TokenCodec.residualCentroid(value, StoredTokenMatrix.HEADER_BYTES, t) != c)
                  continue;
                double dot = 0;
                for (int d = 0; d < dim; d++)
                  dot += q.data()[row * dim + d] * decoded.data()[t * dim + d];
                assertEquals(dot, out[t - 1], 1e-4);
              }
            }
          }
        }
      }
    }
  }

  /**
   * The list scan over block-transposed codes, in place in a segment at an odd offset, against the
   * scalar reference (codes decoded, dotted in float) on list lengths around the 16-token block (0,
   * a lone tail, one block, blocks plus a tail, more than the four-block unroll) and awkward dims
   * for every bit width.
   */
  @Test
  void blockedListScanEqualsTheDecodedReferenceOnAwkwardSizes() {
    int[] counts = {0, 1, 15, 16, 17, 31, 63, 64, 65, 80, 97, 130};
    int checked = 0;
    for (int bits : new int[] {1, 2, 4}) {
      for (int dim : DIMS) {
        Random rnd = new Random(31L * dim + bits);
        ResidualCodebook fitted = ResidualCodebookTest.codebook(rnd, bits, 6, dim, 50);
        TokenMatrix q = MaxSimKernelTest.random(rnd, 5, dim);
        for (int count : counts)
          for (ResidualCodebook book : unscaledAndScaled(fitted)) {
            int stride = book.codeStride();
            byte[] value = book.encode(MaxSimKernelTest.random(rnd, count, dim));
            int codes = TokenCodec.residualCodesOffset(StoredTokenMatrix.HEADER_BYTES, count);
            byte[] blocked = new byte[count * stride + 7];
            ResidualBlocks.block(value, codes, count, stride, blocked, 3);
            var segment = java.lang.foreign.MemorySegment.ofArray(blocked);
            VectorKernel ref = VectorKernel.scalar();
            ResidualQuery refQuery = ref.prepareResidual(q, book);
            for (VectorKernel k : codeDomain()) {
              ResidualQuery rq = k.prepareResidual(q, book);
              for (int row : new int[] {0, 4}) {
                float qc = refQuery.centroidScore(row, 1);
                float[] want = new float[count];
                ref.residualDots(refQuery, row, qc, value, codes, count, want, 0);
                float[] got = new float[count + 3];
                got[0] = got[count + 2] = 42f;
                k.residualDotsBlocked(rq, row, qc, segment, 3, count, got, 1);
                assertEquals(42f, got[0]);
                assertEquals(42f, got[count + 2], "nothing written past the list");
                for (int t = 0; t < count; t++)
                  assertEquals(
                      want[t],
                      got[t + 1],
                      1e-5f * (1 + dim / 16f),
                      k.name()
                          + (book.scaled() ? " scaled" : "")
                          + " bits "
                          + bits
                          + " dim "
                          + dim
                          + " count "
                          + count
                          + " t "
                          + t);
                checked++;
              }
            }
          }
      }
    }
    assertEquals(3 * DIMS.length * counts.length * 2 * 2 * 2, checked);
  }

  @Test
  void blockingRoundTripsAndKeepsTheSize() {
    Random rnd = new Random(5);
    for (int count : new int[] {0, 1, 16, 33}) {
      for (int stride : new int[] {1, 3, 48}) {
        byte[] rows = new byte[count * stride];
        rnd.nextBytes(rows);
        byte[] blocked = new byte[rows.length];
        ResidualBlocks.block(rows, 0, count, stride, blocked, 0);
        byte[] back = new byte[rows.length];
        ResidualBlocks.unblock(blocked, 0, count, stride, back, 0);
        org.junit.jupiter.api.Assertions.assertArrayEquals(rows, back);
        if (count >= 16 && stride > 1)
          assertEquals(rows[stride], blocked[1], "byte 0 of token 1 sits next to token 0's");
      }
    }
  }

  @Test
  void assignCentroidsPicksTheNearestCentroidInEveryKernel() {
    Random rnd = new Random(9);
    for (int dim : new int[] {1, 7, 65, 384}) {
      ResidualCodebook book = ResidualCodebookTest.codebook(rnd, 2, 37, dim, 100);
      int n = 130; // two blocks and a tail
      float[] rows = MaxSimKernelTest.random(rnd, n + 1, dim).data();
      for (VectorKernel k : KernelTesting.both()) {
        int[] out = new int[n];
        k.assignCentroids(book, rows, 1, n, out);
        for (int t = 0; t < n; t++)
          assertEquals(book.nearestCentroid(rows, (t + 1) * dim), out[t], k.name() + " row " + t);
      }
    }
  }

  @Test
  void badCallsAreRefusedWithAReason() {
    Random rnd = new Random(1);
    ResidualCodebook book = ResidualCodebookTest.codebook(rnd, 2, 3, 16, 30);
    TokenMatrix doc = MaxSimKernelTest.random(rnd, 4, 16);
    byte[] value = book.encode(doc);
    TokenMatrix q = MaxSimKernelTest.random(rnd, 2, 16);
    for (VectorKernel k : KernelTesting.both()) {
      ResidualQuery rq = k.prepareResidual(q, book);
      int payload = StoredTokenMatrix.HEADER_BYTES;
      assertTrue(Float.isFinite(k.maxSimResidual(rq, value, payload, 4)));
      var past =
          assertThrows(
              IllegalArgumentException.class, () -> k.maxSimResidual(rq, value, payload, 5));
      assertTrue(past.getMessage().contains("residual-2 payload"), past.getMessage());
      var row =
          assertThrows(
              IllegalArgumentException.class,
              () -> k.residualDots(rq, 2, 0f, value, payload, 1, new float[1], 0));
      assertTrue(row.getMessage().contains("query row 2"), row.getMessage());
      var list =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  k.residualDotsBlocked(
                      rq,
                      0,
                      0f,
                      java.lang.foreign.MemorySegment.ofArray(value),
                      2,
                      20,
                      new float[20],
                      0));
      assertTrue(list.getMessage().contains("runs past"), list.getMessage());
      var prepared =
          assertThrows(
              IllegalArgumentException.class,
              () -> k.maxSim(k.prepare(q), TokenCodec.RESIDUAL_2, value, payload, 4));
      assertTrue(prepared.getMessage().contains("prepareResidual"), prepared.getMessage());
      var dim =
          assertThrows(
              IllegalArgumentException.class,
              () -> k.prepareResidual(MaxSimKernelTest.random(rnd, 2, 8), book));
      assertTrue(dim.getMessage().contains("8"), dim.getMessage());
      byte[] badId = value.clone();
      badId[payload] = 7;
      var id =
          assertThrows(
              StoredTokenMatrix.CorruptTokenMatrixException.class,
              () -> k.maxSimResidual(rq, badId, payload, 4));
      assertTrue(id.getMessage().contains("centroid id 7"), id.getMessage());
    }
    ResidualQuery panamaQuery = KernelTesting.panama().prepareResidual(q, book);
    var owner =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                VectorKernel.scalar()
                    .maxSimResidual(panamaQuery, value, StoredTokenMatrix.HEADER_BYTES, 4));
    assertTrue(owner.getMessage().contains("prepare it with the kernel"), owner.getMessage());
  }

  /**
   * The centroid-major copy the vector MaxSim reads: every q_i . c where the row-major matrix has
   * it, padding lanes 0, for codebooks past one 64-centroid block and not a multiple of it.
   */
  @Test
  void theCentroidMajorCopyHoldsTheQueryCentroidMatrix() {
    Random rnd = new Random(5);
    for (int k : new int[] {1, 63, 64, 130}) {
      ResidualCodebook book = ResidualCodebookTest.codebook(rnd, 2, k, 17, 2 * k + 8);
      for (int queryTokens : QUERY_TOKENS)
        for (VectorKernel kernel : codeDomain()) {
          ResidualQuery q =
              kernel.prepareResidual(MaxSimKernelTest.random(rnd, queryTokens, 17), book);
          float[] t = q.byCentroid();
          int w = q.paddedTokens;
          assertEquals(book.centroidCount() * w, t.length);
          for (int c = 0; c < book.centroidCount(); c++)
            for (int i = 0; i < w; i++)
              assertEquals(i < queryTokens ? q.centroidScore(i, c) : 0f, t[c * w + i]);
        }
    }
  }
}
