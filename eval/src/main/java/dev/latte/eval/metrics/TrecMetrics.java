package dev.latte.eval.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.SequencedSet;
import java.util.Set;

/**
 * nDCG@10, recall@100, MRR@10 and MAP computed exactly as trec_eval 9.x computes {@code
 * ndcg_cut.10}, {@code recall.100}, {@code recip_rank} (here cut at 10) and {@code map} with {@code
 * -c}. See the package documentation for the conventions, and {@code m_ndcg_cut.c}, {@code
 * m_recall.c}, {@code m_recip_rank.c}, {@code m_map.c} in trec_eval for the originals.
 */
public final class TrecMetrics {

  public static final int NDCG_CUTOFF = 10;
  public static final int RECALL_CUTOFF = 100;
  public static final int RECIP_RANK_CUTOFF = 10;

  /** trec_eval's default {@code -M}: documents ranked below this are ignored by every metric. */
  public static final int MAX_DOCS_PER_QUERY = 1000;

  private static final double LN_2 = Math.log(2);

  private TrecMetrics() {}

  /**
   * Scores every query of {@code qrels} that has a relevant document, and averages.
   *
   * <p>A scored query missing from {@code run} scores 0 (trec_eval {@code -c}); run queries without
   * judgments are ignored.
   *
   * @throws IllegalArgumentException if no query has a relevant document, or the run retrieves for
   *     none of them (trec_eval's "No queries with both results and relevance info": nearly always
   *     mismatched ids, which would otherwise pass as a score of 0)
   */
  public static Evaluation evaluate(Qrels qrels, TrecRun run) {
    SequencedSet<String> scoredQueries = qrels.queriesWithRelevant();
    if (scoredQueries.isEmpty()) {
      throw new IllegalArgumentException("the qrels have no query with a relevant document");
    }
    Map<String, QueryMetrics> perQuery = new LinkedHashMap<>();
    Set<String> missing = new LinkedHashSet<>();
    double ndcg = 0;
    double recall = 0;
    double recipRank = 0;
    double map = 0;
    for (String queryId : scoredQueries) {
      if (!run.rankings().containsKey(queryId)) {
        missing.add(queryId);
      }
      QueryMetrics metrics = evaluateQuery(qrels, queryId, run.ranking(queryId));
      perQuery.put(queryId, metrics);
      ndcg += metrics.ndcgCut10();
      recall += metrics.recall100();
      recipRank += metrics.recipRank10();
      map += metrics.map();
    }
    if (missing.size() == scoredQueries.size()) {
      throw new IllegalArgumentException(
          "the run retrieves for none of the "
              + scoredQueries.size()
              + " judged queries (qrels query ids look like '"
              + scoredQueries.getFirst()
              + "', run query ids like '"
              + run.rankings().keySet().stream().findFirst().orElse("<none>")
              + "')");
    }
    int n = scoredQueries.size();
    MetricSummary mean = new MetricSummary(ndcg / n, recall / n, recipRank / n, map / n, n);
    return new Evaluation(mean, perQuery, missing);
  }

  /**
   * Scores one query. {@code ranking} may be in any order: it is ranked in {@link
   * RankedDoc#TREC_EVAL_ORDER} first.
   *
   * @throws IllegalArgumentException if {@code ranking} holds a doc id twice
   */
  public static QueryMetrics evaluateQuery(Qrels qrels, String queryId, List<RankedDoc> ranking) {
    int relevantCount = qrels.relevantCount(queryId);
    if (relevantCount == 0) {
      return QueryMetrics.ZERO; // trec_eval's value too; evaluate() does not average such queries
    }
    int[] grades = rankedGrades(qrels, queryId, ranking);
    return new QueryMetrics(
        ndcgAt(grades, qrels.relevantGradesDescending(queryId), NDCG_CUTOFF),
        recallAt(grades, relevantCount, RECALL_CUTOFF),
        reciprocalRankAt(grades, RECIP_RANK_CUTOFF),
        averagePrecision(grades, relevantCount));
  }

  /** The grades of the top {@link #MAX_DOCS_PER_QUERY} docs in trec_eval order; 0 if unjudged. */
  private static int[] rankedGrades(Qrels qrels, String queryId, List<RankedDoc> ranking) {
    TrecRun.requireDistinctDocs(queryId, ranking);
    List<RankedDoc> ordered = new ArrayList<>(ranking);
    ordered.sort(RankedDoc.TREC_EVAL_ORDER);
    int evaluated = Math.min(ordered.size(), MAX_DOCS_PER_QUERY);
    int[] grades = new int[evaluated];
    for (int i = 0; i < evaluated; i++) {
      grades[i] = qrels.grade(queryId, ordered.get(i).docId());
    }
    return grades;
  }

  /** DCG with gain = grade (not 2^grade - 1) and discount log2(rank + 1), over the ideal DCG. */
  private static double ndcgAt(int[] rankedGrades, List<Integer> idealGrades, int cutoff) {
    double ideal = dcg(idealGrades.stream().mapToInt(Integer::intValue).toArray(), cutoff);
    return ideal > 0 ? dcg(rankedGrades, cutoff) / ideal : 0;
  }

  private static double dcg(int[] grades, int cutoff) {
    double sum = 0;
    for (int i = 0; i < Math.min(grades.length, cutoff); i++) {
      if (grades[i] > 0) {
        sum += grades[i] / log2(i + 2); // index i is rank i + 1
      }
    }
    return sum;
  }

  private static double recallAt(int[] rankedGrades, int relevantCount, int cutoff) {
    int found = 0;
    for (int i = 0; i < Math.min(rankedGrades.length, cutoff); i++) {
      if (Qrels.isRelevant(rankedGrades[i])) {
        found++;
      }
    }
    return (double) found / relevantCount;
  }

  private static double reciprocalRankAt(int[] rankedGrades, int cutoff) {
    for (int i = 0; i < Math.min(rankedGrades.length, cutoff); i++) {
      if (Qrels.isRelevant(rankedGrades[i])) {
        return 1.0 / (i + 1);
      }
    }
    return 0;
  }

  /**
   * Precision at each relevant doc retrieved, summed, over all relevant docs (retrieved or not).
   */
  private static double averagePrecision(int[] rankedGrades, int relevantCount) {
    int found = 0;
    double sum = 0;
    for (int i = 0; i < rankedGrades.length; i++) {
      if (Qrels.isRelevant(rankedGrades[i])) {
        found++;
        sum += (double) found / (i + 1);
      }
    }
    return sum / relevantCount;
  }

  private static double log2(int x) {
    return Math.log(x) / LN_2;
  }
}
