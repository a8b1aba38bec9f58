package dev.latte.benchmarks.scale;

import static dev.latte.benchmarks.scale.ScaleMeasures.*;

import dev.latte.core.Percentiles;
import dev.latte.core.TokenMatrix;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.indexer.IndexLayout;
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.searcher.ExactMaxSimMethod;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.MethodResult;
import dev.latte.searcher.RescoredMethod;
import dev.latte.searcher.ScoredDoc;
import dev.latte.searcher.firststage.xtr.XtrBuilder;
import dev.latte.searcher.firststage.xtr.XtrCandidates;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * The measured part of a scale run: brute-force exact MaxSim (the ground truth, timed) and the grid
 * of XTR + exact-rescoring settings, each with latency and recall@k against it; prints the table.
 */
final class ScaleSearch {
  final ScaleOptions o;
  final ClusteredTokens g;
  final Path index;
  final Map<String, Object> report;
  final List<String[]> truthIds;
  final boolean xtr;

  ScaleSearch(ScaleRun run) {
    this.o = run.o;
    this.g = run.g;
    this.index = run.index;
    this.report = run.report;
    this.truthIds = run.truthIds;
    this.xtr = o.paths().contains("xtr");
  }

  void search() throws IOException {
    VectorKernel kernel = VectorKernel.get();
    String loadBefore = loadAverage();
    log("Kernel: %s; searching on 1 thread; load average %s", kernel.name(), loadBefore);
    TokenMatrix[] queries = new TokenMatrix[o.queries()];
    for (int q = 0; q < queries.length; q++) queries[q] = g.query(q, o.queryTokens());
    TokenMatrix[] warm = new TokenMatrix[o.warmup()];
    for (int q = 0; q < warm.length; q++) warm[q] = g.query(o.queries() + q, o.queryTokens());
    int k = o.k();
    // The generator's centres (~topics x subClusters x dim floats) and the queries stay on the
    // heap; measured first, so that the index's own share can be told apart.
    long heapBefore = usedHeapAfterGc();
    try (LatteIndex idx = LatteIndex.open(index)) {
      int docs = idx.reader().numDocs();
      // loads the XTR structure before any timing
      long xtrBytes = xtr ? XtrCandidates.bytes(idx) : 0;
      int centroids = 0;
      if (xtr)
        try (Directory d = FSDirectory.open(FirstStageIndex.dir(index, XtrBuilder.NAME))) {
          centroids = XtrBuilder.readCentroids(d).rows();
        }
      Map<String, Object> memory = new LinkedHashMap<>();
      memory.put("heap_max_bytes", Runtime.getRuntime().maxMemory());
      memory.put("heap_used_before_open_bytes", heapBefore);
      memory.put("heap_used_after_open_bytes", usedHeapAfterGc());
      memory.put(
          "heap_used_by_index_bytes", (long) memory.get("heap_used_after_open_bytes") - heapBefore);
      Map<String, Object> disk = new LinkedHashMap<>();
      disk.put("main_index", filesBySuffix(index));
      disk.put("xtr", filesBySuffix(FirstStageIndex.dir(index, XtrBuilder.NAME)));
      disk.put("xtr_bytes_reported_by_searcher", xtrBytes);
      disk.put("main_segments", idx.reader().leaves().size());
      report.put("disk", disk);

      // One warm-up pass over every setting first, so that no setting is measured while C2 is
      // still compiling the shared code; each setting warms up again right before it is timed.
      log("Warm-up: %d queries through every setting", warm.length);
      for (int probes : xtr ? o.probes() : new int[0])
        for (int tokenDepth : o.tokenDepths())
          for (int depth : o.depths()) {
            RescoredMethod m =
                new RescoredMethod(
                    new XtrCandidates(
                        probes < 0 ? centroids : probes, tokenDepth < 0 ? docs : tokenDepth),
                    depth < 0 ? docs : depth);
            for (TokenMatrix w : warm) m.search(idx, context(w, kernel), k);
          }

      // Brute force: the ground truth, and the baseline latency. It keeps the top 1000 (same
      // cost as the top k: every document is scored) to show how flat the tail of the ranking is.
      ExactMaxSimMethod exact = new ExactMaxSimMethod();
      int keep = Math.max(k, Math.min(1000, docs));
      log(
          "Exact MaxSim over %,d documents: %d warm-up + %d queries",
          docs, warm.length, queries.length);
      for (TokenMatrix w : warm) exact.search(idx, context(w, kernel), keep);
      double[] exactMs = new double[queries.length], exactCpu = new double[queries.length];
      List<int[]> truth = new ArrayList<>();
      int[] ranks = {1, 10, k, 1000};
      double[] scoreAt = new double[ranks.length];
      int[] scoreCount = new int[ranks.length];
      for (int q = 0; q < queries.length; q++) {
        long c = THREADS.getCurrentThreadCpuTime();
        long t = System.nanoTime();
        MethodResult r = exact.search(idx, context(queries[q], kernel), keep);
        exactMs[q] = (System.nanoTime() - t) / 1e6;
        exactCpu[q] = (THREADS.getCurrentThreadCpuTime() - c) / 1e6;
        truth.add(r.docs().stream().limit(k).mapToInt(ScoredDoc::doc).toArray());
        truthIds.add(ids(idx, truth.getLast()));
        for (int i = 0; i < ranks.length; i++)
          if (r.docs().size() >= ranks[i]) {
            scoreAt[i] += r.docs().get(ranks[i] - 1).score();
            scoreCount[i]++;
          }
      }
      Map<String, Object> ex = new LinkedHashMap<>();
      ex.put("documents_scored", docs);
      ex.put("p50_ms", round(Percentiles.nearestRank(exactMs, 50)));
      ex.put("p95_ms", round(Percentiles.nearestRank(exactMs, 95)));
      ex.put("mean_ms", round(Arrays.stream(exactMs).average().orElse(0)));
      ex.put("cpu_p50_ms", round(Percentiles.nearestRank(exactCpu, 50)));
      Map<String, Object> scores = new LinkedHashMap<>();
      for (int i = 0; i < ranks.length; i++)
        if (scoreCount[i] > 0)
          scores.put("rank_" + ranks[i], round4(scoreAt[i] / scoreCount[i] / o.queryTokens()));
      ex.put("mean_score_per_query_token_at_rank", scores);
      report.put("exact", ex);
      log(
          "  exact: p50 %.1f ms, p95 %.1f ms; mean MaxSim / query token at rank %s",
          (double) ex.get("p50_ms"), (double) ex.get("p95_ms"), scores);

      List<Map<String, Object>> rows = new ArrayList<>();
      for (int probes : xtr ? o.probes() : new int[0])
        for (int tokenDepth : o.tokenDepths())
          for (int depth : o.depths()) {
            int p = probes < 0 ? centroids : probes;
            int td = tokenDepth < 0 ? docs : tokenDepth;
            int dp = depth < 0 ? docs : depth;
            rows.add(
                measure(idx, kernel, p, td, dp, queries, warm, truth, (double) ex.get("p50_ms")));
          }
      report.put("settings", rows);

      memory.put("heap_used_after_search_bytes", usedHeapAfterGc());
      report.put("load_average_before_search", loadBefore);
      report.put("load_average_after_search", loadAverage());
      memory.putAll(procStatus());
      report.put("memory", memory);
      report.put("target", target(rows));
      printTable(docs, centroids, rows, ex, disk, memory);
    }
  }

