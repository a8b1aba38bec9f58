package dev.latte.core.kernel;

import dev.latte.core.codec.ResidualCodebook;
import dev.latte.core.codec.TokenCodec;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Residual kernels in the code domain with plain loops: {@code q_i . c} read from the query x
 * centroid matrix and {@code q_i . r} summed from the nibble lookup tables of {@link
 * ResidualQuery}, 2R table reads per (query token, stored token) pair, no float vector rebuilt. The
 * fallback of JVMs without the Vector API and the token-retrieval kernel of the Panama one.
 */
final class LutResidualKernel implements ResidualKernelSupport {
  static final LutResidualKernel INSTANCE = new LutResidualKernel();

  @Override
  public float maxSim(ResidualQuery query, byte[] bytes, int payloadOffset, int docTokens) {
    if (docTokens == 0) return 0f;
    int k = query.codebook().centroidCount();
    ResidualCodebook book = query.codebook();
    int stride = book.codeStride(), r = book.residualBytes();
    int codes = TokenCodec.residualCodesOffset(payloadOffset, docTokens);
    float total = 0f;
    for (int i = 0; i < query.tokens; i++) {
      float best = Float.NEGATIVE_INFINITY;
      for (int j = 0; j < docTokens; j++) {
        int c = ScalarResidualKernel.centroid(book, bytes, payloadOffset, j);
        int at = codes + j * stride;
        float s = query.centroidScores[i * k + c] + dot(query, i, bytes, at, r);
        if (book.scaled()) s *= book.scaleOf(bytes, at);
        if (s > best) best = s;
      }
      total += best;
    }
    return total;
  }

  /**
   * {@link #maxSim} over codes read where the lists keep them (byte b of token j at {@code at[j] +
   * b * step[j]}): the same sums in the same order, without gathering the codes into a payload.
   */
  @Override
  public float maxSimListed(
      ResidualQuery query,
      byte[] ids,
      int payloadOffset,
      int docTokens,
      MemorySegment codes,
      long[] at,
      int[] step) {
    if (docTokens == 0) return 0f;
    ResidualCodebook book = query.codebook();
    int k = book.centroidCount(), r = book.residualBytes();
    float[] lut = query.lut;
    float total = 0f;
    for (int i = 0; i < query.tokens; i++) {
      float best = Float.NEGATIVE_INFINITY;
      for (int j = 0; j < docTokens; j++) {
        int c = ScalarResidualKernel.centroid(book, ids, payloadOffset, j);
        long from = at[j], st = step[j];
        float dot = 0f;
        for (int b = 0, base = i * query.nibbles * 16; b < r; b++, base += 32) {
          int v = codes.get(ValueLayout.JAVA_BYTE, from + b * st);
          dot += lut[base + (v & 15)] + lut[base + 16 + ((v >>> 4) & 15)];
        }
        float s = query.centroidScores[i * k + c] + dot;
        if (book.scaled()) s *= book.scale(codes.get(ValueLayout.JAVA_BYTE, from + r * st) & 0xFF);
        if (s > best) best = s;
      }
      total += best;
    }
    return total;
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
    ResidualCodebook book = query.codebook();
    int stride = book.codeStride(), r = book.residualBytes();
    for (int t = 0; t < count; t++) {
      int at = codesOffset + t * stride;
      float score = dot(query, row, codes, at, r) + centroidScore;
      out[outOffset + t] = book.scaled() ? book.scaleOf(codes, at) * score : score;
    }
  }

  /**
   * Full blocks: per code byte, the two nibble tables of the row are read once for the block's 16
   * tokens; the row-major rest goes through {@link #dot}.
   */
  @Override
  public void residualDotsBlocked(
      ResidualQuery query,
      int row,
      float centroidScore,
      MemorySegment codes,
      long offset,
      int count,
      float[] out,
      int outOffset) {
    ResidualCodebook book = query.codebook();
    int stride = book.codeStride(), r = book.residualBytes(), block = ResidualBlocks.BLOCK;
    float[] lut = query.lut;
    int base = row * query.nibbles * 16;
    int full = count / block;
    for (int k = 0; k < full; k++) {
      int o = outOffset + k * block;
      java.util.Arrays.fill(out, o, o + block, 0f);
      long at = offset + (long) k * block * stride;
      for (int b = 0, l = base; b < r; b++, l += 32, at += block)
        for (int j = 0; j < block; j++) {
          int v = codes.get(ValueLayout.JAVA_BYTE, at + j);
          out[o + j] += lut[l + (v & 15)] + lut[l + 16 + ((v >>> 4) & 15)];
        }
      // at: the block's scale bytes (byte R of its 16 tokens) when scaled.
      for (int j = 0; j < block; j++) {
        float score = out[o + j] + centroidScore;
        out[o + j] =
            book.scaled()
                ? book.scale(codes.get(ValueLayout.JAVA_BYTE, at + j) & 0xFF) * score
                : score;
      }
    }
    long rest = offset + (long) full * block * stride;
    for (int t = full * block; t < count; t++, rest += stride) {
      float sum = 0f;
      for (int b = 0, l = base; b < r; b++, l += 32) {
        int v = codes.get(ValueLayout.JAVA_BYTE, rest + b);
        sum += lut[l + (v & 15)] + lut[l + 16 + ((v >>> 4) & 15)];
      }
      float score = sum + centroidScore;
      out[outOffset + t] =
          book.scaled()
              ? book.scale(codes.get(ValueLayout.JAVA_BYTE, rest + r) & 0xFF) * score
              : score;
    }
  }

  /** q_row . r for one token's R code bytes: two nibble-table reads per byte. */
  static float dot(ResidualQuery query, int row, byte[] codes, int at, int r) {
    float[] lut = query.lut;
    int base = row * query.nibbles * 16;
    float sum = 0f;
    for (int b = 0; b < r; b++, base += 32) {
      int v = codes[at + b];
      sum += lut[base + (v & 15)] + lut[base + 16 + ((v >>> 4) & 15)];
    }
    return sum;
  }
}
