package dev.latte.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Hand-computed fixtures; the arithmetic is in the comments. log2(3) = 1.5849625, log2(5) =
 * 2.3219281, log2(6) = 2.5849625.
 */
class TrecMetricsTest {

  private static final double EPS = 1e-12;

  @Test
  void gradedNdcgUsesTheGradeAsGainAgainstAllJudgedRelevantDocs() {
    // Relevant: d1=3, d2=2, d3=1, d5=2 (never retrieved). d4 is judged 0, dX is unjudged.
    Qrels qrels = Qrels.of(Map.of("q", Map.of("d1", 3, "d2", 2, "d3", 1, "d4", 0, "d5", 2)));
    List<RankedDoc> ranking =
        List.of(
            doc("d4", 0.9f), doc("d3", 0.8f), doc("d1", 0.7f), doc("dX", 0.6f), doc("d2", 0.5f));

    QueryMetrics m = TrecMetrics.evaluateQuery(qrels, "q", ranking);

    // Ranked grades: 0, 1, 3, 0, 2.
    // DCG  = 1/log2(3) + 3/log2(4) + 2/log2(6) = 0.6309298 + 1.5 + 0.7737056 = 2.9046354
    // IDCG over grades 3,2,2,1 (d5 included although not retrieved):
    //      = 3/log2(2) + 2/log2(3) + 2/log2(4) + 1/log2(5) = 3 + 1.2618595 + 1 + 0.4306766
    //      = 5.6925361
    // nDCG = 2.9046354 / 5.6925361 = 0.5102533 (2^grade-1 gains would give 0.4888904)
    assertEquals(0.5102533097311469, m.ndcgCut10(), EPS);
    // d3, d1, d2 retrieved of the 4 relevant.
    assertEquals(3.0 / 4, m.recall100(), EPS);
    // First relevant doc (d3) at rank 2.
    assertEquals(1.0 / 2, m.recipRank10(), EPS);
    // Relevant at ranks 2, 3, 5: (1/2 + 2/3 + 3/5) / 4 = 1.7666667 / 4 = 0.4416667
    assertEquals(0.44166666666666665, m.map(), EPS);
  }

  @Test
  void tiesAreBrokenByDocnoDescendingNotByInputOrder() {
    Qrels qrels = Qrels.of(Map.of("q", Map.of("a", 1, "b", 0)));
    // a and b tie; a comes first here, but trec_eval ranks "b" > "a" first: a is at rank 2.
    QueryMetrics m = TrecMetrics.evaluateQuery(qrels, "q", List.of(doc("a", 1f), doc("b", 1f)));

    assertEquals(1.0 / 2, m.recipRank10(), EPS); // 1.0 if the input order were kept
    assertEquals(1 / log2(3), m.ndcgCut10(), EPS); // (1/log2(3)) / (1/log2(2)) = 0.6309298
    assertEquals(1.0 / 2, m.map(), EPS);
  }

  @Test
  void tieOrderIsStrcmpOrderNotNumericOrUtf16Order() {
    // strcmp: "9" > "10" (as '9' > '1'), so among equal scores "9" ranks first.
    assertEquals(List.of("9", "10"), trecOrder(doc("10", 0.5f), doc("9", 0.5f)));
    // U+1F600 (a surrogate pair in UTF-16) is above U+FFFD in strcmp's UTF-8 byte order, although
    // String.compareTo puts it below.
    String emoji = "\uD83D\uDE00";
    assertEquals(List.of(emoji, "\uFFFD"), trecOrder(doc("\uFFFD", 0.5f), doc(emoji, 0.5f)));
    // 0.0 and -0.0 are a tie for C's comparison: docno decides, "b" first.
    assertEquals(List.of("b", "a"), trecOrder(doc("a", 0.0f), doc("b", -0.0f)));
    // A higher score still wins over the docno.
    assertEquals(List.of("a", "b"), trecOrder(doc("b", 0.4f), doc("a", 0.5f)));
  }

  @Test
  void unjudgedDocumentsCountAsNonRelevant() {
    Qrels qrels = Qrels.of(Map.of("q", Map.of("r", 1, "n", 0)));
    // u1 and u2 have no judgment at all; r is the only relevant doc, at rank 3.
    QueryMetrics m =
        TrecMetrics.evaluateQuery(qrels, "q", List.of(doc("u1", 3f), doc("u2", 2f), doc("r", 1f)));

    assertEquals(1.0 / 3, m.recipRank10(), EPS);
    assertEquals(1.0 / 3, m.map(), EPS); // (1/3) / 1
    assertEquals(1 / log2(4), m.ndcgCut10(), EPS); // (1/log2(4)) / 1 = 0.5
    assertEquals(1.0, m.recall100(), EPS);
  }

