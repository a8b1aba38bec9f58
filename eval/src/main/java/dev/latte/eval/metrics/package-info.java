/**
 * Retrieval metrics that reproduce trec_eval 9.x, and the TREC run-file format.
 *
 * <p>The conventions, all taken from trec_eval's source ({@code form_res_rels.c}, {@code m_*.c}):
 *
 * <ul>
 *   <li>A query's documents are ranked by score descending, ties broken by docno descending in
 *       {@code strcmp} order; the rank column of a run file is ignored ({@link
 *       dev.latte.eval.metrics.RankedDoc#TREC_EVAL_ORDER}).
 *   <li>Scores are {@code float}s, because trec_eval parses the score column into a C {@code
 *       float}: two scores that differ only beyond float precision are a tie.
 *   <li>Only the top 1000 documents of a query are evaluated.
 *   <li>A grade {@code >= 1} is relevant (trec_eval's default {@code -l 1}); unjudged documents are
 *       non-relevant.
 *   <li>Means are taken over the queries with at least one relevant judgment; a judged query absent
 *       from the run scores 0 (trec_eval {@code -c}). The one deliberate difference: trec_eval
 *       {@code -c} also counts, as 0, queries whose judgments are all non-relevant; here they are
 *       left out, since no ranking can score on them. With qrels where every query has a relevant
 *       document (SciFact's test qrels, for one) the two agree exactly.
 * </ul>
 */
package dev.latte.eval.metrics;
