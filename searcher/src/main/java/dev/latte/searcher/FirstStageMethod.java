package dev.latte.searcher;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A first stage's own ranking as a method (e.g. {@code xtr}: XTR scores with imputation, no token
 * matrix read): its top k candidates with its scores. Candidates scored = documents the first stage
 * gave a score.
 */
public final class FirstStageMethod implements SearchMethod {
  private final CandidateGenerator stage;

  public FirstStageMethod(CandidateGenerator stage) {
    this.stage = stage;
  }

  @Override
  public String name() {
    return stage.name();
  }

  @Override
  public String firstStage() {
    return stage.firstStage();
  }

  @Override
  public boolean needsQueryMatrix() {
    return true;
  }

  @Override
  public MethodResult search(LatteIndex index, QueryContext query, int k) throws IOException {
    long t0 = System.nanoTime();
    Candidates c = stage.generate(index, query, Integer.MAX_VALUE);
    int n = Math.min(k, c.size());
    List<ScoredDoc> docs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) docs.add(new ScoredDoc(c.docs()[i], c.scores()[i]));
    return new MethodResult(docs, c.size(), (System.nanoTime() - t0) / 1e6, 0);
  }
}
