package dev.latte.searcher;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Lexical and late-interaction evidence combined (CLEAR): BM25's top documents are rescored by
 * MaxSim and the two rankings fused, either by reciprocal rank fusion, sum of 1/(60 + rank), or
 * linearly after min-max normalising each score list over the candidates: {@code w * maxsim' + (1 -
 * w) * bm25'}. Documents BM25 does not retrieve within the depth are not considered.
 *
 * <p>With a second, semantic first stage ({@code hybrid-xtr}: XTR token retrieval), the candidates
 * are the union of BM25's top {@code depth} and that stage's top {@code semanticDepth}; a document
 * BM25 did not retrieve gets the smallest normalised BM25 score (0) in linear fusion and no BM25
 * term in RRF. This is the fast path: a small BM25 depth plus XTR candidates instead of a deep BM25
 * list.
 *
 * <p>A query's filter applies to both first stages (BM25 as a FILTER clause), so only matching
 * documents are fused.
 */
public final class HybridMethod implements SearchMethod {
  public enum Fusion {
    RRF,
    LINEAR
  }

  /**
   * MaxSim's weight in {@code hybrid-xtr-idf}'s z-score fusion, picked leave-one-collection-out
   * over five collections (README, "Quality across collections").
   */
  public static final float IDF_FUSION_WEIGHT = 0.85f;

  /** The RRF constant of Cormack et al. */
  static final int RRF_K = 60;

  private final Fusion fusion;
  private final float maxSimWeight;
  private final int depth;
  private final Bm25Candidates bm25 = new Bm25Candidates();
  private final CandidateGenerator semantic;
  private final int semanticDepth;
  private final String name;
  private final ScoreFusion scoreFusion; // null: the rank or min-max fusion of `fusion`
  private final QueryTokens queryTokens;

  public HybridMethod(Fusion fusion, float maxSimWeight, int depth) {
    this(
        fusion == Fusion.RRF ? "hybrid-rrf" : "hybrid-linear",
        fusion,
        maxSimWeight,
        depth,
        null,
        0);
  }

  public HybridMethod(
      String name,
      Fusion fusion,
      float maxSimWeight,
      int depth,
      CandidateGenerator semantic,
      int semanticDepth) {
    this.name = name;
    this.fusion = fusion;
    this.maxSimWeight = maxSimWeight;
    this.depth = depth;
    this.semantic = semantic;
    this.semanticDepth = semanticDepth;
    this.scoreFusion = null;
    this.queryTokens = QueryTokens.ALL;
  }

