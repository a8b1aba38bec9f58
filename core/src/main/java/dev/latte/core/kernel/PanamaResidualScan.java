package dev.latte.core.kernel;

import dev.latte.core.codec.ResidualCodebook;
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
      float qc,
      MemorySegment codes,
      long offset,
      int count,
      float[] out,
      int outOffset) {
    if (!USABLE) {
      LutResidualKernel.INSTANCE.residualDotsBlocked(
          query, row, qc, codes, offset, count, out, outOffset);
      return;
    }
    final ResidualCodebook book = query.codebook();
    final Tail tail = new Tail(qc, book.scaleLow(), book.scaleStep(), book.scaled());
    final int stride = book.codeStride(), r = book.residualBytes();
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
          r,
          lut,
          base,
          tail,
          out,
          outOffset + k * ResidualBlocks.BLOCK);
    if (k + 2 <= full) {
      twoBlocks(
          codes,
          offset + k * blockBytes,
          blockBytes,
          r,
          lut,
          base,
          tail,
          out,
          outOffset + k * ResidualBlocks.BLOCK);
      k += 2;
    }
    if (k < full)
      oneBlock(
          codes,
          offset + k * blockBytes,
          r,
          lut,
          base,
          tail,
          out,
          outOffset + k * ResidualBlocks.BLOCK);
    long rest = offset + full * blockBytes;
    for (int t = full * ResidualBlocks.BLOCK; t < count; t++, rest += stride) {
      float sum = 0f;
      for (int b = 0, l = base; b < r; b++, l += 32) {
        int v = codes.get(ValueLayout.JAVA_BYTE, rest + b);
        sum += lut[l + (v & 15)] + lut[l + 16 + ((v >>> 4) & 15)];
      }
      float score = sum + qc;
      out[outOffset + t] =
          tail.scaled
              ? book.scale(codes.get(ValueLayout.JAVA_BYTE, rest + r) & 0xFF) * score
              : score;
    }
  }

  /**
   * What turns a block's summed residual dots into scores: {@code s . (sum + qc)}, s decoded from
   * the block's scale bytes as {@code u * step + low} (the codebook's float expression), or {@code
   * sum + qc} without scales.
   */
  private record Tail(float qc, float low, float step, boolean scaled) {}

  /**
   * Four consecutive blocks sharing each table load, four independent add chains. Its own small
   * method (like {@link #oneBlock}): inlined into one big loop nest, C2 stopped inlining {@link
   * #look} and the vectors boxed — the blocks after the groups of four ran at the scalar rest's
   * ~120 ns per token instead of ~9 (measured), which lists of a few dozen tokens (an index split
   * into shards) hit all the time. After the R code bytes, {@code at} points at the blocks' scale
   * bytes (byte R of each of their 16 tokens).
   */
  private static void fourBlocks(
      MemorySegment codes,
      long at,
      long blockBytes,
      int r,
      float[] lut,
      int base,
      Tail tail,
      float[] out,
      int o) {
    FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
    for (int b = 0, l = base; b < r; b++, l += 32, at += ResidualBlocks.BLOCK) {
      IntVector lo = FloatVector.fromArray(F, lut, l).reinterpretAsInts();
      IntVector hi = FloatVector.fromArray(F, lut, l + 16).reinterpretAsInts();
      a0 = a0.add(look(codes, at, lo, hi));
      a1 = a1.add(look(codes, at + blockBytes, lo, hi));
      a2 = a2.add(look(codes, at + 2 * blockBytes, lo, hi));
      a3 = a3.add(look(codes, at + 3 * blockBytes, lo, hi));
    }
    finish(a0, codes, at, tail).intoArray(out, o);
    finish(a1, codes, at + blockBytes, tail).intoArray(out, o + ResidualBlocks.BLOCK);
    finish(a2, codes, at + 2 * blockBytes, tail).intoArray(out, o + 2 * ResidualBlocks.BLOCK);
    finish(a3, codes, at + 3 * blockBytes, tail).intoArray(out, o + 3 * ResidualBlocks.BLOCK);
  }

  /** Two consecutive blocks, two add chains (as {@link #fourBlocks}). */
  private static void twoBlocks(
      MemorySegment codes,
      long at,
      long blockBytes,
      int r,
      float[] lut,
      int base,
      Tail tail,
      float[] out,
      int o) {
    FloatVector a0 = FloatVector.zero(F), a1 = a0;
    for (int b = 0, l = base; b < r; b++, l += 32, at += ResidualBlocks.BLOCK) {
      IntVector lo = FloatVector.fromArray(F, lut, l).reinterpretAsInts();
      IntVector hi = FloatVector.fromArray(F, lut, l + 16).reinterpretAsInts();
      a0 = a0.add(look(codes, at, lo, hi));
      a1 = a1.add(look(codes, at + blockBytes, lo, hi));
    }
    finish(a0, codes, at, tail).intoArray(out, o);
    finish(a1, codes, at + blockBytes, tail).intoArray(out, o + ResidualBlocks.BLOCK);
  }

  /**
   * One block, one add chain over the code bytes in order: each token's sum is added up in the
   * order {@link #fourBlocks} and the row-major rest use, so a token scores the same bits whichever
   * path scans it (an index and its shards group a list's tokens differently).
   */
  private static void oneBlock(
      MemorySegment codes, long at, int r, float[] lut, int base, Tail tail, float[] out, int o) {
    FloatVector a0 = FloatVector.zero(F);
    for (int b = 0, l = base; b < r; b++, l += 32, at += ResidualBlocks.BLOCK)
      a0 =
          a0.add(
              look(
                  codes,
                  at,
                  FloatVector.fromArray(F, lut, l).reinterpretAsInts(),
                  FloatVector.fromArray(F, lut, l + 16).reinterpretAsInts()));
    finish(a0, codes, at, tail).intoArray(out, o);
  }

  /**
   * {@code sum + qc}, times the 16 tokens' scales (bytes {@code at..at+15}) when scaled: the scale
   * codes widened unsigned, converted and decoded as {@code u * step + low}, bit for bit the
   * codebook's {@code scale(u)}.
   */
  private static FloatVector finish(FloatVector sum, MemorySegment codes, long at, Tail tail) {
    FloatVector score = sum.add(tail.qc);
    if (!tail.scaled) return score;
    IntVector u =
        ((IntVector)
                ByteVector.fromMemorySegment(B, codes, at, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2I, I, 0))
            .and(0xFF);
    FloatVector s = ((FloatVector) u.convert(VectorOperators.I2F, 0)).mul(tail.step).add(tail.low);
    return s.mul(score);
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
