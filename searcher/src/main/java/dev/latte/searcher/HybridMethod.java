package dev.latte.searcher;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Lexical and late-interaction evidence combined (CLEAR): BM25's top documents are rescored by
 * MaxSim and the two rankings fused, either by reciprocal rank fusion, sum of 1/(60 + rank), or
 * linearly after min-max normalising each score list over the candidates: {@code w * maxsim' + (1 -
 * w) * bm25'}. Documents BM25 does not retrieve within the depth are not considered.
 */
public final class HybridMethod implements SearchMethod {
  public enum Fusion {
    RRF,
    LINEAR
  }

  /** The RRF constant of Cormack et al. */
  static final int RRF_K = 60;

  private final Fusion fusion;
  private final float maxSimWeight;
  private final int depth;
  private final Bm25Candidates bm25 = new Bm25Candidates();

  public HybridMethod(Fusion fusion, float maxSimWeight, int depth) {
    this.fusion = fusion;
    this.maxSimWeight = maxSimWeight;
    this.depth = depth;
  }

  @Override
  public String name() {
    return fusion == Fusion.RRF ? "hybrid-rrf" : "hybrid-linear";
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
    Candidates c = bm25.generate(index, query, Math.max(depth, k));
    long t1 = System.nanoTime();
    int n = c.size();
    if (n == 0) return new MethodResult(List.of(), 0, (t1 - t0) / 1e6, 0);
    // MaxSim of every candidate, in MaxSim order (rescore returns best first).
    List<ScoredDoc> semantic = scorer.rescore(index, prepared, c.docs(), n);
    java.util.Map<Integer, Integer> bm25Rank = new java.util.HashMap<>(n * 2);
    for (int i = 0; i < n; i++) bm25Rank.put(c.docs()[i], i);
    float bmMin = c.scores()[n - 1], bmMax = c.scores()[0];
    float msMax = semantic.getFirst().score(), msMin = semantic.getLast().score();
    TopK top = new TopK(Math.min(k, n));
    for (int r = 0; r < n; r++) {
      ScoredDoc d = semantic.get(r);
      int br = bm25Rank.get(d.doc());
      float fused =
          fusion == Fusion.RRF
              ? 1f / (RRF_K + r + 1) + 1f / (RRF_K + br + 1)
              : maxSimWeight * normalise(d.score(), msMin, msMax)
                  + (1 - maxSimWeight) * normalise(c.scores()[br], bmMin, bmMax);
      top.offer(d.doc(), fused);
    }
    List<ScoredDoc> docs = new ArrayList<>(top.results());
    return new MethodResult(
        docs, scorer.documentsScored(), (t1 - t0) / 1e6, (System.nanoTime() - t1) / 1e6);
  }

  private static float normalise(float x, float min, float max) {
    return max > min ? (x - min) / (max - min) : 1f;
  }
}
