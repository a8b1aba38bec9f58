package dev.latte.core.kernel;

/**
 * The block-transposed layout of a token list's residual codes, the layout {@link
 * VectorKernel#residualDotsBlocked} scans: the first {@code count / BLOCK} blocks hold {@value
 * #BLOCK} tokens each, byte b of all of them side by side ({@code [block][b][token of the block]}),
 * so one 16-byte load gives one code byte of 16 tokens, which the Vector API kernel turns into 16
 * lanes of table lookups; the last {@code count % BLOCK} tokens follow row-major (stride R each),
 * scored one by one. Same size as row-major (no padding), so a list costs R bytes per token either
 * way.
 */
public final class ResidualBlocks {
  /**
   * Tokens per block: one 512-bit vector of float lanes, and a 16-entry nibble table per vector.
   */
  public static final int BLOCK = 16;

  private ResidualBlocks() {}

  /** Byte offset, inside a list of {@code count} tokens, of byte {@code b} of token {@code t}. */
  public static long at(int count, int stride, int t, int b) {
    int full = count / BLOCK * BLOCK;
    if (t < full) return ((long) (t / BLOCK) * stride + b) * BLOCK + t % BLOCK;
    return (long) full * stride + (long) (t - full) * stride + b;
  }

  /**
   * Copies {@code count} row-major codes ({@code stride} bytes each, from {@code in[inOffset]})
   * into the blocked layout at {@code out[outOffset]} ({@code count * stride} bytes). {@code in}
   * and {@code out} must not overlap.
   */
  public static void block(
      byte[] in, int inOffset, int count, int stride, byte[] out, int outOffset) {
    for (int t = 0; t < count; t++)
      for (int b = 0; b < stride; b++)
        out[outOffset + (int) at(count, stride, t, b)] = in[inOffset + t * stride + b];
  }

  /** The inverse of {@link #block}: blocked codes back to row-major. */
  public static void unblock(
      byte[] in, int inOffset, int count, int stride, byte[] out, int outOffset) {
    for (int t = 0; t < count; t++)
      for (int b = 0; b < stride; b++)
        out[outOffset + t * stride + b] = in[inOffset + (int) at(count, stride, t, b)];
  }
}