  /**
   * BM25's top {@code depth} (∪ {@code semantic}'s top {@code semanticDepth} when given) rescored
   * by MaxSim over the query rows {@code queryTokens} keeps and weighs, and the two score lists
   * combined by {@code fusion}. The first stages see the query as given; only rescoring weighs it.
   */
  public HybridMethod(
      String name,
      ScoreFusion fusion,
      QueryTokens queryTokens,
      int depth,
      CandidateGenerator semantic,
      int semanticDepth) {
    this.name = name;
    this.fusion = Fusion.LINEAR;
    this.maxSimWeight = Float.NaN;
    this.depth = depth;
    this.semantic = semantic;
    this.semanticDepth = semanticDepth;
    this.scoreFusion = fusion;
    this.queryTokens = queryTokens;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String firstStage() {
    return semantic == null ? null : semantic.firstStage();
  }

  @Override
  public boolean needsQueryMatrix() {
    return true;
  }

  @Override
  public MethodResult search(LatteIndex index, QueryContext query, int k) throws IOException {
    if (scoreFusion != null) return searchFused(index, query, k);
    MaxSimScorer scorer = new MaxSimScorer(query.kernel(), index.metadata().dimension());
    MaxSimScorer.Prepared prepared = scorer.prepare(query);
    long t0 = System.nanoTime();
    Candidates c = bm25.generate(index, query, semantic == null ? Math.max(depth, k) : depth);
    int[] pool = c.docs();
    if (semantic != null) {
      Candidates s = semantic.generate(index, query, semanticDepth);
      java.util.LinkedHashSet<Integer> union = new java.util.LinkedHashSet<>();
      for (int d : c.docs()) union.add(d);
      for (int d : s.docs()) union.add(d);
      pool = union.stream().mapToInt(Integer::intValue).toArray();
    }
    long t1 = System.nanoTime();
    int n = pool.length;
    if (n == 0) return new MethodResult(List.of(), 0, (t1 - t0) / 1e6, 0);
    // MaxSim of every candidate, in MaxSim order (rescore returns best first).
    List<ScoredDoc> ranked = scorer.rescore(index, prepared, pool, n);
    java.util.Map<Integer, Integer> bm25Rank = new java.util.HashMap<>(c.size() * 2);
    for (int i = 0; i < c.size(); i++) bm25Rank.put(c.docs()[i], i);
    float bmMin = c.size() == 0 ? 0 : c.scores()[c.size() - 1];
    float bmMax = c.size() == 0 ? 0 : c.scores()[0];
    float msMax = ranked.getFirst().score(), msMin = ranked.getLast().score();
    TopK top = new TopK(Math.min(k, n));
    for (int r = 0; r < n; r++) {
      ScoredDoc d = ranked.get(r);
      Integer br = bm25Rank.get(d.doc());
      float lexical =
          br == null
              ? 0f
              : fusion == Fusion.RRF
                  ? 1f / (RRF_K + br + 1)
                  : normalise(c.scores()[br], bmMin, bmMax);
      float fused =
          fusion == Fusion.RRF
              ? 1f / (RRF_K + r + 1) + lexical
              : maxSimWeight * normalise(d.score(), msMin, msMax) + (1 - maxSimWeight) * lexical;
      top.offer(d.doc(), fused);
    }
    List<ScoredDoc> docs = new ArrayList<>(top.results());
    return new MethodResult(
        docs, scorer.documentsScored(), (t1 - t0) / 1e6, (System.nanoTime() - t1) / 1e6);
  }

  private MethodResult searchFused(LatteIndex index, QueryContext query, int k) throws IOException {
    QueryContext weighted = queryTokens.apply(index, query);
    MaxSimScorer scorer = new MaxSimScorer(query.kernel(), index.metadata().dimension());
    MaxSimScorer.Prepared prepared = scorer.prepare(weighted);
    long t0 = System.nanoTime();
    Candidates c = bm25.generate(index, query, semantic == null ? Math.max(depth, k) : depth);
    java.util.LinkedHashMap<Integer, Float> lexical = new java.util.LinkedHashMap<>();
    for (int i = 0; i < c.size(); i++) lexical.put(c.docs()[i], c.scores()[i]);
    java.util.LinkedHashSet<Integer> pool = new java.util.LinkedHashSet<>(lexical.keySet());
    if (semantic != null)
      for (int d : semantic.generate(index, query, semanticDepth).docs()) pool.add(d);
    long t1 = System.nanoTime();
    int n = pool.size();
    if (n == 0) return new MethodResult(List.of(), 0, (t1 - t0) / 1e6, 0);
    int[] docs = pool.stream().mapToInt(Integer::intValue).toArray();
    List<ScoredDoc> ranked = scorer.rescore(index, prepared, docs, n);
    float[] bm = new float[n], ms = new float[n];
    for (int r = 0; r < n; r++) {
      Float b = lexical.get(ranked.get(r).doc());
      bm[r] = b == null ? Float.NaN : b;
      ms[r] = ranked.get(r).score();
    }
    float[] fused = scoreFusion.fuse(bm, ms);
    TopK top = new TopK(Math.min(k, n));
    for (int r = 0; r < n; r++) top.offer(ranked.get(r).doc(), fused[r]);
    return new MethodResult(
        new ArrayList<>(top.results()),
        scorer.documentsScored(),
        (t1 - t0) / 1e6,
        (System.nanoTime() - t1) / 1e6);
  }

  private static float normalise(float x, float min, float max) {
    return max > min ? (x - min) / (max - min) : 1f;
  }
}
