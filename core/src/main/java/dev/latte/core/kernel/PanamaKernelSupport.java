package dev.latte.core.kernel;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.TokenCodec;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The kernels on the JDK Vector API. With {@link PanamaGram}, {@link PanamaDotMatrix} and the
 * residual kernels, the only classes that import {@code jdk.incubator.vector}; {@link
 * KernelProvider} loads this class reflectively, only when the module is in the boot layer.
 *
 * <p>Layout: the query is transposed once into dimension-major chunks of {@code 2 * L} query tokens
 * (L = lanes of the preferred species, 16 floats with AVX-512), zero-padded. Document rows are
 * taken {@link #BLOCK} tokens at a time into a small per-thread buffer that stays in L1 (copied
 * from a float array or a float32 payload, widened from float16/int8); for every dimension the
 * kernel loads the query vectors once and issues FMAs against broadcast document values, so each
 * lane accumulates the dot product of one query token with one document token (a full block: 16
 * accumulators). No horizontal reduction happens per pair; the running per-lane max is summed once
 * per document, in lane order. Zero-padded query lanes score exactly 0 against every token, so they
 * add nothing to the sum; a last chunk of at most L real tokens uses one vector.
 *
 * <p>Stored codecs are read in place from the value's bytes:
 *
 * <ul>
 *   <li>float32, float16 and int8: through the block buffer above (decoding bit for bit what {@link
 *       TokenCodec#decodePayload} produces).
 *   <li>bit, asymmetric: the query is expanded once into byte lookup tables (per 8 dimensions and
 *       per byte value, the query chunk's partial dot products with that sign pattern), so a
 *       document token costs dim/8 vector adds instead of dim FMAs.
 *   <li>hamming: query sign bits transposed so that one LongVector holds one 64-bit word of {@link
 *       #LONG_LANES} query tokens; each document word is broadcast, XORed and popcounted, and the
 *       per-lane minimum distance is kept. Integer arithmetic, so exact.
 * </ul>
 */
final class PanamaKernelSupport implements KernelSupport {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();
  private static final int CHUNK = 2 * LANES;
  private static final VectorSpecies<Long> LONG_SPECIES = LongVector.SPECIES_PREFERRED;
  private static final int LONG_LANES = LONG_SPECIES.length();

  private static final java.lang.foreign.ValueLayout.OfFloat FLOAT32_LE =
      java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(
          java.nio.ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle SHORT_LE =
      MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle FLOAT_LE =
      MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  static final class Prepared extends PreparedQuery {
    /** chunks x dim x CHUNK, dimension-major within a chunk. */
    final float[] transposed;

    final int chunks;

    /**
     * Byte lookup tables for {@link #maxSimBit}, built on first use (most queries never score
     * bits).
     */
    private volatile float[][] bitTables;

    Prepared(TokenMatrix m, KernelSupport owner) {
      super(m, owner);
      int dim = m.dim();
      chunks = (m.rows() + CHUNK - 1) / CHUNK;
      transposed = new float[chunks * dim * CHUNK];
      float[] q = m.data();
      for (int i = 0; i < m.rows(); i++) {
        int chunk = i / CHUNK;
        int lane = i % CHUNK;
        int base = chunk * dim * CHUNK;
        for (int d = 0; d < dim; d++) {
          transposed[base + d * CHUNK + lane] = q[i * dim + d];
        }
      }
    }

    /** Query tokens of chunk {@code c} that exist (the rest of its lanes are zero padding). */
    int realTokens(int c) {
      return Math.min(CHUNK, tokens() - c * CHUNK);
    }

    /** Lanes one chunk occupies: a chunk of at most L real tokens gets a single vector. */
    int width(int c) {
      return realTokens(c) <= LANES ? LANES : CHUNK;
    }

    float[][] bitTables() {
      float[][] tables = bitTables;
      if (tables == null) {
        // A benign race: two threads may both build identical tables; the volatile write publishes
        // fully built arrays.
        tables = new float[chunks][];
        for (int c = 0; c < chunks; c++) {
          tables[c] = buildBitTable(c);
        }
        bitTables = tables;
      }
      return tables;
    }

    /**
     * For every byte group g (dimensions 8g..8g+7, one byte of a stored bit row) and every byte
     * value v, the vector (one lane per query token of chunk c) of the query's dot product with
     * that group's part of the decoded sign vector: sum over k < 8 of (bit k of v ? +1 : -1) * q[8g
     * + k] / sqrt(dim), dimensions past dim counting 0. Layout [group][value][lane], lanes = {@link
     * #width}: 32 x the query's float size (dim x width x 128 bytes), so a document token then
     * costs dim/8 table rows instead of dim multiply-adds.
     */
    private float[] buildBitTable(int c) {
      int dim = dim();
      int groups = (dim + 7) >>> 3;
      int width = width(c);
      float unit = TokenCodec.bitUnit(dim);
      float[] q = matrix().data();
      float[] table = new float[groups * 256 * width];
      // Each byte value's sum is (sum over its low nibble) + (sum over its high nibble).
      float[] low = new float[16 * width];
      float[] high = new float[16 * width];
      for (int g = 0; g < groups; g++) {
        for (int lane = 0; lane < realTokens(c); lane++) {
          int row = (c * CHUNK + lane) * dim;
          for (int nibble = 0; nibble < 16; nibble++) {
            low[nibble * width + lane] = signedSum(q, row, 8 * g, dim, nibble, unit);
            high[nibble * width + lane] = signedSum(q, row, 8 * g + 4, dim, nibble, unit);
          }
        }
        for (int value = 0; value < 256; value++) {
          int at = (g * 256 + value) * width;
          int lo = (value & 15) * width;
          int hi = (value >>> 4) * width;
          for (int lane = 0; lane < width; lane++) {
            table[at + lane] = low[lo + lane] + high[hi + lane];
          }
        }
      }
      return table;
    }

    private static float signedSum(
        float[] q, int row, int firstDim, int dim, int nibble, float unit) {
      float sum = 0f;
      for (int k = 0; k < 4 && firstDim + k < dim; k++) {
        float term = q[row + firstDim + k] * unit;
        sum += (nibble >>> k & 1) != 0 ? term : -term;
      }
      return sum;
    }
  }

  /**
   * Sign bits of the query for hamming: groups of {@link #LONG_LANES} query tokens, word-major
   * within a group (word w of the group's tokens is one LongVector), padded tokens all-zero and
   * masked out.
   */
  static final class PreparedBits extends PreparedBitQuery {
    final long[] transposed;

    /** Per group, -1 in the lanes of real tokens and 0 in padding lanes. */
    final long[] realLanes;

    final int groups;
    final int words;

    PreparedBits(TokenMatrix m, KernelSupport owner) {
      super(m, owner);
      words = TokenCodec.bitWordsPerToken(m.dim());
      groups = (m.rows() + LONG_LANES - 1) / LONG_LANES;
      transposed = new long[groups * words * LONG_LANES];
      realLanes = new long[groups * LONG_LANES];
      for (int i = 0; i < m.rows(); i++) {
        int group = i / LONG_LANES;
        int lane = i % LONG_LANES;
        realLanes[group * LONG_LANES + lane] = -1L;
        for (int w = 0; w < words; w++) {
          transposed[(group * words + w) * LONG_LANES + lane] = word(i, w);
        }
      }
    }
  }

  @Override
  public ResidualKernelSupport residual() {
    return PanamaResidualKernel.INSTANCE;
  }

  @Override
  public int residualLanes() {
    return PanamaResidualKernel.LANES;
  }

  @Override
  public String name() {
    return "panama-" + SPECIES.vectorBitSize();
  }

  @Override
  public PreparedQuery prepare(TokenMatrix query) {
    return new Prepared(query, this);
  }

  /**
   * Rows already in a float array go through the same block path as stored payloads (8 tokens at a
   * time into the L1 block buffer), so there is one set of loops to keep right and fast.
   */
  @Override
  public float maxSim(PreparedQuery query, float[] doc, int docOffset, int docTokens) {
    return maxSimBlocks(query, null, null, doc, docOffset, docTokens);
  }

  @Override
  public PreparedBitQuery prepareBits(TokenMatrix query) {
    return new PreparedBits(query, this);
  }

  // ---- float16 and int8: decode a block of document tokens into a small per-thread buffer, then
  // run
  // the float kernel's loops over it. Widening each element at its broadcast instead (a scalar
  // conversion per element and query chunk) measured 2x slower for float16 and 1.3x for int8. ----

  /** Document tokens decoded per block: a multiple of the loops' 4- and 8-token steps. */
  private static final int BLOCK = 8;

  /** LANES bytes, or null when that is narrower than the smallest vector shape (64 bits). */
  private static final VectorSpecies<Byte> CODE_SPECIES =
      LANES * 8 >= 64 ? VectorSpecies.of(byte.class, VectorShape.forBitSize(LANES * 8)) : null;

  private static final ThreadLocal<float[]> DECODE_BUFFER =
      ThreadLocal.withInitial(() -> new float[0]);

  private static float[] decodeBuffer(int dim) {
    float[] buffer = DECODE_BUFFER.get();
    if (buffer.length < BLOCK * dim) {
      buffer = new float[BLOCK * dim];
      DECODE_BUFFER.set(buffer);
    }
    return buffer;
  }

  /**
   * Float32 straight from the stored bytes: copying 8 tokens at a time into the L1-resident block
   * buffer instead of the whole document into a scratch array keeps the data the FMAs read in L1.
   */
  @Override
  public float maxSimFloat32(PreparedQuery query, byte[] bytes, int payloadOffset, int docTokens) {
    return maxSimDecoded(query, TokenCodec.FLOAT32, bytes, payloadOffset, docTokens);
  }

  @Override
  public float maxSimFloat16(PreparedQuery query, byte[] bytes, int payloadOffset, int docTokens) {
    return maxSimDecoded(query, TokenCodec.FLOAT16, bytes, payloadOffset, docTokens);
  }

  @Override
  public float maxSimInt8(PreparedQuery query, byte[] bytes, int payloadOffset, int docTokens) {
    return maxSimDecoded(query, TokenCodec.INT8, bytes, payloadOffset, docTokens);
  }

  private float maxSimDecoded(
      PreparedQuery query, TokenCodec codec, byte[] bytes, int payloadOffset, int docTokens) {
    return maxSimBlocks(query, codec, bytes, null, payloadOffset, docTokens);
  }

  /**
   * Document rows come from a stored payload of {@code codec}, or, when codec is null, from {@code
   * floats}.
   */
  private float maxSimBlocks(
      PreparedQuery query,
      TokenCodec codec,
      byte[] bytes,
      float[] floats,
      int offset,
      int docTokens) {
    if (docTokens == 0) {
      return 0f;
    }
    Prepared p = (Prepared) query;
    int dim = p.dim();
    float[] buffer = decodeBuffer(dim);
    float total = 0f;
    for (int c = 0; c < p.chunks; c++) {
      int base = c * dim * CHUNK;
      total +=
          p.width(c) == LANES
              ? halfChunkDecoded(
                  codec, bytes, floats, p.transposed, base, dim, offset, docTokens, buffer)
              : chunkDecoded(
                  codec, bytes, floats, p.transposed, base, dim, offset, docTokens, buffer);
    }
    return total;
  }

  /**
   * Decodes tokens [from, from + n) of the payload into {@code dst[0, n * dim)}, bit for bit what
   * {@link TokenCodec#decodePayload} produces.
   */
  private static void decodeBlock(
      TokenCodec codec,
      byte[] bytes,
      float[] floats,
      int payload,
      int docTokens,
      int from,
      int n,
      int dim,
      float[] dst) {
    if (codec == null) {
      System.arraycopy(floats, payload + from * dim, dst, 0, n * dim);
      return;
    }
    if (codec == TokenCodec.FLOAT32) {
      MemorySegment.copy(
          MemorySegment.ofArray(bytes),
          FLOAT32_LE,
          payload + (long) from * dim * Float.BYTES,
          dst,
          0,
          n * dim);
    } else if (codec == TokenCodec.FLOAT16) {
      widenHalves(bytes, payload + from * dim * Short.BYTES, n * dim, dst);
    } else {
      int codes = TokenCodec.int8CodesOffset(payload, docTokens) + from * dim;
      for (int t = 0; t < n; t++) {
        float scale = (float) FLOAT_LE.get(bytes, payload + (from + t) * Float.BYTES);
        widenCodes(bytes, codes + t * dim, dim, scale, dst, t * dim);
      }
    }
  }

  /**
   * {@code count} little-endian halves from {@code bytes[from]} to floats. A plain loop: C2 turns
   * it into vector half-to-float conversions (measured 0.02 ns per value; a hand-written Vector API
   * rebias was 4x slower, and the Vector API has no half conversion).
   */
  static void widenHalves(byte[] bytes, int from, int count, float[] dst) {
    for (int i = 0; i < count; i++) {
      dst[i] = Float.float16ToFloat((short) SHORT_LE.get(bytes, from + 2 * i));
    }
  }

  /**
   * {@code count} int8 codes from {@code bytes[from]} times {@code scale}, into {@code dst[at...]}.
   * Vector API widening: 2-3x faster here than the plain loop, which C2 vectorises poorly.
   */
  static void widenCodes(byte[] bytes, int from, int count, float scale, float[] dst, int at) {
    int i = 0;
    if (CODE_SPECIES != null) {
      for (; i + LANES <= count; i += LANES) {
        ((FloatVector)
                ByteVector.fromArray(CODE_SPECIES, bytes, from + i)
                    .convertShape(VectorOperators.B2F, SPECIES, 0))
            .mul(scale)
            .intoArray(dst, at + i);
      }
    }
    for (; i < count; i++) {
      dst[at + i] = bytes[from + i] * scale;
    }
  }

  private static float halfChunkDecoded(
      TokenCodec codec,
      byte[] bytes,
      float[] floats,
      float[] qt,
      int base,
      int dim,
      int payload,
      int docTokens,
      float[] doc) {
    FloatVector max = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
    for (int from = 0; from < docTokens; from += BLOCK) {
      int n = Math.min(BLOCK, docTokens - from);
      decodeBlock(codec, bytes, floats, payload, docTokens, from, n, dim, doc);
      int t = 0;
      for (; t + 4 <= n; t += 4) {
        int o0 = t * dim;
        FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
        for (int d = 0, qo = base, o = o0; d < dim; d++, qo += CHUNK, o++) {
          FloatVector q = FloatVector.fromArray(SPECIES, qt, qo);
          a0 = q.fma(FloatVector.broadcast(SPECIES, doc[o]), a0);
          a1 = q.fma(FloatVector.broadcast(SPECIES, doc[o + dim]), a1);
          a2 = q.fma(FloatVector.broadcast(SPECIES, doc[o + 2 * dim]), a2);
          a3 = q.fma(FloatVector.broadcast(SPECIES, doc[o + 3 * dim]), a3);
        }
        max = max.max(a0.max(a1)).max(a2.max(a3));
      }
      for (; t < n; t++) {
        FloatVector a = FloatVector.zero(SPECIES);
        for (int d = 0, qo = base, o = t * dim; d < dim; d++, qo += CHUNK, o++) {
          a = FloatVector.fromArray(SPECIES, qt, qo).fma(FloatVector.broadcast(SPECIES, doc[o]), a);
        }
        max = max.max(a);
      }
    }
    return sumLanes(max);
  }

  /**
   * Two query vectors against the document, block by block. A full block of 8 tokens runs as one
   * step with 16 independent accumulators: with two FMA pipes of 4-cycle latency, 8 accumulators (a
   * 4-token step) only just keep the pipes busy and any stall idles one; 16 leave slack and still
   * fit AVX-512's 32 registers with the 2 query vectors and the broadcasts (measured +7 to +48% in
   * the JMH prototype, bit-identical scores).
   */
  private static float chunkDecoded(
      TokenCodec codec,
      byte[] bytes,
      float[] floats,
      float[] qt,
      int base,
      int dim,
      int payload,
      int docTokens,
      float[] doc) {
    FloatVector max0 = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
    FloatVector max1 = max0;
    for (int from = 0; from < docTokens; from += BLOCK) {
      int n = Math.min(BLOCK, docTokens - from);
      decodeBlock(codec, bytes, floats, payload, docTokens, from, n, dim, doc);
      int t = 0;
      if (n == BLOCK) {
        FloatVector a00 = FloatVector.zero(SPECIES),
            a01 = a00,
            a10 = a00,
            a11 = a00,
            a20 = a00,
            a21 = a00,
            a30 = a00,
            a31 = a00;
        FloatVector a40 = a00,
            a41 = a00,
            a50 = a00,
            a51 = a00,
            a60 = a00,
            a61 = a00,
            a70 = a00,
            a71 = a00;
        for (int d = 0, qo = base; d < dim; d++, qo += CHUNK) {
          FloatVector q0 = FloatVector.fromArray(SPECIES, qt, qo);
          FloatVector q1 = FloatVector.fromArray(SPECIES, qt, qo + LANES);
          FloatVector b = FloatVector.broadcast(SPECIES, doc[d]);
          a00 = q0.fma(b, a00);
          a01 = q1.fma(b, a01);
          b = FloatVector.broadcast(SPECIES, doc[dim + d]);
          a10 = q0.fma(b, a10);
          a11 = q1.fma(b, a11);
          b = FloatVector.broadcast(SPECIES, doc[2 * dim + d]);
          a20 = q0.fma(b, a20);
          a21 = q1.fma(b, a21);
          b = FloatVector.broadcast(SPECIES, doc[3 * dim + d]);
          a30 = q0.fma(b, a30);
          a31 = q1.fma(b, a31);
          b = FloatVector.broadcast(SPECIES, doc[4 * dim + d]);
          a40 = q0.fma(b, a40);
          a41 = q1.fma(b, a41);
          b = FloatVector.broadcast(SPECIES, doc[5 * dim + d]);
          a50 = q0.fma(b, a50);
          a51 = q1.fma(b, a51);
          b = FloatVector.broadcast(SPECIES, doc[6 * dim + d]);
          a60 = q0.fma(b, a60);
          a61 = q1.fma(b, a61);
          b = FloatVector.broadcast(SPECIES, doc[7 * dim + d]);
          a70 = q0.fma(b, a70);
          a71 = q1.fma(b, a71);
        }
        max0 = max0.max(a00.max(a10).max(a20.max(a30))).max(a40.max(a50).max(a60.max(a70)));
        max1 = max1.max(a01.max(a11).max(a21.max(a31))).max(a41.max(a51).max(a61.max(a71)));
        t = BLOCK;
      }
      for (; t < n; t++) {
        int o = t * dim;
        FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0;
        for (int d = 0, qo = base; d < dim; d++, qo += CHUNK) {
          FloatVector b = FloatVector.broadcast(SPECIES, doc[o + d]);
          a0 = FloatVector.fromArray(SPECIES, qt, qo).fma(b, a0);
          a1 = FloatVector.fromArray(SPECIES, qt, qo + LANES).fma(b, a1);
        }
        max0 = max0.max(a0);
        max1 = max1.max(a1);
      }
    }
    return sumLanes(max0.add(max1));
  }

  /** {@link PanamaBitKernels} (the bit and hamming kernels, in their own class). */
  @Override
  public float maxSimBit(PreparedQuery query, byte[] bytes, int payloadOffset, int docTokens) {
    return PanamaBitKernels.maxSimBit((Prepared) query, bytes, payloadOffset, docTokens);
  }

  @Override
  public float maxSimHamming(
      PreparedBitQuery query, byte[] bytes, int payloadOffset, int docTokens) {
    return PanamaBitKernels.maxSimHamming((PreparedBits) query, bytes, payloadOffset, docTokens);
  }

  /**
   * Sums lanes in a fixed order: reduceLanes(ADD) may associate differently once intrinsified, and
   * a score must not change in its last bit depending on JIT state.
   */
  static float sumLanes(FloatVector v) {
    float total = 0f;
    for (int i = 0; i < LANES; i++) total += v.lane(i);
    return total;
  }

  /** {@link PanamaDotMatrix} (its own class: register-blocked, and this one is big enough). */
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
    PanamaDotMatrix.dotMatrix(a, aOffset, rows, bt, cols, from, to, dim, out);
  }

  @Override
  public int panelWidth() {
    return PanamaDotMatrix.PANEL;
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
    PanamaDotMatrix.dotMatrixPanels(a, aOffset, rows, panels, cols, from, to, dim, out);
  }

  @Override
  public void upperGram(float[] data, int rowOffset, int m, int dim, double[] gram) {
    PanamaGram.upperGram(data, rowOffset, m, dim, gram);
  }

  /**
   * Each token is widened once into an L1 buffer, then dotted with each selected query row: four
   * vector accumulators over the dimensions and one lane reduction per (token, row). Beats the
   * transposed MaxSim layout when only one to three query rows meet each token.
   */
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
    float[] row = decodeBuffer(dim);
    int codes = TokenCodec.int8CodesOffset(payloadOffset, docTokens);
    int full = dim - dim % LANES;
    for (int t = 0; t < docTokens; t++) {
      float scale = (float) FLOAT_LE.get(bytes, payloadOffset + t * Float.BYTES);
      widenCodes(bytes, codes + t * dim, dim, scale, row, 0);
      for (int r = 0; r < nRows; r++) {
        int q = rows[r] * dim;
        FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
        int d = 0;
        for (; d + 4 * LANES <= full; d += 4 * LANES) {
          a0 =
              FloatVector.fromArray(SPECIES, query, q + d)
                  .fma(FloatVector.fromArray(SPECIES, row, d), a0);
          a1 =
              FloatVector.fromArray(SPECIES, query, q + d + LANES)
                  .fma(FloatVector.fromArray(SPECIES, row, d + LANES), a1);
          a2 =
              FloatVector.fromArray(SPECIES, query, q + d + 2 * LANES)
                  .fma(FloatVector.fromArray(SPECIES, row, d + 2 * LANES), a2);
          a3 =
              FloatVector.fromArray(SPECIES, query, q + d + 3 * LANES)
                  .fma(FloatVector.fromArray(SPECIES, row, d + 3 * LANES), a3);
        }
        for (; d < full; d += LANES) {
          a0 =
              FloatVector.fromArray(SPECIES, query, q + d)
                  .fma(FloatVector.fromArray(SPECIES, row, d), a0);
        }
        float acc = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        for (; d < dim; d++) acc += query[q + d] * row[d];
        out[t * nRows + r] = acc;
      }
    }
  }
}
