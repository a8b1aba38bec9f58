package dev.latte.core.kernel;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.TokenCodec;

/**
 * The reference kernel: plain loops, the definition every other kernel is tested against. The codec
 * methods decode the document with {@link TokenCodec#decodePayload} and reuse the float dot
 * product, so they compute, by construction, the float MaxSim over the decoded document.
 */
final class ScalarKernelSupport implements KernelSupport {

  private static final class Prepared extends PreparedQuery {
    Prepared(TokenMatrix m, KernelSupport owner) {
      super(m, owner);
    }
  }

  private static final class PreparedBits extends PreparedBitQuery {
    PreparedBits(TokenMatrix m, KernelSupport owner) {
      super(m, owner);
    }
  }

  private final ResidualKernelSupport residual;

  /** The reference: residual codes decoded, then dotted. */
  ScalarKernelSupport() {
    this(ScalarResidualKernel.INSTANCE);
  }

  /** With other residual kernels, e.g. the code-domain {@link LutResidualKernel}. */
  ScalarKernelSupport(ResidualKernelSupport residual) {
    this.residual = residual;
  }

  @Override
  public ResidualKernelSupport residual() {
    return residual;
  }

  @Override
  public String name() {
    return residual == ScalarResidualKernel.INSTANCE ? "scalar" : "scalar-lut";
  }

  @Override
  public PreparedQuery prepare(TokenMatrix query) {
    return new Prepared(query, this);
  }

  @Override
  public PreparedBitQuery prepareBits(TokenMatrix query) {
    return new PreparedBits(query, this);
  }

  @Override
  public float maxSim(PreparedQuery query, float[] doc, int docOffset, int docTokens) {
    if (docTokens == 0) {
      return 0f;
    }
    float[] q = query.matrix().data();
    int dim = query.dim();
    float total = 0f;
    for (int i = 0; i < query.tokens(); i++) {
      float best = Float.NEGATIVE_INFINITY;
      for (int j = 0; j < docTokens; j++) {
        float dot = dot(q, i * dim, doc, docOffset + j * dim, dim);
        if (dot > best) {
          best = dot;
        }
      }
      total += best;
    }
    return total;
  }

  @Override
  public float maxSimFloat32(PreparedQuery query, byte[] bytes, int payloadOffset, int docTokens) {
    return decodeThenDot(query, TokenCodec.FLOAT32, bytes, payloadOffset, docTokens);
  }

  @Override
  public float maxSimFloat16(PreparedQuery query, byte[] bytes, int payloadOffset, int docTokens) {
    return decodeThenDot(query, TokenCodec.FLOAT16, bytes, payloadOffset, docTokens);
  }

  @Override
  public float maxSimInt8(PreparedQuery query, byte[] bytes, int payloadOffset, int docTokens) {
    return decodeThenDot(query, TokenCodec.INT8, bytes, payloadOffset, docTokens);
  }

  @Override
  public float maxSimBit(PreparedQuery query, byte[] bytes, int payloadOffset, int docTokens) {
    return decodeThenDot(query, TokenCodec.BIT, bytes, payloadOffset, docTokens);
  }

  /**
   * Float MaxSim over the decoded document; allocates the decoded copy: a reference, not a hot
   * path.
   */
  private static float decodeThenDot(
      PreparedQuery query, TokenCodec codec, byte[] bytes, int payloadOffset, int docTokens) {
    if (docTokens == 0) {
      return 0f;
    }
    int dim = query.dim();
    float[] doc = codec.decodePayload(bytes, payloadOffset, docTokens, dim).data();
    float[] q = query.matrix().data();
    float total = 0f;
    for (int i = 0; i < query.tokens(); i++) {
      float best = Float.NEGATIVE_INFINITY;
      for (int j = 0; j < docTokens; j++) {
        best = Math.max(best, dot(q, i * dim, doc, j * dim, dim));
      }
      total += best;
    }
    return total;
  }

  @Override
  public float maxSimHamming(
      PreparedBitQuery query, byte[] bytes, int payloadOffset, int docTokens) {
    if (docTokens == 0) {
      return 0f;
    }
    int dim = query.dim();
    float[] q = query.matrix().data();
    int words = TokenCodec.bitWordsPerToken(dim);
    long total = 0;
    for (int i = 0; i < query.tokens(); i++) {
      int best = Integer.MAX_VALUE;
      for (int j = 0; j < docTokens; j++) {
        // Bit by bit from the float signs and the stored bytes, independent of the packed query.
        int hamming = 0;
        for (int d = 0; d < dim; d++) {
          int at = payloadOffset + (j * words + d / 64) * Long.BYTES + (d % 64) / 8;
          boolean docBit = (bytes[at] >>> (d % 8) & 1) != 0;
          boolean queryBit = q[i * dim + d] >= 0f;
          if (docBit != queryBit) hamming++;
        }
        best = Math.min(best, hamming);
      }
      total += dim - 2L * best;
    }
    return hammingScore(total, dim);
  }

  /**
   * The hamming MaxSim from the exact integer sum over query tokens of (dim - 2 * min hamming): one
   * rounding, so every kernel returns the identical float.
   */
  static float hammingScore(long sumOfDimMinusTwiceHamming, int dim) {
    return (float) ((double) sumOfDimMinusTwiceHamming / dim);
  }

  static float dot(float[] a, int aOffset, float[] b, int bOffset, int dim) {
    float sum = 0f;
    for (int d = 0; d < dim; d++) {
      sum += a[aOffset + d] * b[bOffset + d];
    }
    return sum;
  }

  @Override
  public void dotMatrixColumns(
      float[] a,
      int aOffset,
      int rows,
      float[] bt,
      int cols,
      int from,
      int to,
      int dim,
      float[] out) {
    for (int i = 0; i < rows; i++) {
      for (int j = from; j < to; j++) {
        float acc = 0f;
        for (int d = 0; d < dim; d++) acc += a[aOffset + i * dim + d] * bt[d * cols + j];
        out[i * cols + j] = acc;
      }
    }
  }

  /** Any width serves the scalar loops; 16 keeps a panel's row in one cache line. */
  @Override
  public int panelWidth() {
    return 16;
  }

  @Override
  public void dotMatrixPanels(
      float[] a,
      int aOffset,
      int rows,
      float[] panels,
      int cols,
      int from,
      int to,
      int dim,
      float[] out) {
    int w = panelWidth();
    for (int i = 0; i < rows; i++) {
      for (int j = from; j < to; j++) {
        int at = j / w * dim * w + j % w;
        float acc = 0f;
        for (int d = 0; d < dim; d++) acc += a[aOffset + i * dim + d] * panels[at + d * w];
        out[i * cols + j] = acc;
      }
    }
  }

  @Override
  public void upperGram(float[] data, int rowOffset, int m, int dim, double[] gram) {
    ScalarGram.upperGram(data, rowOffset, m, dim, gram);
  }

  @Override
  public void dotsInt8(
      float[] query,
      int dim,
      int[] rows,
      int nRows,
      byte[] bytes,
      int payloadOffset,
      int docTokens,
      float[] out) {
    float[] doc = TokenCodec.INT8.decodePayload(bytes, payloadOffset, docTokens, dim).data();
    for (int t = 0; t < docTokens; t++) {
      for (int r = 0; r < nRows; r++) {
        out[t * nRows + r] = dot(query, rows[r] * dim, doc, t * dim, dim);
      }
    }
  }
}
