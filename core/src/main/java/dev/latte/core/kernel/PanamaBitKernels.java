package dev.latte.core.kernel;

import dev.latte.core.codec.TokenCodec;
import dev.latte.core.kernel.PanamaKernelSupport.Prepared;
import dev.latte.core.kernel.PanamaKernelSupport.PreparedBits;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API kernels for binary (sign-bit) token matrices, moved out of {@link
 * PanamaKernelSupport} (which prepares their query layouts): asymmetric float-query x bits through
 * byte lookup tables, and hamming through XOR + popcount in long lanes.
 */
final class PanamaBitKernels {
  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();
  private static final int CHUNK = 2 * LANES;
  private static final VectorSpecies<Long> LONG_SPECIES = LongVector.SPECIES_PREFERRED;
  private static final int LONG_LANES = LONG_SPECIES.length();
  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private PanamaBitKernels() {}

  private static float sumLanes(FloatVector v) {
    return PanamaKernelSupport.sumLanes(v);
  }

  // ---- bit, asymmetric: per-query byte lookup tables, dim/8 vector adds per document token.
  // Measured against a nibble table (16x smaller, dim/4 adds): 1.5-2x faster at dim 128 and 384,
  // although the byte table outgrows L1 (and at 384 dims L2); the cost was in the scalar index
  // arithmetic and bounds check per lookup, which bytes halve. ----

  static float maxSimBit(Prepared p, byte[] bytes, int payloadOffset, int docTokens) {
    if (docTokens == 0) {
      return 0f;
    }
    float[][] tables = p.bitTables();
    int dim = p.dim();
    float total = 0f;
    for (int c = 0; c < p.chunks; c++) {
      total +=
          p.width(c) == LANES
              ? halfChunkBit(tables[c], dim, bytes, payloadOffset, docTokens)
              : chunkBit(tables[c], dim, bytes, payloadOffset, docTokens);
    }
    return total;
  }

  /** Byte g of a stored bit row holds dimensions 8g..8g+7 (little-endian words, low bit first). */
  private static int tableRow(byte[] bytes, int at, int group, int width) {
    return ((group << 8) + (bytes[at] & 0xFF)) * width;
  }

  private static float halfChunkBit(float[] table, int dim, byte[] bytes, int off, int docTokens) {
    final int width = LANES;
    int groups = (dim + 7) >>> 3;
    int row = TokenCodec.BIT.bytesPerToken(dim);
    FloatVector max = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
    int t = 0;
    for (; t + 4 <= docTokens; t += 4) {
      int o = off + t * row;
      FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
      for (int g = 0; g < groups; g++, o++) {
        a0 = a0.add(FloatVector.fromArray(SPECIES, table, tableRow(bytes, o, g, width)));
        a1 = a1.add(FloatVector.fromArray(SPECIES, table, tableRow(bytes, o + row, g, width)));
        a2 = a2.add(FloatVector.fromArray(SPECIES, table, tableRow(bytes, o + 2 * row, g, width)));
        a3 = a3.add(FloatVector.fromArray(SPECIES, table, tableRow(bytes, o + 3 * row, g, width)));
      }
      max = max.max(a0.max(a1)).max(a2.max(a3));
    }
    for (; t < docTokens; t++) {
      int o = off + t * row;
      FloatVector a = FloatVector.zero(SPECIES);
      for (int g = 0; g < groups; g++, o++) {
        a = a.add(FloatVector.fromArray(SPECIES, table, tableRow(bytes, o, g, width)));
      }
      max = max.max(a);
    }
    return sumLanes(max);
  }

  private static float chunkBit(float[] table, int dim, byte[] bytes, int off, int docTokens) {
    final int width = CHUNK;
    int groups = (dim + 7) >>> 3;
    int row = TokenCodec.BIT.bytesPerToken(dim);
    FloatVector max0 = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
    FloatVector max1 = max0;
    int t = 0;
    for (; t + 4 <= docTokens; t += 4) {
      int o = off + t * row;
      FloatVector a00 = FloatVector.zero(SPECIES), a01 = a00, a10 = a00, a11 = a00;
      FloatVector a20 = a00, a21 = a00, a30 = a00, a31 = a00;
      for (int g = 0; g < groups; g++, o++) {
        int i0 = tableRow(bytes, o, g, width);
        int i1 = tableRow(bytes, o + row, g, width);
        int i2 = tableRow(bytes, o + 2 * row, g, width);
        int i3 = tableRow(bytes, o + 3 * row, g, width);
        a00 = a00.add(FloatVector.fromArray(SPECIES, table, i0));
        a01 = a01.add(FloatVector.fromArray(SPECIES, table, i0 + LANES));
        a10 = a10.add(FloatVector.fromArray(SPECIES, table, i1));
        a11 = a11.add(FloatVector.fromArray(SPECIES, table, i1 + LANES));
        a20 = a20.add(FloatVector.fromArray(SPECIES, table, i2));
        a21 = a21.add(FloatVector.fromArray(SPECIES, table, i2 + LANES));
        a30 = a30.add(FloatVector.fromArray(SPECIES, table, i3));
        a31 = a31.add(FloatVector.fromArray(SPECIES, table, i3 + LANES));
      }
      max0 = max0.max(a00).max(a10).max(a20).max(a30);
      max1 = max1.max(a01).max(a11).max(a21).max(a31);
    }
    for (; t < docTokens; t++) {
      int o = off + t * row;
      FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0;
      for (int g = 0; g < groups; g++, o++) {
        int i = tableRow(bytes, o, g, width);
        a0 = a0.add(FloatVector.fromArray(SPECIES, table, i));
        a1 = a1.add(FloatVector.fromArray(SPECIES, table, i + LANES));
      }
      max0 = max0.max(a0);
      max1 = max1.max(a1);
    }
    return sumLanes(max0.add(max1));
  }

