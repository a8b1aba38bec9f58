package dev.latte.benchmarks;

import dev.latte.core.TokenMatrix;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * PROTOTYPE, benchmarks only: core's {@code PanamaMaxSimKernel} with a wider register tile.
 *
 * <p>Same query layout (dimension-major chunks of 2 * L query tokens, zero padded) and same
 * arithmetic, but the main loop takes <b>8</b> document tokens per step instead of 4: 16
 * independent FMA accumulators instead of 8, and 10 loads (2 query vectors + 8 broadcasts) per 16
 * FMAs instead of 6 per 8. With 2 FMA pipes of 4-cycle latency (Zen 4/5, Ice Lake and later) 8
 * accumulators exactly fill the pipes with no slack, so any stall shows; 16 leave slack, and 16 + 2
 * + 8 = 26 vector registers still fit the 32 of AVX-512. Remainders fall back to 4- and 1-token
 * steps. Used to measure whether the change is worth making in core.
 *
 * <p>Every lane still accumulates its dot product over the dimensions in the same order, and the
 * lanes are summed in lane order as core does, so for full chunks (e.g. 32 query tokens with 16
 * lanes) the scores are bitwise identical to core's float32 kernel (checked by the tests at the time
 * of writing). Core handles a last chunk of at most L tokens with a one-vector loop; this prototype
 * always uses two vectors, so compare it on 32-token queries only. Deliberately not a {@code
 * MaxSimKernel}: that interface grows codec methods this measurement does not need.
 */
final class WideTilePanamaKernel {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();
  private static final int CHUNK = 2 * LANES;

  static final class Prepared {
    final float[] transposed;
    final int chunks;
    final int dim;

    Prepared(TokenMatrix m) {
      dim = m.dim();
      chunks = (m.rows() + CHUNK - 1) / CHUNK;
      transposed = new float[chunks * dim * CHUNK];
      float[] q = m.data();
      for (int i = 0; i < m.rows(); i++) {
        int base = (i / CHUNK) * dim * CHUNK;
        for (int d = 0; d < dim; d++) {
          transposed[base + d * CHUNK + i % CHUNK] = q[i * dim + d];
        }
      }
    }
  }

  String name() {
    return "panama-wide-" + SPECIES.vectorBitSize();
  }

  Prepared prepare(TokenMatrix query) {
    return new Prepared(query);
  }

  float maxSim(Prepared p, float[] doc, int docOffset, int docTokens) {
    if (docTokens == 0) {
      return 0f;
    }
    int dim = p.dim;
    float total = 0f;
    for (int c = 0; c < p.chunks; c++) {
      total += chunk(p.transposed, c * dim * CHUNK, dim, doc, docOffset, docTokens);
    }
    return total;
  }

  private static float chunk(float[] qt, int base, int dim, float[] doc, int docOffset, int docTokens) {
    FloatVector max0 = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
    FloatVector max1 = max0;
    int t = 0;
    for (; t + 8 <= docTokens; t += 8) {
      int o0 = docOffset + t * dim;
      int o1 = o0 + dim, o2 = o1 + dim, o3 = o2 + dim, o4 = o3 + dim, o5 = o4 + dim, o6 = o5 + dim, o7 = o6 + dim;
      FloatVector z = FloatVector.zero(SPECIES);
      FloatVector a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z;
      FloatVector a40 = z, a41 = z, a50 = z, a51 = z, a60 = z, a61 = z, a70 = z, a71 = z;
      for (int d = 0, qo = base; d < dim; d++, qo += CHUNK) {
        FloatVector q0 = FloatVector.fromArray(SPECIES, qt, qo);
        FloatVector q1 = FloatVector.fromArray(SPECIES, qt, qo + LANES);
        FloatVector b = FloatVector.broadcast(SPECIES, doc[o0 + d]);
        a00 = q0.fma(b, a00);
        a01 = q1.fma(b, a01);
        b = FloatVector.broadcast(SPECIES, doc[o1 + d]);
        a10 = q0.fma(b, a10);
        a11 = q1.fma(b, a11);
        b = FloatVector.broadcast(SPECIES, doc[o2 + d]);
        a20 = q0.fma(b, a20);
        a21 = q1.fma(b, a21);
        b = FloatVector.broadcast(SPECIES, doc[o3 + d]);
        a30 = q0.fma(b, a30);
        a31 = q1.fma(b, a31);
        b = FloatVector.broadcast(SPECIES, doc[o4 + d]);
        a40 = q0.fma(b, a40);
        a41 = q1.fma(b, a41);
        b = FloatVector.broadcast(SPECIES, doc[o5 + d]);
        a50 = q0.fma(b, a50);
        a51 = q1.fma(b, a51);
        b = FloatVector.broadcast(SPECIES, doc[o6 + d]);
        a60 = q0.fma(b, a60);
        a61 = q1.fma(b, a61);
        b = FloatVector.broadcast(SPECIES, doc[o7 + d]);
        a70 = q0.fma(b, a70);
        a71 = q1.fma(b, a71);
      }
      max0 = max0.max(a00).max(a10).max(a20).max(a30).max(a40).max(a50).max(a60).max(a70);
      max1 = max1.max(a01).max(a11).max(a21).max(a31).max(a41).max(a51).max(a61).max(a71);
    }
    for (; t + 4 <= docTokens; t += 4) {
      int o0 = docOffset + t * dim;
      int o1 = o0 + dim, o2 = o1 + dim, o3 = o2 + dim;
      FloatVector z = FloatVector.zero(SPECIES);
      FloatVector a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z;
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

  /** In lane order, as core sums: reduceLanes(ADD) leaves the order unspecified. */
  private static float sumLanes(FloatVector v) {
    float total = 0f;
    for (int i = 0; i < LANES; i++) {
      total += v.lane(i);
    }
    return total;
  }
}
