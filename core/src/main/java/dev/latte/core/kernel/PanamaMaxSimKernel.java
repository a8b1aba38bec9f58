package dev.latte.core.kernel;

import dev.latte.core.TokenMatrix;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * MaxSim on the JDK Vector API; the only class that imports {@code jdk.incubator.vector}.
 *
 * <p>Layout: the query is transposed once into dimension-major chunks of {@code 2 * L} query tokens
 * (L = lanes of the preferred species, 16 floats with AVX-512), zero-padded. Scoring then walks the
 * row-major document four tokens at a time: for every dimension it loads the two query vectors once
 * and issues eight FMAs against four broadcast document values, so each lane accumulates the dot
 * product of one query token with one document token. No horizontal reduction happens per pair;
 * the running per-lane max is summed once per document, in lane order. Zero-padded query lanes score exactly 0
 * against every token, so they add nothing to the sum.
 */
final class PanamaMaxSimKernel implements MaxSimKernel {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();
  private static final int CHUNK = 2 * LANES;

  private static final class Prepared extends PreparedQuery {
    /** chunks x dim x CHUNK, dimension-major within a chunk. */
    final float[] transposed;

    final int chunks;

    Prepared(TokenMatrix m) {
      super(m);
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
  }

  @Override
  public String name() {
    return "panama-" + SPECIES.vectorBitSize();
  }

  @Override
  public PreparedQuery prepare(TokenMatrix query) {
    return new Prepared(query);
  }

  @Override
  public float maxSim(PreparedQuery query, float[] doc, int docOffset, int docTokens) {
    if (docTokens == 0) {
      return 0f;
    }
    Prepared p = (Prepared) query;
    int dim = p.dim();
    float total = 0f;
    for (int c = 0; c < p.chunks; c++) {
      int base = c * dim * CHUNK;
      // A last chunk of at most L real tokens (most queries of a 16-lane machine) needs one vector.
      boolean half = p.tokens() - c * CHUNK <= LANES;
      total += half ? halfChunk(p.transposed, base, dim, doc, docOffset, docTokens) : chunk(p.transposed, base, dim, doc, docOffset, docTokens);
    }
    return total;
  }

  /** One query vector (L tokens) against the document, eight document tokens per step. */
  private static float halfChunk(float[] qt, int base, int dim, float[] doc, int docOffset, int docTokens) {
    FloatVector max = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
    int t = 0;
    for (; t + 8 <= docTokens; t += 8) {
      int o0 = docOffset + t * dim;
      FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
      for (int d = 0, qo = base; d < dim; d++, qo += CHUNK) {
        FloatVector q = FloatVector.fromArray(SPECIES, qt, qo);
        int o = o0 + d;
        a0 = q.fma(FloatVector.broadcast(SPECIES, doc[o]), a0);
        a1 = q.fma(FloatVector.broadcast(SPECIES, doc[o + dim]), a1);
        a2 = q.fma(FloatVector.broadcast(SPECIES, doc[o + 2 * dim]), a2);
        a3 = q.fma(FloatVector.broadcast(SPECIES, doc[o + 3 * dim]), a3);
        a4 = q.fma(FloatVector.broadcast(SPECIES, doc[o + 4 * dim]), a4);
        a5 = q.fma(FloatVector.broadcast(SPECIES, doc[o + 5 * dim]), a5);
        a6 = q.fma(FloatVector.broadcast(SPECIES, doc[o + 6 * dim]), a6);
        a7 = q.fma(FloatVector.broadcast(SPECIES, doc[o + 7 * dim]), a7);
      }
      max = max.max(a0.max(a1).max(a2.max(a3))).max(a4.max(a5).max(a6.max(a7)));
    }
    for (; t < docTokens; t++) {
      int o = docOffset + t * dim;
      FloatVector a = FloatVector.zero(SPECIES);
      for (int d = 0, qo = base; d < dim; d++, qo += CHUNK) {
        a = FloatVector.fromArray(SPECIES, qt, qo).fma(FloatVector.broadcast(SPECIES, doc[o + d]), a);
      }
      max = max.max(a);
    }
    return sumLanes(max);
  }

  private static float chunk(float[] qt, int base, int dim, float[] doc, int docOffset, int docTokens) {
    FloatVector max0 = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
    FloatVector max1 = max0;
    int t = 0;
    for (; t + 4 <= docTokens; t += 4) {
      int o0 = docOffset + t * dim;
      int o1 = o0 + dim;
      int o2 = o1 + dim;
      int o3 = o2 + dim;
      FloatVector a00 = FloatVector.zero(SPECIES), a01 = a00, a10 = a00, a11 = a00;
      FloatVector a20 = a00, a21 = a00, a30 = a00, a31 = a00;
      for (int d = 0, qo = base; d < dim; d++, qo += CHUNK) {
        FloatVector q0 = FloatVector.fromArray(SPECIES, qt, qo);
        FloatVector q1 = FloatVector.fromArray(SPECIES, qt, qo + LANES);
        FloatVector b0 = FloatVector.broadcast(SPECIES, doc[o0 + d]);
        FloatVector b1 = FloatVector.broadcast(SPECIES, doc[o1 + d]);
        FloatVector b2 = FloatVector.broadcast(SPECIES, doc[o2 + d]);
        FloatVector b3 = FloatVector.broadcast(SPECIES, doc[o3 + d]);
        a00 = q0.fma(b0, a00);
        a01 = q1.fma(b0, a01);
        a10 = q0.fma(b1, a10);
        a11 = q1.fma(b1, a11);
        a20 = q0.fma(b2, a20);
        a21 = q1.fma(b2, a21);
        a30 = q0.fma(b3, a30);
        a31 = q1.fma(b3, a31);
      }
      max0 = max0.max(a00).max(a10).max(a20).max(a30);
      max1 = max1.max(a01).max(a11).max(a21).max(a31);
    }
    for (; t < docTokens; t++) {
      int o = docOffset + t * dim;
      FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0;
      for (int d = 0, qo = base; d < dim; d++, qo += CHUNK) {
        FloatVector b = FloatVector.broadcast(SPECIES, doc[o + d]);
        a0 = FloatVector.fromArray(SPECIES, qt, qo).fma(b, a0);
        a1 = FloatVector.fromArray(SPECIES, qt, qo + LANES).fma(b, a1);
      }
      max0 = max0.max(a0);
      max1 = max1.max(a1);
    }
    return sumLanes(max0.add(max1));
  }

  /**
   * Sums lanes in a fixed order: reduceLanes(ADD) may associate differently once intrinsified, and a
   * score must not change in its last bit depending on JIT state.
   */
  private static float sumLanes(FloatVector v) {
    float total = 0f;
    for (int i = 0; i < LANES; i++) total += v.lane(i);
    return total;
  }
}