  // ---- hamming: query tokens in long lanes, document words broadcast, XOR + popcount ----

  static float maxSimHamming(PreparedBits p, byte[] bytes, int payloadOffset, int docTokens) {
    if (docTokens == 0) {
      return 0f;
    }
    long sum = 0;
    int g = 0;
    for (; g + 4 <= p.groups; g += 4) {
      sum += hammingFourGroups(p, g, bytes, payloadOffset, docTokens);
    }
    for (; g < p.groups; g++) {
      sum += hammingOneGroup(p, g, bytes, payloadOffset, docTokens);
    }
    return ScalarKernelSupport.hammingScore(sum, p.dim());
  }

  /** Sum over the real tokens of groups g..g+3 of (dim - 2 * min hamming); integers, so exact. */
  private static long hammingFourGroups(
      PreparedBits p, int g, byte[] bytes, int off, int docTokens) {
    long[] qt = p.transposed;
    int words = p.words;
    int row = words * Long.BYTES;
    int stride = words * LONG_LANES;
    int q0 = g * stride;
    LongVector min0 = LongVector.broadcast(LONG_SPECIES, Long.MAX_VALUE);
    LongVector min1 = min0, min2 = min0, min3 = min0;
    for (int t = 0, o = off; t < docTokens; t++, o += row) {
      LongVector c0 = LongVector.zero(LONG_SPECIES), c1 = c0, c2 = c0, c3 = c0;
      for (int w = 0, qo = q0; w < words; w++, qo += LONG_LANES) {
        LongVector b = LongVector.broadcast(LONG_SPECIES, (long) LONG_LE.get(bytes, o + w * 8));
        c0 = c0.add(popXor(qt, qo, b));
        c1 = c1.add(popXor(qt, qo + stride, b));
        c2 = c2.add(popXor(qt, qo + 2 * stride, b));
        c3 = c3.add(popXor(qt, qo + 3 * stride, b));
      }
      min0 = min0.min(c0);
      min1 = min1.min(c1);
      min2 = min2.min(c2);
      min3 = min3.min(c3);
    }
    return groupScore(p, g, min0)
        + groupScore(p, g + 1, min1)
        + groupScore(p, g + 2, min2)
        + groupScore(p, g + 3, min3);
  }

  private static long hammingOneGroup(PreparedBits p, int g, byte[] bytes, int off, int docTokens) {
    long[] qt = p.transposed;
    int words = p.words;
    int row = words * Long.BYTES;
    int q0 = g * words * LONG_LANES;
    LongVector min = LongVector.broadcast(LONG_SPECIES, Long.MAX_VALUE);
    for (int t = 0, o = off; t < docTokens; t++, o += row) {
      LongVector c = LongVector.zero(LONG_SPECIES);
      for (int w = 0, qo = q0; w < words; w++, qo += LONG_LANES) {
        c =
            c.add(
                popXor(
                    qt,
                    qo,
                    LongVector.broadcast(LONG_SPECIES, (long) LONG_LE.get(bytes, o + w * 8))));
      }
      min = min.min(c);
    }
    return groupScore(p, g, min);
  }

  private static LongVector popXor(long[] qt, int at, LongVector docWord) {
    return LongVector.fromArray(LONG_SPECIES, qt, at)
        .lanewise(VectorOperators.XOR, docWord)
        .lanewise(VectorOperators.BIT_COUNT);
  }

  /**
   * Sum of (dim - 2 * min hamming) over the group's real lanes; an integer sum is
   * order-independent.
   */
  private static long groupScore(PreparedBits p, int g, LongVector minHamming) {
    LongVector perToken =
        LongVector.broadcast(LONG_SPECIES, p.dim())
            .sub(minHamming.lanewise(VectorOperators.LSHL, 1));
    return perToken
        .and(LongVector.fromArray(LONG_SPECIES, p.realLanes, g * LONG_LANES))
        .reduceLanes(VectorOperators.ADD);
  }
}
