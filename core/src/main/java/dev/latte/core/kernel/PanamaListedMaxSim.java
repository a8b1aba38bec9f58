package dev.latte.core.kernel;

import dev.latte.core.codec.ResidualCodebook;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link PanamaResidualKernel#maxSim} over tokens whose codes lie where the WARP lists keep them
 * (one copy of the tokens): byte b of stored token j at {@code codes[at[j] + b * step[j]]}, step 16
 * inside a block-transposed block and 1 in a list's row-major rest. The same table adds in the same
 * order as the contiguous kernel, so a document scores bit for bit as it does gathered; reading the
 * bytes where they lie saves the gather's copy of each token's whole 16-token block. Its own class:
 * the contiguous kernel's loops stay as C2 compiled them.
 */
final class PanamaListedMaxSim {
  private static final VectorSpecies<Float> SPECIES = PanamaResidualKernel.SPECIES;
  private static final int LANES = SPECIES.length();
  private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;

  private PanamaListedMaxSim() {}

  static float maxSim(
      ResidualQuery query,
      byte[] ids,
      int payloadOffset,
      int docTokens,
      MemorySegment codes,
      long[] at,
      int[] step) {
    if (docTokens == 0) return 0f;
    final int width = query.paddedTokens;
    final ResidualCodebook book = query.codebook();
    final int r = book.residualBytes();
    final boolean scaled = book.scaled();
    final float[] byNibble = query.byNibble();
    final float[] byCentroid = query.byCentroid(); // q_i . c, centroid-major, as maxSim reads it
    final int lowStep = 32 * width, rowStep = width;
    float total = 0f;
    int lane = 0;
    for (; lane + LANES < width; lane += 2 * LANES) {
      FloatVector bestA = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
      FloatVector bestB = bestA;
      for (int j = 0; j < docTokens; j++) {
        int c = ScalarResidualKernel.centroid(book, ids, payloadOffset, j);
        FloatVector a0 = FloatVector.fromArray(SPECIES, byCentroid, c * width + lane);
        FloatVector b0 = FloatVector.fromArray(SPECIES, byCentroid, c * width + lane + LANES);
        FloatVector a1 = FloatVector.zero(SPECIES), b1 = a1, a2 = a1, b2 = a1, a3 = a1, b3 = a1;
        final long from = at[j];
        final long st = step[j];
        int base = lane;
        int b = 0;
        for (; b + 1 < r; b += 2, base += 2 * lowStep) {
          int v = codes.get(BYTE, from + b * st), w = codes.get(BYTE, from + (b + 1) * st);
          int i0 = base + (v & 15) * rowStep;
          int i1 = base + 16 * width + ((v >>> 4) & 15) * rowStep;
          int i2 = base + lowStep + (w & 15) * rowStep;
          int i3 = base + lowStep + 16 * width + ((w >>> 4) & 15) * rowStep;
          a0 = a0.add(FloatVector.fromArray(SPECIES, byNibble, i0));
          b0 = b0.add(FloatVector.fromArray(SPECIES, byNibble, i0 + LANES));
          a1 = a1.add(FloatVector.fromArray(SPECIES, byNibble, i1));
          b1 = b1.add(FloatVector.fromArray(SPECIES, byNibble, i1 + LANES));
          a2 = a2.add(FloatVector.fromArray(SPECIES, byNibble, i2));
          b2 = b2.add(FloatVector.fromArray(SPECIES, byNibble, i2 + LANES));
          a3 = a3.add(FloatVector.fromArray(SPECIES, byNibble, i3));
          b3 = b3.add(FloatVector.fromArray(SPECIES, byNibble, i3 + LANES));
        }
        if (b < r) {
          int v = codes.get(BYTE, from + b * st);
          int i0 = base + (v & 15) * rowStep;
          int i1 = base + 16 * width + ((v >>> 4) & 15) * rowStep;
          a0 = a0.add(FloatVector.fromArray(SPECIES, byNibble, i0));
          b0 = b0.add(FloatVector.fromArray(SPECIES, byNibble, i0 + LANES));
          a1 = a1.add(FloatVector.fromArray(SPECIES, byNibble, i1));
          b1 = b1.add(FloatVector.fromArray(SPECIES, byNibble, i1 + LANES));
        }
        FloatVector sumA = a0.add(a1).add(a2.add(a3)), sumB = b0.add(b1).add(b2.add(b3));
        if (scaled) {
          float s = book.scale(codes.get(BYTE, from + r * st) & 0xFF);
          sumA = sumA.mul(s);
          sumB = sumB.mul(s);
        }
        bestA = bestA.max(sumA);
        bestB = bestB.max(sumB);
      }
      total += bestA.reduceLanes(VectorOperators.ADD) + bestB.reduceLanes(VectorOperators.ADD);
    }
    for (; lane < width; lane += LANES) {
      FloatVector best = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
      for (int j = 0; j < docTokens; j++) {
        int c = ScalarResidualKernel.centroid(book, ids, payloadOffset, j);
        FloatVector a0 = FloatVector.fromArray(SPECIES, byCentroid, c * width + lane);
        FloatVector a1 = FloatVector.zero(SPECIES);
        FloatVector a2 = FloatVector.zero(SPECIES);
        FloatVector a3 = FloatVector.zero(SPECIES);
        final long from = at[j];
        final long st = step[j];
        int base = lane;
        int b = 0;
        for (; b + 1 < r; b += 2, base += 2 * lowStep) {
          int v = codes.get(BYTE, from + b * st), w = codes.get(BYTE, from + (b + 1) * st);
          a0 = a0.add(FloatVector.fromArray(SPECIES, byNibble, base + (v & 15) * rowStep));
          a1 =
              a1.add(
                  FloatVector.fromArray(
                      SPECIES, byNibble, base + 16 * width + ((v >>> 4) & 15) * rowStep));
          a2 =
              a2.add(FloatVector.fromArray(SPECIES, byNibble, base + lowStep + (w & 15) * rowStep));
          a3 =
              a3.add(
                  FloatVector.fromArray(
                      SPECIES, byNibble, base + lowStep + 16 * width + ((w >>> 4) & 15) * rowStep));
        }
        if (b < r) {
          int v = codes.get(BYTE, from + b * st);
          a0 = a0.add(FloatVector.fromArray(SPECIES, byNibble, base + (v & 15) * rowStep));
          a1 =
              a1.add(
                  FloatVector.fromArray(
                      SPECIES, byNibble, base + 16 * width + ((v >>> 4) & 15) * rowStep));
        }
        FloatVector sum = a0.add(a1).add(a2.add(a3));
        best = best.max(scaled ? sum.mul(book.scale(codes.get(BYTE, from + r * st) & 0xFF)) : sum);
      }
      total += best.reduceLanes(VectorOperators.ADD);
    }
    return total;
  }
}
