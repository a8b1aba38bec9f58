package dev.latte.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Compares with numbers produced by the real trec_eval, on the SciFact test qrels and a small
 * committed run ({@code scifact-fixture.run}: 20 queries x 100 SciFact docs, pseudo-random, with
 * relevant docs planted at random ranks and score ties between relevant and non-relevant docs; its
 * rank column deliberately disagrees with trec_eval's tie order).
 *
 * <p>The expected values below are trec_eval's output, not this code's. They were produced by
 * trec_eval 9.0.8 (usnistgov/trec_eval tag v9.0.8, commit d95ca64e14a47d763ae349fb65e6d8cde4141dbd,
 * which prints its version as 9.0.7), built with {@code make}, with:
 *
 * <pre>
 * trec_eval -q -c -m ndcg_cut.10 -m recall.100 -m map fixture.qrels scifact-fixture.run
 * trec_eval -q -c -M 10 -m recip_rank fixture.qrels scifact-fixture.run
 * </pre>
 *
 * where {@code fixture.qrels} is qrels/test.tsv restricted to {@link #FIXTURE_QUERIES}, rewritten
 * as {@code qid 0 docid grade}. {@code -M 10} makes recip_rank see only the top 10: MRR@10. (The
 * same figures follow from the uncut per-query recip_rank, keeping a value only where 1/rr <= 10.)
 * trec_eval prints 4 decimals, hence the tolerance.
 *
 * <p>Tie order matters here: with the same run ranked by its rank column instead, trec_eval gives
 * ndcg_cut_10 0.3080, map 0.2737 and MRR@10 0.2621.
 */
class TrecEvalCrossCheckTest {

  private static final Path SCIFACT_TEST_QRELS =
      Path.of(
          System.getProperty("latte.shared.dir", "../../shared"),
          "datasets/scifact/qrels/test.tsv");

  /** The first 22 query ids of SciFact's qrels/test.tsv; 36 and 57 are not in the run. */
  private static final Set<String> FIXTURE_QUERIES =
      Set.of(
          "1", "3", "5", "13", "36", "42", "48", "49", "50", "51", "53", "54", "56", "57", "70",
          "72", "75", "94", "99", "100", "113", "115");

  private static final double TREC_EVAL_PRECISION = 0.00005 + 1e-9;

  // trec_eval's "all" lines.
  private static final double TREC_EVAL_NDCG_CUT_10 = 0.3218;
  private static final double TREC_EVAL_RECALL_100 = 0.8636;
  private static final double TREC_EVAL_MRR_10 = 0.2793; // recip_rank with -M 10
  private static final double TREC_EVAL_MAP = 0.2910;
  private static final int TREC_EVAL_NUM_Q = 22;

  /** trec_eval's per-query output (first command), whitespace normalised. */
  private static final String TREC_EVAL_PER_QUERY =
      """
      map          1    0.3333
      recall_100   1    1.0000
      ndcg_cut_10  1    0.5000
      map          100  0.5000
      recall_100   100  1.0000
      ndcg_cut_10  100  0.6309
      map          113  0.0132
      recall_100   113  1.0000
      ndcg_cut_10  113  0.0000
      map          115  0.0500
      recall_100   115  1.0000
      ndcg_cut_10  115  0.0000
      map          13   1.0000
      recall_100   13   1.0000
      ndcg_cut_10  13   1.0000
      map          3    1.0000
      recall_100   3    1.0000
      ndcg_cut_10  3    1.0000
      map          42   0.0357
      recall_100   42   1.0000
      ndcg_cut_10  42   0.0000
      map          48   0.0159
      recall_100   48   1.0000
      ndcg_cut_10  48   0.0000
      map          49   0.0455
      recall_100   49   1.0000
      ndcg_cut_10  49   0.0000
      map          5    0.0294
      recall_100   5    1.0000
      ndcg_cut_10  5    0.0000
      map          50   1.0000
      recall_100   50   1.0000
      ndcg_cut_10  50   1.0000
      map          51   0.0128
      recall_100   51   1.0000
      ndcg_cut_10  51   0.0000
      map          53   0.5000
      recall_100   53   1.0000
      ndcg_cut_10  53   0.6309
      map          54   1.0000
      recall_100   54   1.0000
      ndcg_cut_10  54   1.0000
      map          56   0.5000
      recall_100   56   1.0000
      ndcg_cut_10  56   0.6309
      map          70   0.0430
      recall_100   70   1.0000
      ndcg_cut_10  70   0.0000
      map          72   0.1111
      recall_100   72   1.0000
      ndcg_cut_10  72   0.3010
      map          75   0.0000
      recall_100   75   0.0000
      ndcg_cut_10  75   0.0000
      map          94   0.2000
      recall_100   94   1.0000
      ndcg_cut_10  94   0.3869
      map          99   0.0112
      recall_100   99   1.0000
      ndcg_cut_10  99   0.0000
      map          all  0.2910
      recall_100   all  0.8636
      ndcg_cut_10  all  0.3218
      """;

  /** trec_eval's per-query recip_rank with {@code -M 10} (second command). */
  private static final String TREC_EVAL_PER_QUERY_MRR_10 =
      """
      recip_rank   1    0.3333
      recip_rank   100  0.5000
      recip_rank   113  0.0000
      recip_rank   115  0.0000
      recip_rank   13   1.0000
      recip_rank   3    1.0000
      recip_rank   42   0.0000
      recip_rank   48   0.0000
      recip_rank   49   0.0000
      recip_rank   5    0.0000
      recip_rank   50   1.0000
      recip_rank   51   0.0000
      recip_rank   53   0.5000
      recip_rank   54   1.0000
      recip_rank   56   0.5000
      recip_rank   70   0.0000
      recip_rank   72   0.1111
      recip_rank   75   0.0000
      recip_rank   94   0.2000
      recip_rank   99   0.0000
      recip_rank   all  0.2793
      """;

  private static Evaluation latte;

  @BeforeAll
  static void evaluateFixture() throws IOException, URISyntaxException {
    assumeTrue(
        Files.isRegularFile(SCIFACT_TEST_QRELS),
        "SciFact qrels not found at " + SCIFACT_TEST_QRELS);
    Map<String, Map<String, Integer>> judgments = readBeirQrels(SCIFACT_TEST_QRELS);
    judgments.keySet().retainAll(FIXTURE_QUERIES);
    Path run = Path.of(TrecEvalCrossCheckTest.class.getResource("scifact-fixture.run").toURI());
    latte = TrecMetrics.evaluate(Qrels.of(judgments), TrecRun.read(run));
  }

  @Test
  void meansMatchTrecEval() {
    MetricSummary mean = latte.mean();

    assertEquals(TREC_EVAL_NDCG_CUT_10, mean.ndcgCut10(), TREC_EVAL_PRECISION);
    assertEquals(TREC_EVAL_RECALL_100, mean.recall100(), TREC_EVAL_PRECISION);
    assertEquals(TREC_EVAL_MRR_10, mean.recipRank10(), TREC_EVAL_PRECISION);
    assertEquals(TREC_EVAL_MAP, mean.map(), TREC_EVAL_PRECISION);
    assertEquals(TREC_EVAL_NUM_Q, mean.queries());
    assertEquals(Set.of("36", "57"), latte.queriesMissingFromRun());
  }

  @Test
  void everyQueryMatchesTrecEval() {
    Map<String, Map<String, Double>> expected = parseTrecEvalOutput(TREC_EVAL_PER_QUERY);
    expected.putAll(parseTrecEvalOutput(TREC_EVAL_PER_QUERY_MRR_10));
    // With -c, trec_eval prints only the queries of the run: 20.
    assertEquals(20, expected.get("ndcg_cut_10").size() - 1);

    expected.forEach(
        (measure, byQuery) ->
            byQuery.forEach(
                (queryId, value) -> {
                  if (!queryId.equals("all")) {
                    QueryMetrics m = latte.perQuery().get(queryId);
                    double actual =
                        switch (measure) {
                          case "ndcg_cut_10" -> m.ndcgCut10();
                          case "recall_100" -> m.recall100();
                          case "recip_rank" -> m.recipRank10();
                          case "map" -> m.map();
                          default -> throw new AssertionError(measure);
                        };
                    assertEquals(value, actual, TREC_EVAL_PRECISION, measure + " of " + queryId);
                  }
                }));
  }

  /** measure -> query id -> value, from trec_eval -q lines "measure qid value". */
  private static Map<String, Map<String, Double>> parseTrecEvalOutput(String output) {
    Map<String, Map<String, Double>> values = new LinkedHashMap<>();
    output
        .lines()
        .map(String::strip)
        .filter(line -> !line.isEmpty())
        .map(line -> line.split("\\s+"))
        .forEach(
            f ->
                values
                    .computeIfAbsent(f[0], k -> new LinkedHashMap<>())
                    .put(f[1], Double.valueOf(f[2])));
    return values;
  }

  /** BEIR qrels: a "query-id corpus-id score" header, then tab-separated rows. */
  private static Map<String, Map<String, Integer>> readBeirQrels(Path file) throws IOException {
    Map<String, Map<String, Integer>> judgments = new HashMap<>();
    List<String> lines = Files.readAllLines(file);
    for (String line : lines.subList(1, lines.size())) {
      if (!line.isBlank()) {
        String[] f = line.split("\t");
        judgments
            .computeIfAbsent(f[0], q -> new HashMap<>())
            .put(f[1], Integer.parseInt(f[2].strip()));
      }
    }
    return judgments;
  }
}
