package dev.latte.searcher;

import java.io.IOException;
import java.util.List;

/**
 * Brute-force late interaction: MaxSim against every live document, with the kernel of the index's
 * codec. On a float32 index this is the quality reference every approximation is measured against.
 * Scores are raw MaxSim sums, not rescaled. On a binary index, {@code maxsim-hamming} scores sign
 * bits against sign bits instead of the float query against sign bits. With a filter, only matching
 * documents are scored: the result is the exact top k of the matching documents.
 */
public final class ExactMaxSimMethod implements SearchMethod {
  public static final String NAME = "maxsim-exact";
  public static final String HAMMING = "maxsim-hamming";

  private final String name;
  private final MaxSimScorer.BitScoring bitScoring;

  public ExactMaxSimMethod() {
    this(NAME, MaxSimScorer.BitScoring.ASYMMETRIC);
  }

  private ExactMaxSimMethod(String name, MaxSimScorer.BitScoring bitScoring) {
    this.name = name;
    this.bitScoring = bitScoring;
  }

  public static ExactMaxSimMethod hamming() {
    return new ExactMaxSimMethod(HAMMING, MaxSimScorer.BitScoring.HAMMING);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public boolean needsQueryMatrix() {
    return true;
  }

  @Override
  public MethodResult search(LatteIndex index, QueryContext query, int k) throws IOException {
    MaxSimScorer scorer =
        new MaxSimScorer(query.kernel(), index.metadata().dimension(), bitScoring);
    MaxSimScorer.Prepared prepared = scorer.prepare(query);
    long t0 = System.nanoTime();
    List<ScoredDoc> docs = scorer.scoreAll(index, prepared, k, query.filterBits(index));
    return new MethodResult(docs, scorer.documentsScored(), 0, (System.nanoTime() - t0) / 1e6);
  }
}