  Map<String, Object> measure(
      LatteIndex idx,
      VectorKernel kernel,
      int probes,
      int tokenDepth,
      int depth,
      TokenMatrix[] queries,
      TokenMatrix[] warm,
      List<int[]> truth,
      double exactP50)
      throws IOException {
    RescoredMethod m = new RescoredMethod(new XtrCandidates(probes, tokenDepth), depth);
    int k = o.k();
    for (TokenMatrix w : warm) m.search(idx, context(w, kernel), k);
    int n = queries.length;
    double[] first = new double[n], rescore = new double[n], total = new double[n];
    double[] recall = new double[n], recall10 = new double[n], cpu = new double[n];
    long candidates = 0;
    for (int q = 0; q < n; q++) {
      long c = THREADS.getCurrentThreadCpuTime();
      long t = System.nanoTime();
      MethodResult r = m.search(idx, context(queries[q], kernel), k);
      total[q] = (System.nanoTime() - t) / 1e6;
      cpu[q] = (THREADS.getCurrentThreadCpuTime() - c) / 1e6;
      first[q] = r.firstStageMillis();
      rescore[q] = r.rescoreMillis();
      candidates += r.candidatesScored();
      int[] got = r.docs().stream().mapToInt(ScoredDoc::doc).toArray();
      recall[q] = recall(truth.get(q), got, k);
      recall10[q] = recall(truth.get(q), got, Math.min(10, k));
    }
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("probes", probes);
    row.put("token_depth", tokenDepth);
    row.put("depth", depth);
    row.put("recall_at_k", round4(mean(recall)));
    row.put("recall_at_k_min", round4(Arrays.stream(recall).min().orElse(0)));
    row.put("recall_at_10", round4(mean(recall10)));
    row.put("first_stage_p50_ms", round(Percentiles.nearestRank(first, 50)));
    row.put("first_stage_p95_ms", round(Percentiles.nearestRank(first, 95)));
    row.put("rescore_p50_ms", round(Percentiles.nearestRank(rescore, 50)));
    row.put("rescore_p95_ms", round(Percentiles.nearestRank(rescore, 95)));
    row.put("total_p50_ms", round(Percentiles.nearestRank(total, 50)));
    row.put("total_p95_ms", round(Percentiles.nearestRank(total, 95)));
    row.put("total_mean_ms", round(mean(total)));
    row.put("cpu_p50_ms", round(Percentiles.nearestRank(cpu, 50)));
    row.put("candidates_rescored_mean", round((double) candidates / n));
    row.put("speedup_p50", round(exactP50 / Percentiles.nearestRank(total, 50)));
    log(
        "  probes %d, token depth %d, depth %d: recall@%d %.4f, total p50 %.1f ms",
        probes, tokenDepth, depth, k, mean(recall), Percentiles.nearestRank(total, 50));
    return row;
  }

