package dev.latte.searcher.firststage.warp;

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
 * top {@link WarpSettings#depth} (at least k) with exact MaxSim over the main index's stored token
 * matrices. Every step is timed ({@link MethodResult#stepsMillis}).
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
            // Rescoring takes warp.depth candidates, but never fewer than the k asked for.
            rescore ? Math.max(settings.depth(), k) : k);
    WarpSearch.Result r =
        WarpSearch.search(
            w,
            query.encoded().matrix().rows(),
            query::preparedResidual,
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
    List<ScoredDoc> out = scorer.rescore(index, prepared, docs, k);
    long t3 = System.nanoTime();
    steps.put("rescore", (t3 - t1) / 1e6);
    return new MethodResult(out, scorer.documentsScored(), (t1 - t0) / 1e6, (t3 - t1) / 1e6, steps);
  }
}
