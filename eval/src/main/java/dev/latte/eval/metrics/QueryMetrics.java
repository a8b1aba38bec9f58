package dev.latte.eval.metrics;

/**
 * The metrics of one query, named as trec_eval prints them.
 *
 * @param ndcgCut10 {@code ndcg_cut_10}
 * @param recall100 {@code recall_100}
 * @param recipRank10 reciprocal rank cut at 10 (MRR@10); trec_eval's {@code recip_rank} is uncut
 * @param map {@code map}: average precision over the top 1000
 */
public record QueryMetrics(double ndcgCut10, double recall100, double recipRank10, double map) {

  /** What a judged query that is missing from the run scores. */
  public static final QueryMetrics ZERO = new QueryMetrics(0, 0, 0, 0);
}
