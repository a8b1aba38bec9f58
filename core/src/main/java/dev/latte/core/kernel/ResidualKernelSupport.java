package dev.latte.core.kernel;

import java.lang.foreign.MemorySegment;

/**
 * The residual-code kernels of one {@link KernelSupport} (kept in their own classes: the float
 * kernels are big enough). Implementations trust their arguments; {@link VectorKernel} checks them.
 */
interface ResidualKernelSupport {

  /**
   * MaxSim against a residual payload of {@code docTokens} tokens: sum over query tokens i of the
   * max over tokens j of {@code q_i . c[id_j] + q_i . r_j}; 0 for no tokens.
   */
  float maxSim(ResidualQuery query, byte[] bytes, int payloadOffset, int docTokens);

  /**
   * {@code out[outOffset + t] = q_row . r_t} (the residual part only) for {@code count} tokens
   * whose packed codes sit back to back from {@code codes[codesOffset]} (stride R, no centroid
   * ids).
   */
  void residualDots(
      ResidualQuery query,
      int row,
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
      MemorySegment codes,
      long offset,
      int count,
      float[] out,
      int outOffset);
}
