package dev.latte.core.kernel;

import java.lang.foreign.MemorySegment;

/**
 * The residual-code kernels of one {@link KernelSupport} (kept in their own classes: the float
 * kernels are big enough). Implementations trust their arguments; {@link VectorKernel} checks them.
 */
interface ResidualKernelSupport {

  /**
   * MaxSim against a residual payload of {@code docTokens} tokens: sum over query tokens i of the
   * max over tokens j of {@code s_j . (q_i . c[id_j] + q_i . r_j)} (s_j = 1 without scales); 0 for
   * no tokens.
   */
  float maxSim(ResidualQuery query, byte[] bytes, int payloadOffset, int docTokens);

  /**
   * {@link #maxSim} over tokens whose codes are not contiguous (where the WARP lists keep them):
   * the centroid id of token j is the payload's ({@code ids} from {@code payloadOffset}, ids only),
   * its code byte b (the scale byte after the R code bytes) at {@code codes[at[j] + b * step[j]]}.
   * The reference gathers the codes into a payload and calls {@link #maxSim}.
   */
  default float maxSimListed(
      ResidualQuery query,
      byte[] ids,
      int payloadOffset,
      int docTokens,
      MemorySegment codes,
      long[] at,
      int[] step) {
    int stride = query.codebook().codeStride();
    byte[] payload = new byte[docTokens * (Short.BYTES + stride)];
    System.arraycopy(ids, payloadOffset, payload, 0, docTokens * Short.BYTES);
    for (int j = 0; j < docTokens; j++)
      for (int b = 0; b < stride; b++)
        payload[docTokens * Short.BYTES + j * stride + b] =
            codes.get(java.lang.foreign.ValueLayout.JAVA_BYTE, at[j] + (long) b * step[j]);
    return maxSim(query, payload, 0, docTokens);
  }

  /**
   * {@code out[outOffset + t] = s_t . (q_row . r_t + centroidScore)} for {@code count} tokens of
   * one centroid (one list; {@code centroidScore} = q_row . c) whose codes sit back to back from
   * {@code codes[codesOffset]} (stride {@code codeStride}, no centroid ids). Without scales, {@code
   * (q_row . r_t) + centroidScore}: the bits the lists scored before scales existed.
   */
  void residualDots(
      ResidualQuery query,
      int row,
      float centroidScore,
      byte[] codes,
      int codesOffset,
      int count,
      float[] out,
      int outOffset);

  /**
   * {@link #residualDots} over a list whose codes are in the {@link ResidualBlocks} layout, read in
   * place from {@code codes} at byte {@code offset} (a memory-mapped list file or a heap segment).
   */
  void residualDotsBlocked(
      ResidualQuery query,
      int row,
      float centroidScore,
      MemorySegment codes,
      long offset,
      int count,
      float[] out,
      int outOffset);
}