  /**
   * The external ids of {@code docs} (another index of the same vectors numbers them otherwise).
   */
  static String[] ids(LatteIndex idx, int[] docs) throws IOException {
    var stored = idx.reader().storedFields();
    String[] out = new String[docs.length];
    for (int i = 0; i < docs.length; i++)
      out[i] = stored.document(docs[i], Set.of(IndexLayout.ID)).get(IndexLayout.ID);
    return out;
  }

  /** |top-k of got ∩ exact top-k| / min(k, |exact|). */
  static double recall(int[] exact, int[] got, int k) {
    int n = Math.min(k, exact.length);
    if (n == 0) return 1;
    Set<Integer> want = new HashSet<>();
    for (int i = 0; i < n; i++) want.add(exact[i]);
    int hit = 0;
    for (int i = 0; i < Math.min(k, got.length); i++) if (want.contains(got[i])) hit++;
    return (double) hit / n;
  }

  Map<String, Object> target(List<Map<String, Object>> rows) {
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("total_p50_ms_at_most", 50.0);
    t.put("recall_at_k_at_least", 0.95);
    t.put("k", o.k());
    Map<String, Object> best = null;
    for (Map<String, Object> r : rows) {
      if ((double) r.get("recall_at_k") < 0.95 || (double) r.get("total_p50_ms") > 50) continue;
      if (best == null || (double) r.get("total_p50_ms") < (double) best.get("total_p50_ms"))
        best = r;
    }
    t.put("met", best != null);
    t.put("token_vectors", g.totalTokens);
    t.put("fastest_setting_meeting_it", best);
    Map<String, Object> bestRecall = null;
    for (Map<String, Object> r : rows)
      if ((double) r.get("total_p50_ms") <= 50
          && (bestRecall == null
              || (double) r.get("recall_at_k") > (double) bestRecall.get("recall_at_k")))
        bestRecall = r;
    t.put("best_recall_within_50ms", bestRecall);
    return t;
  }

