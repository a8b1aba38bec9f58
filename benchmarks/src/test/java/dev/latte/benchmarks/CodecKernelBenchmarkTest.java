package dev.latte.benchmarks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.latte.benchmarks.CodecKernelBenchmark.Variant;
import dev.latte.core.TokenMatrix;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link CodecKernelBenchmark} compares equal work: on the benchmark's own setup (smaller document
 * pool) every panama codec kernel gives its scalar reference's score, and the lossy float codecs
 * stay close to float32 on the same documents.
 */
class CodecKernelBenchmarkTest {

  /** Float sums of 32 maxima of 96..384-term dot products, computed in different orders. */
  private static final float TOLERANCE = 1e-3f;

  /** Distinct documents compared one by one per setup (the scalar codec kernels are slow). */
  private static final int CHECKED_DOCS = 16;

  /** The benchmark's doc-token shapes plus remainders of the kernels' 8- and 4-token steps. */
  private static final int[] DOC_TOKENS = {64, 180, 300, 7, 13};

  static Stream<Arguments> variantsAndDims() {
    return Stream.of(Variant.values())
        .flatMap(v -> Stream.of(96, 128, 384).map(dim -> Arguments.of(v, dim)));
  }

  static CodecKernelBenchmark setUp(Variant variant, int dim, int docTokens) {
    return setUp(
        variant, dim, docTokens,
        1 << 17); // fewer distinct documents than the benchmark, same layout
  }

  static CodecKernelBenchmark setUp(Variant variant, int dim, int docTokens, int maxUniqueFloats) {
    CodecKernelBenchmark b = new CodecKernelBenchmark();
    b.codec = variant.param;
    b.dim = dim;
    b.docTokens = docTokens;
    b.docSetMB = 1;
    b.maxUniqueFloats = maxUniqueFloats;
    b.setup();
    return b;
  }

  @ParameterizedTest(name = "{0} dim {1}")
  @MethodSource("variantsAndDims")
  void panamaGivesTheScalarScoreOnTheBenchmarksSetup(Variant variant, int dim) {
    for (int docTokens : DOC_TOKENS) {
      CodecKernelBenchmark b = setUp(variant, dim, docTokens);
      String what = variant.param + " dim " + dim + " docTokens " + docTokens;
      // Exact for hamming: an integer sum with one rounding in every kernel.
      float tol = variant == Variant.BIT_HAMMING ? 0f : TOLERANCE;

      // The benchmark methods themselves: one batch each from the same cursor (wrapping small
      // sets).
      int cursor = b.cursor;
      float scalar = b.scalar();
      int after = b.cursor;
      b.cursor = cursor;
      float panama = b.panama();
      assertEquals(after, b.cursor, what);
      assertEquals((cursor + CodecKernelBenchmark.DOCS_PER_OP) % b.numDocs, after, what);
      assertEquals(scalar, panama, tol * CodecKernelBenchmark.DOCS_PER_OP, what + ": batch");
      assertTrue(Float.isFinite(panama) && panama != 0f, what + ": batch score " + panama);

      for (int doc = 0; doc < Math.min(CHECKED_DOCS, b.unique.size()); doc++) {
        float s = b.score(b.scalarKernel, b.scalarQuery, b.scalarBits, doc);
        float p = b.score(b.panamaKernel, b.panamaQuery, b.panamaBits, doc);
        assertEquals(s, p, tol, what + ", doc " + doc);
      }
      // A repeated copy (same bytes at another address) scores as its original.
      if (b.numDocs > b.unique.size()) {
        int copy = b.unique.size();
        assertEquals(
            b.score(b.panamaKernel, b.panamaQuery, b.panamaBits, 0),
            b.score(b.panamaKernel, b.panamaQuery, b.panamaBits, copy),
            0f,
            what + ": copy");
      }
    }
  }

  /**
   * float16 and int8 (panama) against exact float32 MaxSim (scalar) of the same documents, the
   * benchmark's seeded data: within the codecs' worst-case error bounds, and within a tighter limit
   * set from the observed error. The float32 variants must agree to rounding; bit (1-bit, lossy by
   * design) only gets a loose sanity limit.
   */
  @ParameterizedTest
  @ValueSource(ints = {96, 128, 384})
  void float16AndInt8ScoresAreCloseToFloat32(int dim) {
    int docTokens = 180;
    int uniqueFloats = 1 << 20; // all documents of the 1 MB float32 set: 3 (dim 384) to 15 (dim 96)
    CodecKernelBenchmark f32 = setUp(Variant.FLOAT32, dim, docTokens, uniqueFloats);
    for (Variant v :
        new Variant[] {
          Variant.FLOAT32_DECODE,
          Variant.FLOAT32_IN_PLACE,
          Variant.FLOAT16,
          Variant.INT8,
          Variant.BIT
        }) {
      CodecKernelBenchmark b = setUp(v, dim, docTokens, uniqueFloats);
      int n = Math.min(b.unique.size(), f32.unique.size());
      assertTrue(n >= 2);
      double maxRelative = 0;
      for (int doc = 0; doc < n; doc++) {
        assertArrayEquals(
            f32.unique.get(doc).data(), b.unique.get(doc).data(), "same seeded documents");
        float exact = f32.score(f32.scalarKernel, f32.scalarQuery, null, doc);
        float panama = b.score(b.panamaKernel, b.panamaQuery, null, doc);
        double bound =
            switch (v) {
              case FLOAT16 ->
                  CodecKernelBenchmark.QUERY_TOKENS * 0x1p-11; // |x16 - x| <= 2^-11 |x|, unit rows
              case INT8 -> int8Bound(b.query, b.unique.get(doc));
              case BIT -> Double.POSITIVE_INFINITY; // no useful worst case for 1 bit per value
              default -> 0; // the same floats
            };
        String what = v.param + " dim " + dim + " doc " + doc;
        assertEquals(exact, panama, bound + TOLERANCE, what);
        maxRelative = Math.max(maxRelative, Math.abs(panama - exact) / Math.abs(exact));
      }
      // Observed on this data (max relative error per document): float16 <= 4e-5, int8 <= 1.4e-3,
      // bit <= 6e-2. The worst-case bounds above are far looser (int8: ~0.1-0.3 absolute).
      double observedLimit =
          switch (v) {
            case FLOAT16 -> 2e-4;
            case INT8 -> 5e-3;
            case BIT -> 0.15;
            default -> 1e-5;
          };
      assertTrue(
          maxRelative <= observedLimit,
          v.param + " dim " + dim + ": max relative error " + maxRelative);
    }
  }

  /**
   * Worst case |int8 MaxSim - float MaxSim| for one document: every code is within scale/2 of its
   * value (scale = max|x|/127 per token), so a pair's dot product moves by at most ||q_i||_1 *
   * scale_t / 2, and a max over document tokens by at most the largest of those.
   */
  private static double int8Bound(TokenMatrix query, TokenMatrix doc) {
    int dim = doc.dim();
    double maxHalfScale = 0;
    for (int t = 0; t < doc.rows(); t++) {
      double maxAbs = 0;
      for (int d = 0; d < dim; d++) maxAbs = Math.max(maxAbs, Math.abs(doc.get(t, d)));
      maxHalfScale = Math.max(maxHalfScale, maxAbs / 127 / 2);
    }
    double bound = 0;
    for (int i = 0; i < query.rows(); i++) {
      double l1 = 0;
      for (int d = 0; d < dim; d++) l1 += Math.abs(query.get(i, d));
      bound += l1 * maxHalfScale;
    }
    return bound;
  }
}
