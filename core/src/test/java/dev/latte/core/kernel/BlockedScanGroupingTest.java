package dev.latte.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.ResidualCodebook;
import dev.latte.core.codec.ResidualCodebookTest;
import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.core.codec.TokenCodec;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The blocked list scan gives a token the same bits whichever path scores it — in a group of four
 * blocks, of two, a single block, the row-major rest, or a zero-padded block of its own — so an
 * index and its shards (which group a list's tokens differently) score every token identically, and
 * a scan may score a list's rest as one padded block (WarpIndex's in-memory rests).
 */
class BlockedScanGroupingTest {
  @Test
  void everyPathScoresATokenBitForBitAlike() {
    int checked = 0;
    for (int bits : new int[] {1, 2, 4}) {
      for (int dim : new int[] {7, 64, 96, 385}) {
        Random rnd = new Random(13L * dim + bits);
        ResidualCodebook fitted = ResidualCodebookTest.codebook(rnd, bits, 4, dim, 40);
        for (ResidualCodebook book : ResidualKernelTest.unscaledAndScaled(fitted)) {
          int stride = book.codeStride();
          TokenMatrix q = MaxSimKernelTest.random(rnd, 3, dim);
          int count = 16 * 7 + 9; // four + two + one blocks + a rest of nine
          byte[] value = book.encode(MaxSimKernelTest.random(rnd, count, dim));
          int codes = TokenCodec.residualCodesOffset(StoredTokenMatrix.HEADER_BYTES, count);
          for (VectorKernel k : ResidualKernelTest.codeDomain()) {
            ResidualQuery rq = k.prepareResidual(q, book);
            for (int row = 0; row < 3; row++) {
              float qc = rq.centroidScore(row, 2);
              // Each token alone: a list of one, scored by the row-major rest.
              float[] alone = new float[count];
              for (int t = 0; t < count; t++) {
                byte[] one = new byte[stride];
                System.arraycopy(value, codes + t * stride, one, 0, stride);
                k.residualDotsBlocked(rq, row, qc, MemorySegment.ofArray(one), 0, 1, alone, t);
              }
              // Every prefix length: its tokens grouped in fours, twos, ones and a rest.
              for (int n : new int[] {1, 15, 16, 17, 32, 48, 63, 64, 65, 80, 96, 112, count}) {
                byte[] blocked = new byte[n * stride];
                ResidualBlocks.block(value, codes, n, stride, blocked, 0);
                float[] got = new float[n];
                k.residualDotsBlocked(rq, row, qc, MemorySegment.ofArray(blocked), 0, n, got, 0);
                for (int t = 0; t < n; t++)
                  assertEquals(alone[t], got[t], 0f, k.name() + " n " + n + " t " + t);
                checked++;
                // Its rest as one zero-padded block of sixteen.
                int full = n / 16 * 16;
                if (full == n) continue;
                byte[] rowMajor = new byte[16 * stride];
                System.arraycopy(value, codes + full * stride, rowMajor, 0, (n - full) * stride);
                byte[] padded = new byte[16 * stride];
                ResidualBlocks.block(rowMajor, 0, 16, stride, padded, 0);
                float[] rest = new float[16];
                k.residualDotsBlocked(rq, row, qc, MemorySegment.ofArray(padded), 0, 16, rest, 0);
                for (int t = full; t < n; t++)
                  assertEquals(alone[t], rest[t - full], 0f, k.name() + " padded rest t " + t);
              }
            }
          }
        }
      }
    }
    assertEquals(3 * 4 * 2 * 2 * 3 * 13, checked);
  }
}
