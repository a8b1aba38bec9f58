package dev.latte.searcher.firststage.warp;

import dev.latte.searcher.Candidates;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.MaxSimScorer;
import dev.latte.searcher.MethodResult;
import dev.latte.searcher.QueryContext;
import dev.latte.searcher.ScoredDoc;
import dev.latte.searcher.SearchMethod;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * WARP retrieval as a method: {@code warp} returns WARP's own ranking (the two-stage reduction with
 * imputation over the packed residual codes, nothing else read); {@code warp+maxsim} rescores its
 * top {@link WarpSettings#depth} with exact MaxSim over the main index's stored token matrices.
 * Every step is timed ({@link MethodResult#stepsMillis}).
 *
 * <p>Asked for more than {@code depth} results, {@code warp+maxsim} still rescores {@code depth}
 * and continues with WARP's own ranking after them (see {@link #tail}), so its first {@code depth}
 * results are the same whatever k is: an evaluation asking for 1,000 measures the k = 10 path a
 * user gets, with the rescoring cost of that path, and ranks the rest as the first stage does (as
 * {@code xtr+maxsim} rescores its depth and no more). Set {@code warp.depth} to k to rescore all.
 */
public final class WarpMethod implements SearchMethod {
  private final WarpSettings settings;
  private final boolean rescore;

  public WarpMethod(WarpSettings settings, boolean rescore) {
    this.settings = settings;
    this.rescore = rescore;
  }

  @Override
  public String name() {
    return rescore ? WarpBuilder.NAME + "+maxsim" : WarpBuilder.NAME;
  }

  @Override
  public String firstStage() {
    return WarpBuilder.NAME;
  }

  @Override
  public boolean needsQueryMatrix() {
    return true;
  }

  @Override
  public MethodResult search(LatteIndex index, QueryContext query, int k) throws IOException {
    long t0 = System.nanoTime();
    WarpIndex w = index.firstStage(WarpBuilder.NAME, WarpIndex::load);
    WarpSettings s =
        new WarpSettings(
            settings.probes(),
            settings.imputeTokens(),
            // WARP ranks k (the tail past the rescored depth comes from here) or depth for
            // rescoring.
            rescore ? Math.max(settings.depth(), k) : k);
    WarpSearch.Result r =
        WarpSearch.search(
            w,
            query.encoded().matrix().rows(),
            book -> query.preparedResidual(book, index.fanOut()),
            query.kernel(),
            s,
            query.filterBits(index),
            index.fanOut());
    long t1 = System.nanoTime();
    Map<String, Double> steps = new LinkedHashMap<>(r.stepsMillis());
    int[] docs = r.ranked().docs();
    if (!rescore) {
      int n = Math.min(k, docs.length);
      List<ScoredDoc> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) out.add(new ScoredDoc(docs[i], r.ranked().scores()[i]));
      return new MethodResult(out, docs.length, (t1 - t0) / 1e6, 0, steps);
    }
    MaxSimScorer scorer = new MaxSimScorer(query.kernel(), index.metadata().dimension());
    MaxSimScorer.Prepared prepared = scorer.prepare(query);
    long t2 = System.nanoTime();
    // The depth and any document tied with its last (WarpSearch keeps a tie at its cut whole,
    // wherever the cut falls: at k here when k > depth).
    int depth = Math.min(settings.depth(), docs.length);
    float[] warpScores = r.ranked().scores();
    while (depth > 0 && depth < docs.length && warpScores[depth] == warpScores[depth - 1]) depth++;
    List<ScoredDoc> out =
        scorer.rescore(index, prepared, java.util.Arrays.copyOf(docs, depth), Math.min(k, depth));
    if (k > depth && docs.length > depth) out = tail(out, r.ranked(), depth, k);
    long t3 = System.nanoTime();
    steps.put("rescore", (t3 - t1) / 1e6);
    return new MethodResult(out, scorer.documentsScored(), (t1 - t0) / 1e6, (t3 - t1) / 1e6, steps);
  }

  /**
   * The rescored documents, then WARP's candidates {@code depth..k} in WARP's order. Their scores
   * are WARP's, shifted so that the first of them lies just below the last rescored score (WARP's
   * gaps between them kept, each at least one float step below the one before): results stay in
   * descending score order, which is what trec_eval and a client sort by, and the rescored ones
   * come first.
   */
  static List<ScoredDoc> tail(List<ScoredDoc> rescored, Candidates ranked, int depth, int k) {
    int n = Math.min(k, ranked.size());
    List<ScoredDoc> out = new ArrayList<>(n);
    out.addAll(rescored);
    float first = ranked.scores()[depth];
    float floor = rescored.isEmpty() ? first : rescored.getLast().score();
    float prev = rescored.isEmpty() ? Math.nextUp(first) : floor;
    for (int i = depth; i < n; i++) {
      float s = Math.min(floor - (first - ranked.scores()[i]), Math.nextDown(prev));
      out.add(new ScoredDoc(ranked.docs()[i], s));
      prev = s;
    }
    return out;
  }
}
