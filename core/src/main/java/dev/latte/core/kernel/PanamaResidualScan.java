package dev.latte.core.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The token-list scan on the Vector API: one query row against the codes of a list in the {@link
 * ResidualBlocks} layout, lanes = 16 stored tokens. A nibble's 16-entry table of the row is exactly
 * one 512-bit float vector, so per code byte the 16 tokens' byte is loaded in one 16-byte read,
 * widened to int lanes, split into its two nibbles and both looked up with a lane permute ({@code
 * selectFrom}, one {@code vpermd}) — no gather, no float vector of any token rebuilt. Four blocks
 * share each table load and keep four independent add chains. Needs 16 float lanes (AVX-512);
 * elsewhere {@link LutResidualKernel}'s loop runs.
 */
final class PanamaResidualScan {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
  private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
  private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;

  /** Whether this JVM's vectors are wide enough (16 float lanes preferred). */
  static final boolean USABLE =
      FloatVector.SPECIES_PREFERRED.length() == ResidualBlocks.BLOCK
          && F.length() == ResidualBlocks.BLOCK;

  private PanamaResidualScan() {}

  static void residualDotsBlocked(
      ResidualQuery query,
      int row,
      MemorySegment codes,
      long offset,
      int count,
      float[] out,
      int outOffset) {
    if (!USABLE) {
      LutResidualKernel.INSTANCE.residualDotsBlocked(
          query, row, codes, offset, count, out, outOffset);
      return;
    }
    final int stride = query.codebook().residualBytes();
    final float[] lut = query.lut;
    final int base = row * query.nibbles * 16;
    final int full = count / ResidualBlocks.BLOCK;
    final long blockBytes = (long) ResidualBlocks.BLOCK * stride;
    int k = 0;
    for (; k + 4 <= full; k += 4)
      fourBlocks(
          codes,
          offset + k * blockBytes,
          blockBytes,
          stride,
          lut,
          base,
          out,
          outOffset + k * ResidualBlocks.BLOCK);
    if (k + 2 <= full) {
      twoBlocks(
          codes,
          offset + k * blockBytes,
          blockBytes,
          stride,
          lut,
          base,
          out,
          outOffset + k * ResidualBlocks.BLOCK);
      k += 2;
    }
    if (k < full)
      oneBlock(
          codes,
          offset + k * blockBytes,
          stride,
          lut,
          base,
          out,
          outOffset + k * ResidualBlocks.BLOCK);
    long rest = offset + full * blockBytes;
    for (int t = full * ResidualBlocks.BLOCK; t < count; t++, rest += stride) {
      float sum = 0f;
      for (int b = 0, l = base; b < stride; b++, l += 32) {
        int v = codes.get(ValueLayout.JAVA_BYTE, rest + b);
        sum += lut[l + (v & 15)] + lut[l + 16 + ((v >>> 4) & 15)];
      }
      out[outOffset + t] = sum;
    }
  }

  /**
   * Four consecutive blocks sharing each table load, four independent add chains. Its own small
   * method (like {@link #oneBlock}): inlined into one big loop nest, C2 stopped inlining {@link
   * #look} and the vectors boxed — the blocks after the groups of four ran at the scalar rest's
   * ~120 ns per token instead of ~9 (measured), which lists of a few dozen tokens (an index split
   * into shards) hit all the time.
   */
  private static void fourBlocks(
      MemorySegment codes,
      long at,
      long blockBytes,
      int stride,
      float[] lut,
      int base,
      float[] out,
      int o) {
    FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
    for (int b = 0, l = base; b < stride; b++, l += 32, at += ResidualBlocks.BLOCK) {
      IntVector lo = FloatVector.fromArray(F, lut, l).reinterpretAsInts();
      IntVector hi = FloatVector.fromArray(F, lut, l + 16).reinterpretAsInts();
      a0 = a0.add(look(codes, at, lo, hi));
      a1 = a1.add(look(codes, at + blockBytes, lo, hi));
      a2 = a2.add(look(codes, at + 2 * blockBytes, lo, hi));
      a3 = a3.add(look(codes, at + 3 * blockBytes, lo, hi));
    }
    a0.intoArray(out, o);
    a1.intoArray(out, o + ResidualBlocks.BLOCK);
    a2.intoArray(out, o + 2 * ResidualBlocks.BLOCK);
    a3.intoArray(out, o + 3 * ResidualBlocks.BLOCK);
  }

  /** Two consecutive blocks, two add chains (as {@link #fourBlocks}). */
  private static void twoBlocks(
      MemorySegment codes,
      long at,
      long blockBytes,
      int stride,
      float[] lut,
      int base,
      float[] out,
      int o) {
    FloatVector a0 = FloatVector.zero(F), a1 = a0;
    for (int b = 0, l = base; b < stride; b++, l += 32, at += ResidualBlocks.BLOCK) {
      IntVector lo = FloatVector.fromArray(F, lut, l).reinterpretAsInts();
      IntVector hi = FloatVector.fromArray(F, lut, l + 16).reinterpretAsInts();
      a0 = a0.add(look(codes, at, lo, hi));
      a1 = a1.add(look(codes, at + blockBytes, lo, hi));
    }
    a0.intoArray(out, o);
    a1.intoArray(out, o + ResidualBlocks.BLOCK);
  }

  /**
   * One block, one add chain over the code bytes in order: each token's sum is added up in the
   * order {@link #fourBlocks} and the row-major rest use, so a token scores the same bits whichever
   * path scans it (an index and its shards group a list's tokens differently).
   */
  private static void oneBlock(
      MemorySegment codes, long at, int stride, float[] lut, int base, float[] out, int o) {
    FloatVector a0 = FloatVector.zero(F);
    for (int b = 0, l = base; b < stride; b++, l += 32, at += ResidualBlocks.BLOCK)
      a0 =
          a0.add(
              look(
                  codes,
                  at,
                  FloatVector.fromArray(F, lut, l).reinterpretAsInts(),
                  FloatVector.fromArray(F, lut, l + 16).reinterpretAsInts()));
    a0.intoArray(out, o);
  }

  /**
   * Byte {@code at..at+15} (one code byte of 16 tokens): low-nibble plus high-nibble table entry.
   */
  private static FloatVector look(MemorySegment codes, long at, IntVector lo, IntVector hi) {
    IntVector v =
        (IntVector)
            ByteVector.fromMemorySegment(B, codes, at, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.B2I, I, 0);
    IntVector l = v.and(15).selectFrom(lo);
    IntVector h = v.lanewise(VectorOperators.LSHR, 4).and(15).selectFrom(hi);
    return l.reinterpretAsFloats().add(h.reinterpretAsFloats());
  }
}
