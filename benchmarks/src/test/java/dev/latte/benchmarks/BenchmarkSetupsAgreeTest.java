package dev.latte.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The benchmarks only compare like with like if every contender computes the same thing: these
 * tests run the benchmark setups themselves (smaller) and compare their scores.
 */
class BenchmarkSetupsAgreeTest {

  /** Float sums of 32 maxima of 128..384-term dot products, computed in different orders. */
  private static final float TOLERANCE = 1e-3f;

  @ParameterizedTest
  @ValueSource(ints = {128, 384})
  void luceneAndOursScoreTheSameDocumentsTheSameWay(int dim) throws IOException {
    LuceneLateInteractionBenchmark b = new LuceneLateInteractionBenchmark();
    b.dim = dim;
    b.docTokens = 200;
    int numDocs = 300;
    b.build(numDocs, 37, 7); // 163..237 tokens: exercises the kernels' remainder loops
    try {
      float[] panama = new float[numDocs];
      float[] scalar = new float[numDocs];
      float[] lucene = new float[numDocs];
      float[] decode = new float[numDocs];
      float[] scalarDecode = new float[numDocs];
      b.scoreOursDecode(b.panamaKernel, decode);
      b.scoreOursDecode(b.scalarKernel, scalarDecode);
      b.scoreOurs(b.panamaKernel, panama);
      b.scoreOurs(b.scalarKernel, scalar);
      b.scoreLucene(lucene);

      float[] luceneRaw = new float[numDocs];
      for (int doc = 0; doc < numDocs; doc++) {
        assertEquals(scalar[doc], panama[doc], TOLERANCE, "panama vs scalar, doc " + doc);
        assertEquals(
            scalar[doc], decode[doc], TOLERANCE, "panama decode + maxSim vs scalar, doc " + doc);
        assertEquals(
            scalar[doc],
            scalarDecode[doc],
            TOLERANCE,
            "scalar decode + maxSim vs scalar, doc " + doc);
        luceneRaw[doc] =
            LuceneLateInteractionBenchmark.luceneToRaw(
                lucene[doc], LuceneLateInteractionBenchmark.QUERY_TOKENS);
        assertEquals(
            scalar[doc], luceneRaw[doc], TOLERANCE, "lucene (mapped) vs scalar, doc " + doc);
      }
      assertSameRanking(panama, scalar, "panama vs scalar");
      // Lucene's own scores (not the mapped ones): (1 + dot) / 2 is monotonic, so the order must
      // match.
      assertSameRanking(lucene, panama, "lucene vs panama");
    } finally {
      b.tearDown();
    }
  }

  /** The benchmark's own methods fill the same array the checks above read. */
  @Test
  void benchmarkMethodsReturnTheScoresOfEveryDocument() throws IOException {
    LuceneLateInteractionBenchmark b = new LuceneLateInteractionBenchmark();
    b.dim = 128;
    b.docTokens = 16;
    b.build(50, 0, 3);
    try {
      float[] ours = b.oursPanama().clone();
      float[] decode = b.oursPanamaDecode().clone();
      float[] lucene = b.lucene().clone();
      for (int doc = 0; doc < 50; doc++) {
        assertTrue(ours[doc] > 0, "doc " + doc + " was not scored");
        assertEquals(
            ours[doc], LuceneLateInteractionBenchmark.luceneToRaw(lucene[doc], 32), TOLERANCE);
        assertEquals(ours[doc], decode[doc], TOLERANCE);
      }
    } finally {
      b.tearDown();
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {96, 128, 384})
  void kernelBenchmarkScalarAndPanamaAgree(int dim) {
    for (int docTokens : new int[] {64, 180, 300, 7}) {
      MaxSimKernelBenchmark b = new MaxSimKernelBenchmark();
      b.dim = dim;
      b.docTokens = docTokens;
      b.docSetMB = 1;
      b.setup();
      for (int batch = 0;
          batch < 3;
          batch++) { // the benchmark methods themselves, wrapping around the set
        int cursor = b.cursor;
        float scalar = b.scalar();
        b.cursor = cursor;
        float panama = b.panama();
        // a sum over 64 documents: scale the per-document tolerance
        float tol = TOLERANCE * MaxSimKernelBenchmark.DOCS_PER_OP;
        assertEquals(scalar, panama, tol, "dim " + dim + " docTokens " + docTokens);
      }
      for (int doc = 0; doc < b.numDocs; doc++) {
        int off = doc * b.docFloats;
        float s = b.scalarKernel.maxSim(b.scalarQuery, b.docs, off, docTokens);
        assertEquals(s, b.panamaKernel.maxSim(b.panamaQuery, b.docs, off, docTokens), TOLERANCE);
      }
    }
  }

  /**
   * Same ranking up to ties: the document at rank r in {@code actual}'s order must have, in {@code
   * expected}, the score of the document at rank r in {@code expected}'s order (within the
   * tolerance). Exact order equality would fail spuriously on near-ties of random data.
   */
  private static void assertSameRanking(float[] actual, float[] expected, String what) {
    Integer[] byActual = order(actual);
    Integer[] byExpected = order(expected);
    for (int r = 0; r < actual.length; r++) {
      assertEquals(
          expected[byExpected[r]],
          expected[byActual[r]],
          TOLERANCE,
          what + ": rank " + r + " differs beyond ties");
    }
    // and the top 10 are the same documents unless a near-tie straddles them
    for (int r = 0; r < 10; r++) {
      if (r + 1 < actual.length
          && expected[byExpected[r]] - expected[byExpected[r + 1]] > TOLERANCE
          && (r == 0 || expected[byExpected[r - 1]] - expected[byExpected[r]] > TOLERANCE)) {
        assertEquals(byExpected[r], byActual[r], what + ": top-10 rank " + r);
      }
    }
  }

  private static Integer[] order(float[] scores) {
    Integer[] ids = IntStream.range(0, scores.length).boxed().toArray(Integer[]::new);
    Arrays.sort(
        ids, Comparator.comparingDouble((Integer i) -> scores[i]).reversed().thenComparing(i -> i));
    return ids;
  }
}
