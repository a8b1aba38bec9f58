package dev.latte.core.kernel;

import dev.latte.core.codec.ResidualCodebook;
import dev.latte.core.codec.TokenCodec;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Residual MaxSim on the Vector API, in the code domain: lanes are query tokens. For one stored
 * token, a vector of {@code L} query tokens starts from their centroid scores (one load from the
 * centroid-major copy of {@link ResidualQuery}'s query x centroid matrix) and adds, for every
 * nibble of the token's codes, the table row that nibble selects (one load from the by-nibble
 * table): 2R vector adds score L query tokens against the token, with no float vector of the token
 * rebuilt and no horizontal reduction per pair. Several accumulators break the add chain; two lane
 * blocks (up to 32 query tokens with 16 lanes) share one pass over the code bytes. Padding lanes
 * hold zeros everywhere, so they score 0 and add nothing. Token retrieval over row-major codes
 * ({@link #residualDots}) reads the row-major tables with plain loops ({@link LutResidualKernel});
 * over block-transposed lists ({@link #residualDotsBlocked}) it is vectorised ({@link
 * PanamaResidualScan}).
 */
final class PanamaResidualKernel implements ResidualKernelSupport {
  static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  static final int LANES = SPECIES.length();
  static final PanamaResidualKernel INSTANCE = new PanamaResidualKernel();

  @Override
  public float maxSim(ResidualQuery query, byte[] bytes, int payloadOffset, int docTokens) {
    if (docTokens == 0) return 0f;
    final int width = query.paddedTokens;
    final ResidualCodebook book = query.codebook();
    final int stride = book.codeStride(), r = book.residualBytes();
    final boolean scaled = book.scaled();
    final int codes = TokenCodec.residualCodesOffset(payloadOffset, docTokens);
    final float[] byNibble = query.byNibble();
    // q_i . c of a vector of query tokens: contiguous lanes of the centroid-major copy of the
    // query x centroid matrix (padding lanes 0), made once per query. The gathers from the
    // row-major matrix it replaced (one lane per row, K floats apart) were about half of a 128-d
    // token's cost, more once the matrix outgrows L2 (2 MiB at 16,384 centroids).
    final float[] byCentroid = query.byCentroid();
    // Row offsets of nibble p = 2b (low half of byte b) and 2b + 1 (high half) for value 0.
    final int lowStep = 32 * width, rowStep = width;
    float total = 0f;
    int lane = 0;
    // Two lane blocks at once (17 to 32 query tokens with 16 lanes, the usual query): the code
    // bytes and table offsets are read once for both.
    for (; lane + LANES < width; lane += 2 * LANES) {
      FloatVector bestA = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
      FloatVector bestB = bestA;
      for (int j = 0; j < docTokens; j++) {
        int c = ScalarResidualKernel.centroid(book, bytes, payloadOffset, j);
        FloatVector a0 = FloatVector.fromArray(SPECIES, byCentroid, c * width + lane);
        FloatVector b0 = FloatVector.fromArray(SPECIES, byCentroid, c * width + lane + LANES);
        FloatVector a1 = FloatVector.zero(SPECIES), b1 = a1, a2 = a1, b2 = a1, a3 = a1, b3 = a1;
        int at = codes + j * stride;
        int base = lane;
        int b = 0;
        for (; b + 1 < r; b += 2, base += 2 * lowStep) {
          int v = bytes[at + b], w = bytes[at + b + 1];
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
          int v = bytes[at + b];
          int i0 = base + (v & 15) * rowStep;
          int i1 = base + 16 * width + ((v >>> 4) & 15) * rowStep;
          a0 = a0.add(FloatVector.fromArray(SPECIES, byNibble, i0));
          b0 = b0.add(FloatVector.fromArray(SPECIES, byNibble, i0 + LANES));
          a1 = a1.add(FloatVector.fromArray(SPECIES, byNibble, i1));
          b1 = b1.add(FloatVector.fromArray(SPECIES, byNibble, i1 + LANES));
        }
        FloatVector sumA = a0.add(a1).add(a2.add(a3)), sumB = b0.add(b1).add(b2.add(b3));
        if (scaled) {
          float s = book.scaleOf(bytes, at);
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
        int c = ScalarResidualKernel.centroid(book, bytes, payloadOffset, j);
        FloatVector a0 = FloatVector.fromArray(SPECIES, byCentroid, c * width + lane);
        FloatVector a1 = FloatVector.zero(SPECIES);
        FloatVector a2 = FloatVector.zero(SPECIES);
        FloatVector a3 = FloatVector.zero(SPECIES);
        int at = codes + j * stride;
        int base = lane;
        int b = 0;
        for (; b + 1 < r; b += 2, base += 2 * lowStep) {
          int v = bytes[at + b], w = bytes[at + b + 1];
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
          int v = bytes[at + b];
          a0 = a0.add(FloatVector.fromArray(SPECIES, byNibble, base + (v & 15) * rowStep));
          a1 =
              a1.add(
                  FloatVector.fromArray(
                      SPECIES, byNibble, base + 16 * width + ((v >>> 4) & 15) * rowStep));
        }
        FloatVector sum = a0.add(a1).add(a2.add(a3));
        best = best.max(scaled ? sum.mul(book.scaleOf(bytes, at)) : sum);
      }
      total += best.reduceLanes(VectorOperators.ADD);
    }
    return total;
  }

  @Override
  public float maxSimListed(
      ResidualQuery query,
      byte[] ids,
      int payloadOffset,
      int docTokens,
      java.lang.foreign.MemorySegment codes,
      long[] at,
      int[] step) {
    return PanamaListedMaxSim.maxSim(query, ids, payloadOffset, docTokens, codes, at, step);
  }

  @Override
  public void residualDots(
      ResidualQuery query,
      int row,
      float centroidScore,
      byte[] codes,
      int codesOffset,
      int count,
      float[] out,
      int outOffset) {
    LutResidualKernel.INSTANCE.residualDots(
        query, row, centroidScore, codes, codesOffset, count, out, outOffset);
  }

  @Override
  public void residualDotsBlocked(
      ResidualQuery query,
      int row,
      float centroidScore,
      java.lang.foreign.MemorySegment codes,
      long offset,
      int count,
      float[] out,
      int outOffset) {
    PanamaResidualScan.residualDotsBlocked(
        query, row, centroidScore, codes, offset, count, out, outOffset);
  }
}