  void printTable(
      int docs,
      int centroids,
      List<Map<String, Object>> rows,
      Map<String, Object> exact,
      Map<String, Object> disk,
      Map<String, Object> memory) {
    OUT.println();
    OUT.printf(
        Locale.ROOT,
        "ScaleBenchmark: %,d token vectors in %,d documents, dim %d, float16; XTR %,d centroids;"
            + " %d queries x %d tokens; k = %d; 1 search thread%n",
        g.totalTokens,
        docs,
        g.dim,
        centroids,
        o.queries(),
        o.queryTokens(),
        o.k());
    @SuppressWarnings("unchecked")
    Map<String, Object> build = (Map<String, Object>) report.get("build");
    @SuppressWarnings("unchecked")
    Map<String, Object> w = (Map<String, Object>) build.get("write");
    @SuppressWarnings("unchecked")
    Map<String, Object> x = (Map<String, Object>) build.get("xtr");
    if (x == null)
      x =
          Map.of(
              "centroids",
              0,
              "threads",
              0,
              "seconds",
              0,
              "sample_and_kmeans_seconds",
              0,
              "assign_and_postings_seconds",
              0,
              "force_merge_and_commit_seconds",
              0);
    OUT.printf(
        Locale.ROOT,
        "Build: writing %.1f s (%d threads)%s; XTR (%d centroids, %d threads) %.1f s = sampling"
            + " + k-means %.1f s, assignment + postings %.1f s, force merge %.1f s%s%n",
        ((Number) w.get("seconds")).doubleValue(),
        ((Number) w.get("threads")).intValue(),
        Boolean.TRUE.equals(build.get("reused_index"))
            ? " [reused: time of the run that built it]"
            : "",
        ((Number) x.get("centroids")).intValue(),
        ((Number) x.get("threads")).intValue(),
        ((Number) x.get("seconds")).doubleValue(),
        ((Number) x.get("sample_and_kmeans_seconds")).doubleValue(),
        ((Number) x.get("assign_and_postings_seconds")).doubleValue(),
        ((Number) x.get("force_merge_and_commit_seconds")).doubleValue(),
        Boolean.TRUE.equals(build.get("reused_xtr"))
            ? " [reused: time of the run that built it]"
            : "");
    @SuppressWarnings("unchecked")
    Map<String, Object> main = (Map<String, Object>) disk.get("main_index");
    @SuppressWarnings("unchecked")
    Map<String, Object> xtr = (Map<String, Object>) disk.get("xtr");
    if (!this.xtr) xtr = Map.of("total_bytes", 0L, "by_suffix", Map.of());
    OUT.printf(
        Locale.ROOT,
        "Disk (memory-mapped): main index %s in %d segments (%s); latte-xtr %s (%s)%n",
        human(((Number) main.get("total_bytes")).longValue()),
        ((Number) disk.get("main_segments")).intValue(),
        largest(main),
        human(((Number) xtr.get("total_bytes")).longValue()),
        largest(xtr));
    OUT.printf(
        Locale.ROOT,
        "Memory: heap used %s before opening the index (generator centres + queries), %s after"
            + " opening it and loading XTR (index share %s), %s after searching (max heap %s);"
            + " process RSS %s = anon %s + file-backed (mapped index pages) %s%n",
        human(((Number) memory.get("heap_used_before_open_bytes")).longValue()),
        human(((Number) memory.get("heap_used_after_open_bytes")).longValue()),
        human(((Number) memory.get("heap_used_by_index_bytes")).longValue()),
        human(((Number) memory.get("heap_used_after_search_bytes")).longValue()),
        human(((Number) memory.get("heap_max_bytes")).longValue()),
        human(((Number) memory.getOrDefault("vm_rss_bytes", 0L)).longValue()),
        human(((Number) memory.getOrDefault("rss_anon_bytes", 0L)).longValue()),
        human(((Number) memory.getOrDefault("rss_file_bytes", 0L)).longValue()));
    OUT.printf(
        Locale.ROOT,
        "Exact MaxSim (brute force, ground truth): p50 %.1f ms, p95 %.1f ms, mean %.1f ms, CPU"
            + " p50 %.1f ms; mean MaxSim per query token at rank %s%n",
        ((Number) exact.get("p50_ms")).doubleValue(),
        ((Number) exact.get("p95_ms")).doubleValue(),
        ((Number) exact.get("mean_ms")).doubleValue(),
        ((Number) exact.get("cpu_p50_ms")).doubleValue(),
        exact.get("mean_score_per_query_token_at_rank"));
    OUT.printf(
        Locale.ROOT,
        "Load average (1/5/15 min) before / after searching: %s / %s (2 cores; wall times"
            + " include waiting for a core, CPU times do not)%n",
        report.get("load_average_before_search"),
        report.get("load_average_after_search"));
    if (!this.xtr) return; // --paths without xtr: brute force only (the ground truth of ScaleWarp)
    OUT.println();
    String head =
        String.format(
            Locale.ROOT,
            "| probes | k' | depth | recall@%d | (min) | recall@10 | first p50/p95 ms |"
                + " rescore p50/p95 ms | total p50/p95 ms | total CPU p50 ms | rescored |"
                + " speedup |",
            o.k());
    OUT.println(head);
    OUT.println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (Map<String, Object> r : rows)
      OUT.printf(
          Locale.ROOT,
          "| %d | %d | %d | %.4f | %.2f | %.4f | %.1f / %.1f | %.1f / %.1f | %.1f / %.1f | %.1f |"
              + " %.0f | %.1fx |%n",
          r.get("probes"),
          r.get("token_depth"),
          r.get("depth"),
          r.get("recall_at_k"),
          r.get("recall_at_k_min"),
          r.get("recall_at_10"),
          r.get("first_stage_p50_ms"),
          r.get("first_stage_p95_ms"),
          r.get("rescore_p50_ms"),
          r.get("rescore_p95_ms"),
          r.get("total_p50_ms"),
          r.get("total_p95_ms"),
          r.get("cpu_p50_ms"),
          r.get("candidates_rescored_mean"),
          r.get("speedup_p50"));
    @SuppressWarnings("unchecked")
    Map<String, Object> t = (Map<String, Object>) report.get("target");
    @SuppressWarnings("unchecked")
    Map<String, Object> best = (Map<String, Object>) t.get("fastest_setting_meeting_it");
    @SuppressWarnings("unchecked")
    Map<String, Object> near = (Map<String, Object>) t.get("best_recall_within_50ms");
    OUT.println();
    if (best != null)
      OUT.printf(
          Locale.ROOT,
          "Target (total p50 <= 50 ms, recall@%d >= 0.95) MET at %,d tokens: fastest setting"
              + " probes %s, k' %s, depth %s: %.1f ms, recall %.4f%n",
          o.k(),
          g.totalTokens,
          best.get("probes"),
          best.get("token_depth"),
          best.get("depth"),
          best.get("total_p50_ms"),
          best.get("recall_at_k"));
    else
      OUT.printf(
          Locale.ROOT,
          "Target (total p50 <= 50 ms, recall@%d >= 0.95) NOT met at %,d tokens by any"
              + " setting measured%s%n",
          o.k(),
          g.totalTokens,
          near == null
              ? " (none is within 50 ms)"
              : String.format(
                  Locale.ROOT,
                  "; best recall within 50 ms: %.4f (probes %s, k' %s, depth %s, %.1f ms)",
                  near.get("recall_at_k"),
                  near.get("probes"),
                  near.get("token_depth"),
                  near.get("depth"),
                  near.get("total_p50_ms")));
  }
}