  @Test
  void judgedQueryMissingFromTheRunCountsAsZero() {
    Qrels qrels = Qrels.of(Map.of("q1", Map.of("d1", 1), "q2", Map.of("d2", 1)));
    TrecRun run = TrecRun.of(Map.of("q1", List.of(doc("d1", 1f))));

    Evaluation e = TrecMetrics.evaluate(qrels, run);

    // q1 scores 1 on every metric, q2 scores 0: means (1 + 0) / 2.
    assertEquals(new MetricSummary(0.5, 0.5, 0.5, 0.5, 2), e.mean());
    assertEquals(QueryMetrics.ZERO, e.perQuery().get("q2"));
    assertEquals(new QueryMetrics(1, 1, 1, 1), e.perQuery().get("q1"));
    assertEquals(Set.of("q2"), e.queriesMissingFromRun());
  }

  @Test
  void queriesWithoutRelevantDocsAndUnjudgedRunQueriesAreIgnored() {
    // q0 has judgments, all non-relevant; q9 is in the run only.
    Qrels qrels = Qrels.of(Map.of("q1", Map.of("d1", 1), "q0", Map.of("d0", 0, "e0", -1)));
    TrecRun run =
        TrecRun.of(
            Map.of(
                "q1", List.of(doc("d1", 1f)),
                "q0", List.of(doc("d0", 1f)),
                "q9", List.of(doc("d9", 1f))));

    Evaluation e = TrecMetrics.evaluate(qrels, run);

    // Averaged over q1 alone: 1 / 1. Counting q0 (as trec_eval -c does) would give 1 / 2.
    assertEquals(new MetricSummary(1, 1, 1, 1, 1), e.mean());
    assertEquals(List.of("q1"), List.copyOf(e.perQuery().keySet()));
    assertTrue(e.queriesMissingFromRun().isEmpty());
  }

  @Test
  void recallCountsOnlyTheTop100() {
    // 4 relevant docs at ranks 1, 50, 100 and 101 of a 120-doc ranking.
    QueryMetrics m = rankedWithRelevantAt(120, 1, 50, 100, 101);

    assertEquals(3.0 / 4, m.recall100(), EPS); // rank 101 is past the cut
    // AP does see rank 101: (1/1 + 2/50 + 3/100 + 4/101) / 4 = 1.1096040 / 4 = 0.2774010
    assertEquals(0.2774009900990099, m.map(), EPS);
  }

  @Test
  void reciprocalRankIsCutAt10() {
    // Relevant at rank 10: 1/10. At rank 11: past the cut, 0 (trec_eval's uncut recip_rank: 1/11).
    assertEquals(0.1, rankedWithRelevantAt(20, 10).recipRank10(), EPS);
    assertEquals(0.0, rankedWithRelevantAt(20, 11).recipRank10(), EPS);
    // nDCG@10 is cut the same way: 1/log2(11) at rank 10, nothing at rank 11.
    assertEquals(1 / log2(11), rankedWithRelevantAt(20, 10).ndcgCut10(), EPS);
    assertEquals(0.0, rankedWithRelevantAt(20, 11).ndcgCut10(), EPS);
  }

  @Test
  void averagePrecisionDividesByAllRelevantAndStopsAt1000() {
    // 3 relevant docs; two retrieved at ranks 2 and 4, the third never.
    // (1/2 + 2/4) / 3 = 1 / 3 (dividing by the 2 retrieved would give 1/2)
    assertEquals(1.0 / 3, rankedWithRelevantAt(10, 2, 4, 0).map(), EPS);
    // Relevant at ranks 1 and 1001: only the top 1000 count, so (1/1) / 2 = 0.5
    // (not (1/1 + 2/1001) / 2 = 0.5009990).
    assertEquals(0.5, rankedWithRelevantAt(1200, 1, 1001).map(), EPS);
  }

  @Test
  void duplicateDocsInARankingAreRejected() {
    Qrels qrels = Qrels.of(Map.of("q", Map.of("d", 1)));
    List<RankedDoc> twice = List.of(doc("d", 2f), doc("x", 1.5f), doc("d", 1f));

    var fromRun =
        assertThrows(IllegalArgumentException.class, () -> TrecRun.of(Map.of("q", twice)));
    var fromQuery =
        assertThrows(
            IllegalArgumentException.class, () -> TrecMetrics.evaluateQuery(qrels, "q", twice));

    assertEquals("query q retrieves doc d more than once", fromRun.getMessage());
    assertEquals("query q retrieves doc d more than once", fromQuery.getMessage());
  }

