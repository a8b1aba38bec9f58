package dev.latte.searcher;

import dev.latte.core.kernel.PreparedQuery;
import java.io.IOException;
import java.util.List;

/**
 * Brute-force late interaction: MaxSim against every live document. The quality reference every
 * approximate method is measured against. Scores are raw MaxSim sums, not rescaled.
 */
public final class ExactMaxSimMethod implements SearchMethod {
  public static final String NAME = "maxsim-exact";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public boolean needsQueryMatrix() {
    return true;
  }

  @Override
  public MethodResult search(LatteIndex index, QueryContext query, int k) throws IOException {
    PreparedQuery prepared = query.prepared();
    long t0 = System.nanoTime();
    MaxSimScorer scorer = new MaxSimScorer(query.kernel(), index.metadata().dimension());
    List<ScoredDoc> docs = scorer.scoreAll(index, prepared, k);
    return new MethodResult(docs, scorer.documentsScored(), 0, (System.nanoTime() - t0) / 1e6);
  }
}
