package dev.latte.eval;

import dev.latte.core.Percentiles;
import dev.latte.datasets.Query;
import dev.latte.eval.metrics.Evaluation;
import dev.latte.eval.metrics.Qrels;
import dev.latte.eval.metrics.RankedDoc;
import dev.latte.eval.metrics.TrecMetrics;
import dev.latte.eval.metrics.TrecRun;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.IndexStats;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.LatteSearcher;
import dev.latte.searcher.MethodResult;
import dev.latte.searcher.QueryContext;
import dev.latte.searcher.ScoredDoc;
import dev.latte.searcher.SearchMethod;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs one method over the judged queries of a split: warms up, times each query (first stage,
 * rescoring, encoding), writes the TREC run and scores it with trec_eval's metrics.
 *
 * @param k depth of each run
 * @param queryThreads queries run concurrently (1: latencies comparable across methods)
 * @param warmupQueries queries run untimed first so the timed ones do not pay for JIT compilation
 * @param removeSelfHits whether a query's own id is dropped from its results (BEIR convention; see
 *     {@link EvalPlan#removeSelfHits})
 * @param variant how late-interaction methods see each query (an experiment; {@link
 *     QueryVariant#NONE}: as encoded)
 */
record MethodRunner(
    int k,
    int queryThreads,
    int warmupQueries,
    boolean removeSelfHits,
    QueryVariant variant,
    PrintStream out) {

  /** Depth of the exact top list that {@code recall_100_vs_exact} compares with. */
  static final int EXACT_DEPTH = 100;

  /** What one method returned (self hits removed, cut to k), its row and its per-query scores. */
  record Measured(EvalRow row, TrecRun run, Evaluation evaluation) {}

  Measured run(
      LatteSearcher searcher,
      SearchMethod method,
      String label,
      IndexOptions opt,
      List<Query> queries,
      Qrels qrels,
      Path runDir,
      long extraBytes)
      throws Exception {
    LatteIndex index = searcher.index();
    if (method.needsQueryMatrix() && !variant.equals(QueryVariant.NONE)) {
      method = variant.wrap(method);
      label = label + "~" + variant.label();
    }
    final SearchMethod timed = method;
    for (int i = 0; i < Math.min(warmupQueries, queries.size()); i++) {
      method.search(index, variant.query(searcher, queries.get(i).text(), method), k + 1);
    }
    int n = queries.size();
    double[] searchMs = new double[n];
    double[] firstStageMs = new double[n];
    double[] rescoreMs = new double[n];
    double[] totalMs = new double[n];
    long[] candidates = new long[n];
    @SuppressWarnings("unchecked")
    List<ScoredDoc>[] results = new List[n];
    long wall0 = System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(queryThreads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        final int qi = i;
        futures.add(
            pool.submit(
                () -> {
                  QueryContext q = variant.query(searcher, queries.get(qi).text(), timed);
                  if (timed.needsQueryMatrix()) q.encoded();
                  // One more than k so that removing the query's own id still leaves k.
                  MethodResult r = timed.search(index, q, k + 1);
                  searchMs[qi] = r.searchMillis();
                  firstStageMs[qi] = r.firstStageMillis();
                  rescoreMs[qi] = r.rescoreMillis();
                  totalMs[qi] = r.searchMillis() + q.encodeMillis();
                  candidates[qi] = r.candidatesScored();
                  results[qi] = r.docs();
                  return null;
                }));
      }
      for (Future<?> f : futures) f.get();
    } finally {
      pool.shutdown();
    }
    double wallSecs = (System.nanoTime() - wall0) / 1e9;

    Map<String, List<RankedDoc>> rankings = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      List<RankedDoc> ranking = new ArrayList<>();
      for (ScoredDoc d : results[i]) ranking.add(new RankedDoc(index.id(d.doc()), d.score()));
      rankings.put(queries.get(i).id(), ranking);
    }
    TrecRun all = TrecRun.of(rankings);
    TrecRun run = truncate(removeSelfHits ? all.withoutSelfHits() : all, k);
    Path runFile = runDir.resolve(label.replace('@', '.') + ".trec");
    run.writeTo(runFile, "latte-" + label);
    Evaluation eval = TrecMetrics.evaluate(qrels, run);
    IndexStats stats = index.stats();
    boolean li = method.needsQueryMatrix();
    out.printf(
        Locale.ROOT,
        "  %-28s nDCG@10 %.4f  p50 %.1f ms%n",
        label,
        eval.mean().ndcgCut10(),
        Percentiles.nearestRank(searchMs, 50));
    EvalRow row =
        new EvalRow(
            label,
            method.name(),
            li ? opt.codec().cliName() : "-",
            li ? opt.poolFactor() : 0,
            eval.mean().ndcgCut10(),
            null,
            eval.mean().recall100(),
            null,
            eval.mean().recipRank10(),
            eval.mean().map(),
            Percentiles.nearestRank(searchMs, 50),
            Percentiles.nearestRank(searchMs, 95),
            Percentiles.nearestRank(totalMs, 50),
            Percentiles.nearestRank(totalMs, 95),
            Percentiles.nearestRank(firstStageMs, 50),
            Percentiles.nearestRank(firstStageMs, 95),
            Percentiles.nearestRank(rescoreMs, 50),
            Percentiles.nearestRank(rescoreMs, 95),
            null,
            n / wallSecs,
            Arrays.stream(candidates).average().orElse(0),
            stats.indexBytes(),
            extraBytes,
            li ? stats.bytesPerToken() : null,
            li ? stats.bytesPerDocument() : null,
            li ? stats.tokensPerDocument() : null,
            li && stats.encodedTokens() > 0
                ? (double) dev.latte.core.FileTrees.bytes(index.path()) / stats.encodedTokens()
                : null,
            eval.mean().queries(),
            queryThreads,
            runFile.toString());
    return new Measured(row, run, eval);
  }

  /** Each query's top {@code depth} doc ids in {@code run} (in trec_eval order). */
  static Map<String, Set<String>> topIds(TrecRun run, int depth) {
    Map<String, Set<String>> top = new HashMap<>();
    run.rankings()
        .forEach(
            (q, ranking) -> {
              Set<String> ids = new HashSet<>();
              for (RankedDoc d : ranking.subList(0, Math.min(depth, ranking.size())))
                ids.add(d.docId());
              top.put(q, ids);
            });
    return top;
  }

  /**
   * Mean over the queries with a non-empty exact list of |top {@code depth} of {@code run} ∩ exact|
   * / |exact|: how much of exact MaxSim's top list a method's own top list keeps. A query the run
   * lacks counts 0; null when no query has an exact list. Both sides should be filtered the same
   * way (self hits removed) before.
   */
  static Double recallVsExact(TrecRun run, Map<String, Set<String>> exactTop, int depth) {
    double sum = 0;
    int n = 0;
    for (var e : exactTop.entrySet()) {
      Set<String> exact = e.getValue();
      if (exact.isEmpty()) continue;
      List<RankedDoc> ranking = run.ranking(e.getKey());
      int found = 0;
      for (RankedDoc d : ranking.subList(0, Math.min(depth, ranking.size())))
        if (exact.contains(d.docId())) found++;
      sum += found / (double) exact.size();
      n++;
    }
    return n == 0 ? null : sum / n;
  }

  private static TrecRun truncate(TrecRun run, int k) {
    Map<String, List<RankedDoc>> out = new LinkedHashMap<>();
    run.rankings().forEach((q, r) -> out.put(q, r.size() > k ? r.subList(0, k) : r));
    return TrecRun.of(out);
  }
}