  @Test
  void withoutSelfHitsDropsOnlyTheQueryItself() {
    Qrels qrels = Qrels.of(Map.of("q1", Map.of("d1", 1), "q2", Map.of("d2", 1)));
    TrecRun run =
        TrecRun.of(
            Map.of(
                "q1", List.of(doc("q1", 0.9f), doc("q2", 0.85f), doc("d1", 0.8f)),
                "q2", List.of(doc("d2", 0.9f), doc("q1", 0.8f))));

    TrecRun cleaned = run.withoutSelfHits();

    // q1 loses only "q1"; "q2" is another query's id, not q1's own, and stays.
    assertEquals(List.of(doc("q2", 0.85f), doc("d1", 0.8f)), cleaned.ranking("q1"));
    assertEquals(run.ranking("q2"), cleaned.ranking("q2"));
    // d1 moves from rank 3 to rank 2.
    assertEquals(1.0 / 3, TrecMetrics.evaluate(qrels, run).perQuery().get("q1").recipRank10());
    assertEquals(1.0 / 2, TrecMetrics.evaluate(qrels, cleaned).perQuery().get("q1").recipRank10());
  }

  @Test
  void meanIsTakenPerMetricOverQueries() {
    Qrels qrels = Qrels.of(Map.of("q1", Map.of("a", 1), "q2", Map.of("b", 1, "c", 1)));
    TrecRun run =
        TrecRun.of(
            Map.of(
                "q1", List.of(doc("x", 2f), doc("a", 1f)), // a at rank 2
                "q2", List.of(doc("b", 2f), doc("y", 1f)))); // b at rank 1, c missing

    MetricSummary mean = TrecMetrics.evaluate(qrels, run).mean();

    // nDCG: q1 = (1/log2(3)) / 1 = 0.6309298; q2 = 1 / (1 + 1/log2(3)) = 1 / 1.6309298 = 0.6131472
    assertEquals((1 / log2(3) + 1 / (1 + 1 / log2(3))) / 2, mean.ndcgCut10(), EPS);
    assertEquals((1 + 0.5) / 2, mean.recall100(), EPS); // q1: 1/1, q2: 1/2
    assertEquals((0.5 + 1) / 2, mean.recipRank10(), EPS); // q1: 1/2, q2: 1/1
    assertEquals((0.5 + 0.5) / 2, mean.map(), EPS); // q1: (1/2)/1, q2: (1/1)/2
    assertEquals(2, mean.queries());
  }

  @Test
  void aRunSharingNoQueryWithTheQrelsIsAnError() {
    Qrels qrels = Qrels.of(Map.of("1", Map.of("d", 1)));
    TrecRun run = TrecRun.of(Map.of("q1", List.of(doc("d", 1f))));

    var e = assertThrows(IllegalArgumentException.class, () -> TrecMetrics.evaluate(qrels, run));

    assertTrue(e.getMessage().contains("'1'") && e.getMessage().contains("'q1'"), e.getMessage());
  }

  @Test
  void qrelsWithoutAnyRelevantDocAreAnError() {
    Qrels qrels = Qrels.of(Map.of("q", Map.of("d", 0)));
    TrecRun run = TrecRun.of(Map.of("q", List.of(doc("d", 1f))));

    assertThrows(IllegalArgumentException.class, () -> TrecMetrics.evaluate(qrels, run));
  }

  @Test
  void qrelsAnswerGradeAndRelevantCount() {
    Qrels qrels = Qrels.of(Map.of("q", Map.of("a", 2, "b", 0, "c", 1, "d", -1)));

    assertEquals(2, qrels.relevantCount("q"));
    assertEquals(List.of(2, 1), qrels.relevantGradesDescending("q"));
    assertEquals(2, qrels.grade("q", "a"));
    assertEquals(0, qrels.grade("q", "unjudged"));
    assertEquals(0, qrels.relevantCount("unknown query"));
  }

  /** A ranking of {@code size} docs "d001".. by descending score, relevant where listed. */
  private static QueryMetrics rankedWithRelevantAt(int size, int... relevantRanks) {
    Map<String, Integer> grades = new LinkedHashMap<>();
    List<RankedDoc> ranking = new ArrayList<>();
    for (int rank = 1; rank <= size; rank++) {
      String id = "d%04d".formatted(rank);
      ranking.add(doc(id, size - rank));
      int r = rank;
      if (Arrays.stream(relevantRanks).anyMatch(x -> x == r)) {
        grades.put(id, 1);
      }
    }
    // Rank 0 stands for a relevant doc that is not retrieved.
    for (int rank : relevantRanks) {
      if (rank == 0) {
        grades.put("unretrieved-" + grades.size(), 1);
      }
    }
    return TrecMetrics.evaluateQuery(Qrels.of(Map.of("q", grades)), "q", ranking);
  }

  private static List<String> trecOrder(RankedDoc... docs) {
    return Arrays.stream(docs).sorted(RankedDoc.TREC_EVAL_ORDER).map(RankedDoc::docId).toList();
  }

  private static RankedDoc doc(String id, float score) {
    return new RankedDoc(id, score);
  }

  private static double log2(int x) {
    return Math.log(x) / Math.log(2);
  }
}
