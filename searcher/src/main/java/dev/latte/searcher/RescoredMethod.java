package dev.latte.searcher;

import java.io.IOException;
import java.util.List;

/**
 * First stage, then exact MaxSim over its candidates: {@code <stage>+maxsim}. The pipeline every
 * approximate method follows; its quality cost is that of candidates the first stage missed. A
 * query's filter is applied by the first stage (every generator skips non-matching documents), so
 * the rescored candidates all match it.
 */
public final class RescoredMethod implements SearchMethod {
  private final CandidateGenerator firstStage;
  private final int depth;

  /**
   * @param depth candidates taken from the first stage and rescored; the method returns at most
   *     that many documents (the rescored ones), however large k is
   */
  public RescoredMethod(CandidateGenerator firstStage, int depth) {
    this.firstStage = firstStage;
    this.depth = depth;
  }

  @Override
  public String name() {
    return firstStage.name() + "+maxsim";
  }

  @Override
  public String firstStage() {
    return firstStage.firstStage();
  }

  @Override
  public boolean needsQueryMatrix() {
    return true;
  }

  @Override
  public MethodResult search(LatteIndex index, QueryContext query, int k) throws IOException {
    MaxSimScorer scorer = new MaxSimScorer(query.kernel(), index.metadata().dimension());
    MaxSimScorer.Prepared prepared = scorer.prepare(query);
    long t0 = System.nanoTime();
    Candidates c = firstStage.generate(index, query, depth);
    long t1 = System.nanoTime();
    List<ScoredDoc> docs = scorer.rescore(index, prepared, c.docs(), k);
    return new MethodResult(
        docs, scorer.documentsScored(), (t1 - t0) / 1e6, (System.nanoTime() - t1) / 1e6);
  }
}
