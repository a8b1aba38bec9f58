package dev.latte.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.latte.eval.metrics.RankedDoc;
import dev.latte.eval.metrics.TrecRun;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** recall_100_vs_exact on hand-made rankings, and the table and names around it. */
class RecallVsExactTest {

  /** Docs in the given order, scores descending. */
  private static List<RankedDoc> ranking(List<String> ids) {
    List<RankedDoc> out = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) out.add(new RankedDoc(ids.get(i), ids.size() - i));
    return out;
  }

  private static List<String> docs(String prefix, int from, int to) {
    List<String> out = new ArrayList<>();
    for (int i = from; i <= to; i++) out.add(prefix + i);
    return out;
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  @Test
  void fractionOfExactTop100InTheMethodsTop100AveragedOverQueries() {
    TrecRun exact =
        TrecRun.of(
                Map.of(
                    // the query's own id ranks first in both; it is not a hit
                    "q1", ranking(concat(List.of("q1"), docs("d", 1, 150))),
                    // exact MaxSim found only three documents
                    "q2", ranking(List.of("a", "b", "c")),
                    // nothing at all: left out of the mean
                    "q3", ranking(List.of()),
                    "q4", ranking(docs("d", 1, 10))))
            .withoutSelfHits();
    Map<String, Set<String>> top = MethodRunner.topIds(exact, 100);
    assertEquals(100, top.get("q1").size());
    assertTrue(!top.get("q1").contains("q1") && top.get("q1").contains("d100"));
    assertEquals(Set.of("a", "b", "c"), top.get("q2"));
    assertTrue(top.get("q3").isEmpty());

    TrecRun method =
        TrecRun.of(
                Map.of(
                    // d100 is 101st before the self hit goes, 100th after: all 100 found
                    "q1", ranking(concat(List.of("q1"), docs("d", 1, 100))),
                    // 2 of the 3
                    "q2", ranking(List.of("a", "z", "c", "y")),
                    "q3", ranking(List.of("a"))))
            // q4 missing from the run: 0
            .withoutSelfHits();
    assertEquals((1.0 + 2.0 / 3 + 0) / 3, MethodRunner.recallVsExact(method, top, 100), 1e-12);
    assertEquals(1.0, MethodRunner.recallVsExact(exact, top, 100), 1e-12);
  }

  @Test
  void onlyTheMethodsOwnTop100Counts() {
    Map<String, Set<String>> top =
        MethodRunner.topIds(TrecRun.of(Map.of("q", ranking(docs("d", 1, 100)))), 100);
    // 50 misses first: d1..d50 make the top 100, d51..d100 come too late
    TrecRun method = TrecRun.of(Map.of("q", ranking(concat(docs("x", 1, 50), docs("d", 1, 100)))));
    assertEquals(0.5, MethodRunner.recallVsExact(method, top, 100), 1e-12);
    // with a self hit returned, the filtered run the metrics see is what counts
    TrecRun withSelf =
        TrecRun.of(Map.of("q", ranking(concat(List.of("q"), docs("d", 1, 99))))).withoutSelfHits();
    assertEquals(0.99, MethodRunner.recallVsExact(withSelf, top, 100), 1e-12);
  }

  @Test
  void noReferenceQueryMeansNoValue() {
    Map<String, Set<String>> top =
        MethodRunner.topIds(TrecRun.of(Map.of("q", ranking(List.of()))), 100);
    assertNull(MethodRunner.recallVsExact(TrecRun.of(Map.of()), top, 100));
    assertNull(MethodRunner.recallVsExact(TrecRun.of(Map.of()), Map.of(), 100));
  }

  @Test
  void methodsNeedTheStructureTheirNameStartsWith() {
    assertEquals("xtr", EvalPlan.firstStageOf("xtr"));
    assertEquals("xtr", EvalPlan.firstStageOf("xtr+maxsim"));
    assertEquals("xtr", EvalPlan.firstStageOf("hybrid-xtr-idf"));
    assertEquals("lucene-stock", EvalPlan.firstStageOf("lucene-stock"));
    for (String none :
        List.of(
            "bm25",
            "maxsim-exact",
            "maxsim-hamming",
            "bm25+maxsim",
            "hybrid-rrf",
            "hybrid-linear",
            "xtrx")) assertNull(EvalPlan.firstStageOf(none), none);
  }
}
