package dev.latte.benchmarks.scale;

import static dev.latte.benchmarks.scale.ScaleMeasures.*;

import dev.latte.core.FileTrees;
import dev.latte.core.Percentiles;
import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.ResidualCodebook;
import dev.latte.core.codec.TokenCodec;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.LatteIndexReaderSupport;
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.MethodResult;
import dev.latte.searcher.firststage.warp.WarpBuilder;
import dev.latte.searcher.firststage.warp.WarpCandidates;
import dev.latte.searcher.firststage.warp.WarpMethod;
import dev.latte.searcher.firststage.warp.WarpSettings;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * The default path at scale: the same generated vectors written as a residual-2 index (the
 * product's default codec; pool factor {@code --warp-pool-factor}) with its WARP lists, searched
 * with {@code warp+maxsim} (WARP's candidates rescored by exact MaxSim over the residual codes) and
 * {@code warp} alone, each against brute-force exact MaxSim over the float16 index of the same
 * vectors ({@link ScaleSearch}'s ground truth, matched by document id). Bytes per token all in =
 * every file of the residual index's folder (main index, codebook, WARP lists and documents) over
 * the generated token vectors.
 */
final class ScaleWarp {
  private final ScaleRun run;
  private final ScaleOptions o;
  private final Path index;
  private final Path paramsFile;

  /** Per query, brute force's top k over this residual index: the codec's own ceiling. */
  private final List<String[]> codecTruth = new ArrayList<>();

  ScaleWarp(ScaleRun run) {
    this.run = run;
    this.o = run.o;
    this.index =
        o.dir()
            .resolve(
                run.index.getFileName()
                    + "-residual2-p"
                    + o.warpPoolFactor()
                    + (o.warpCentroids() > 0 ? "-c" + o.warpCentroids() : "")
                    + "-warp");
    this.paramsFile = o.dir().resolve(index.getFileName() + ".params.json");
  }

  void run() throws Exception {
    Map<String, Object> build = build();
    run.report.put("warp_build", build);
    run.report.put("warp", search(build));
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> build() throws Exception {
    Map<String, Object> identity = new LinkedHashMap<>();
    identity.put("data", run.g.identity(o));
    identity.put("codec", TokenCodec.RESIDUAL_2.cliName());
    identity.put("pool_factor", o.warpPoolFactor());
    identity.put("warp", WarpBuilder.FORMAT.stamp());
    identity.put("centroids_requested", o.warpCentroids());
    // Residual codes carry a per-token scale byte since codebook version 2; an index coded before
    // must not be reused as if it had them.
    identity.put("per_token_scales", true);
    // The writer's training window grows with the expected size (it was a fixed 65,536 tokens).
    if (o.warpCentroids() == 0)
      identity.put(
          "writer_window_tokens",
          dev.latte.indexer.ResidualTraining.windowTokens(o.tokens(), o.dim()));
    Map<String, Object> previous =
        Files.isRegularFile(paramsFile) ? run.json.readValue(paramsFile.toFile(), Map.class) : null;
    if (o.reuse()
        && previous != null
        && run.sameJson(identity, previous.get("identity"))
        && Files.isDirectory(index)) {
      try (Directory d = FSDirectory.open(index);
          DirectoryReader reader = DirectoryReader.open(d)) {
        if (FirstStageIndex.isFresh(index, WarpBuilder.FORMAT, reader)) {
          log("Reusing the residual-2 index with WARP lists %s (same parameters)", index);
          Map<String, Object> b = new LinkedHashMap<>((Map<String, Object>) previous.get("build"));
          b.put("reused", true);
          return b;
        }
      }
    }
    if (Files.exists(index)) {
      log("Deleting the previous residual index %s", index);
      FileTrees.deleteRecursively(index);
    }
    Files.deleteIfExists(paramsFile);
    Map<String, Object> b = new LinkedHashMap<>();
    ResidualCodebook book = null;
    if (o.warpCentroids() > 0) {
      long c0 = System.nanoTime();
      book = trainCodebook(o.warpCentroids());
      b.put("codebook_seconds", round((System.nanoTime() - c0) / 1e9));
    }
    b.put(
        "write",
        run.write(index, new IndexOptions(TokenCodec.RESIDUAL_2, o.warpPoolFactor()), book));
    long t0 = System.nanoTime();
    try (Directory d = FSDirectory.open(index);
        DirectoryReader reader = DirectoryReader.open(d)) {
      IndexMetadata meta = LatteIndexReaderSupport.metadataOf(reader.getIndexCommit());
      log("Building the WARP lists (the index's own codebook, its stored centroid ids)");
      new WarpBuilder().build(index, reader, meta, IndexProgress.NONE);
    }
    b.put("warp_seconds", round((System.nanoTime() - t0) / 1e9));
    log("Built the WARP lists in %.1f s", (System.nanoTime() - t0) / 1e9);
    Map<String, Object> params = new LinkedHashMap<>();
    params.put("identity", identity);
    params.put("build", b);
    run.json.writeValue(paramsFile.toFile(), params);
    Map<String, Object> out = new LinkedHashMap<>(b);
    out.put("reused", false);
    return out;
  }

  /**
   * A codebook of {@code k} centroids trained as the writer trains one (spherical k-means, then the
   * residual buckets), on 16 tokens per centroid from documents spread over the whole collection
   * (the writer's own window holds 32 per centroid of the XTR rule, within 256 MiB).
   */
  private ResidualCodebook trainCodebook(int k) {
    int want = k * dev.latte.indexer.ResidualTraining.MIN_POINTS_PER_CENTROID;
    int docs = run.g.documents();
    int step = Math.max(1, (int) (docs / Math.max(1.0, want / (double) o.tokensPerDoc())));
    float[] rows = new float[(want + 4 * o.tokensPerDoc()) * o.dim()];
    int n = 0;
    for (int d = 0; d < docs && n < want; d += step) {
      TokenMatrix m = run.g.document(d);
      int take = Math.min(m.rows(), want - n);
      System.arraycopy(m.data(), 0, rows, n * o.dim(), take * o.dim());
      n += take;
    }
    log("Training a %,d-centroid codebook on %,d generated tokens", k, n);
    int threads = Runtime.getRuntime().availableProcessors();
    float[] centroids =
        dev.latte.indexer.ResidualTraining.trainCentroids(rows, n, o.dim(), k, threads);
    return dev.latte.indexer.ResidualTraining.fit(2, centroids, o.dim(), rows, n);
  }

  private Map<String, Object> search(Map<String, Object> build) throws IOException {
    VectorKernel kernel = VectorKernel.get();
    TokenMatrix[] queries = new TokenMatrix[o.queries()];
    for (int q = 0; q < queries.length; q++) queries[q] = run.g.query(q, o.queryTokens());
    TokenMatrix[] warm = new TokenMatrix[o.warmup()];
    for (int q = 0; q < warm.length; q++) warm[q] = run.g.query(o.queries() + q, o.queryTokens());
    int k = o.k();
    Map<String, Object> out = new LinkedHashMap<>();
    Map<String, Object> disk = new LinkedHashMap<>();
    long all = FileTrees.bytes(index);
    long warpBytes = FileTrees.bytes(FirstStageIndex.dir(index, WarpBuilder.NAME));
    disk.put("folder_bytes_all_in", all);
    disk.put("main_index", filesBySuffix(index));
    disk.put("warp", filesBySuffix(FirstStageIndex.dir(index, WarpBuilder.NAME)));
    disk.put("generated_token_vectors", run.g.totalTokens);
    disk.put("bytes_per_token_all_in", round(all / (double) run.g.totalTokens));
    disk.put("warp_bytes_per_token", round(warpBytes / (double) run.g.totalTokens));
    out.put("disk", disk);
    String loadBefore = loadAverage();
    long heapBefore = usedHeapAfterGc();
    List<MemoryPoolMXBean> heapPools =
        ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(p -> p.getType() == MemoryType.HEAP)
            .toList();
    heapPools.forEach(MemoryPoolMXBean::resetPeakUsage);
    Map<String, Object> memory = new LinkedHashMap<>();
    List<Map<String, Object>> rows = new ArrayList<>();
    try (LatteIndex idx = LatteIndex.open(index)) {
      WarpCandidates.bytes(idx); // loads the WARP structure before any timing
      memory.put("heap_max_bytes", Runtime.getRuntime().maxMemory());
      memory.put("heap_used_before_open_bytes", heapBefore);
      long opened = usedHeapAfterGc();
      memory.put("heap_used_after_open_bytes", opened);
      memory.put("heap_used_by_index_bytes", opened - heapBefore);
      log(
          "Default path: %,d documents, residual-2 pool %d, %,.1f B per generated token all in;"
              + " searching on 1 thread; load average %s",
          idx.reader().numDocs(), o.warpPoolFactor(), all / (double) run.g.totalTokens, loadBefore);
      for (int probes : o.warpProbes())
        for (int depth : o.warpDepths()) {
          WarpSettings s = new WarpSettings(probes, WarpSettings.DEFAULT.imputeTokens(), depth);
          for (TokenMatrix w : warm) new WarpMethod(s, true).search(idx, context(w, kernel), k);
        }
      // Exact MaxSim over every document's residual codes: what no first stage can beat, so the
      // codec's loss against the float truth is told apart from WARP's.
      rows.add(
          measure(idx, kernel, new dev.latte.searcher.ExactMaxSimMethod(), null, queries, warm));
      for (int probes : o.warpProbes()) {
        WarpSettings alone = new WarpSettings(probes, WarpSettings.DEFAULT.imputeTokens(), k);
        rows.add(measure(idx, kernel, new WarpMethod(alone, false), alone, queries, warm));
        for (int depth : o.warpDepths()) {
          WarpSettings s = new WarpSettings(probes, WarpSettings.DEFAULT.imputeTokens(), depth);
          rows.add(measure(idx, kernel, new WarpMethod(s, true), s, queries, warm));
        }
      }
      memory.put("heap_used_after_search_bytes", usedHeapAfterGc());
    }
    long peak = 0;
    for (MemoryPoolMXBean p : heapPools) peak += p.getPeakUsage().getUsed();
    memory.put("heap_peak_bytes_sum_of_pools", peak);
    memory.putAll(procStatus());
    out.put("memory", memory);
    out.put("load_average_before_search", loadBefore);
    out.put("load_average_after_search", loadAverage());
    out.put("settings", rows);
    out.put("default_settings", WarpSettings.DEFAULT.toString());
    out.put("target", target(rows));
    print(build, disk, memory, rows, out);
    return out;
  }

  private Map<String, Object> measure(
      LatteIndex idx,
      VectorKernel kernel,
      dev.latte.searcher.SearchMethod m,
      WarpSettings s,
      TokenMatrix[] queries,
      TokenMatrix[] warm)
      throws IOException {
    int k = o.k();
    for (TokenMatrix w : warm) m.search(idx, context(w, kernel), k);
    int n = queries.length;
    double[] first = new double[n], rescore = new double[n], total = new double[n];
    double[] recall = new double[n], recall10 = new double[n], cpu = new double[n];
    double[] ofCodec = new double[n];
    Map<String, double[]> steps = new LinkedHashMap<>();
    for (int q = 0; q < n; q++) {
      long c = THREADS.getCurrentThreadCpuTime();
      long t = System.nanoTime();
      MethodResult r = m.search(idx, context(queries[q], kernel), k);
      total[q] = (System.nanoTime() - t) / 1e6;
      cpu[q] = (THREADS.getCurrentThreadCpuTime() - c) / 1e6;
      first[q] = r.firstStageMillis();
      rescore[q] = r.rescoreMillis();
      for (Map.Entry<String, Double> e : r.stepsMillis().entrySet())
        steps.computeIfAbsent(e.getKey(), x -> new double[n])[q] = e.getValue();
      int[] docs = r.docs().stream().mapToInt(dev.latte.searcher.ScoredDoc::doc).toArray();
      String[] got = ScaleSearch.ids(idx, docs);
      recall[q] = recall(run.truthIds.get(q), got, k);
      recall10[q] = recall(run.truthIds.get(q), got, Math.min(10, k));
      if (s == null) codecTruth.add(got);
      ofCodec[q] = recall(codecTruth.get(q), got, k);
    }
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("method", m.name());
    row.put("probes", s == null ? 0 : s.probes());
    row.put("depth", s == null ? 0 : s.depth());
    row.put(
        "default",
        s != null
            && s.probes() == WarpSettings.DEFAULT.probes()
            && m.name().endsWith("+maxsim")
            && s.depth() == WarpSettings.DEFAULT.depth());
    row.put("recall_at_k", round4(mean(recall)));
    row.put("recall_at_k_min", round4(Arrays.stream(recall).min().orElse(0)));
    row.put("recall_at_10", round4(mean(recall10)));
    row.put("recall_at_k_of_residual_exact", round4(mean(ofCodec)));
    row.put("first_stage_p50_ms", round(Percentiles.nearestRank(first, 50)));
    row.put("rescore_p50_ms", round(Percentiles.nearestRank(rescore, 50)));
    row.put("total_p50_ms", round(Percentiles.nearestRank(total, 50)));
    row.put("total_p95_ms", round(Percentiles.nearestRank(total, 95)));
    row.put("cpu_p50_ms", round(Percentiles.nearestRank(cpu, 50)));
    row.put("cpu_p95_ms", round(Percentiles.nearestRank(cpu, 95)));
    // Each step's own p50 (WARP's prepare, select, decode, score, reduce, sum, rescore): where the
    // time goes at this size.
    Map<String, Double> stepsP50 = new LinkedHashMap<>();
    steps.forEach((name, v) -> stepsP50.put(name, round(Percentiles.nearestRank(v, 50))));
    row.put("steps_p50_ms", stepsP50);
    log(
        "  %s probes %d depth %d: recall@%d %.4f, p50 %.1f ms (CPU %.1f)%s",
        m.name(),
        s == null ? 0 : s.probes(),
        s == null ? 0 : s.depth(),
        k,
        mean(recall),
        Percentiles.nearestRank(total, 50),
        Percentiles.nearestRank(cpu, 50),
        stepsP50.isEmpty() ? "" : "; steps p50 ms " + stepsP50);
    return row;
  }

  /** |top-k of got ∩ exact top-k| / min(k, |exact|), by document id. */
  static double recall(String[] exact, String[] got, int k) {
    int n = Math.min(k, exact.length);
    if (n == 0) return 1;
    Set<String> want = new HashSet<>(Arrays.asList(exact).subList(0, n));
    int hit = 0;
    for (int i = 0; i < Math.min(k, got.length); i++) if (want.contains(got[i])) hit++;
    return (double) hit / n;
  }

  /** Issue 12's target at 10 M token vectors: p50 <= 10 ms, recall@100 >= 0.97 of brute force. */
  private Map<String, Object> target(List<Map<String, Object>> rows) {
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("total_p50_ms_at_most", 10.0);
    t.put("recall_at_k_at_least", 0.97);
    Map<String, Object> best = null;
    for (Map<String, Object> r : rows) {
      if ((int) r.get("probes") == 0) continue; // brute force over the codes, not a search path
      if ((double) r.get("recall_at_k") < 0.97 || (double) r.get("total_p50_ms") > 10) continue;
      if (best == null || (double) r.get("total_p50_ms") < (double) best.get("total_p50_ms"))
        best = r;
    }
    t.put("met", best != null);
    t.put("fastest_setting_meeting_it", best);
    return t;
  }

  @SuppressWarnings("unchecked")
  private void print(
      Map<String, Object> build,
      Map<String, Object> disk,
      Map<String, Object> memory,
      List<Map<String, Object>> rows,
      Map<String, Object> out) {
    Map<String, Object> w = (Map<String, Object>) build.get("write");
    OUT.println();
    OUT.printf(
        Locale.ROOT,
        "Default path: residual-2 pool %d index of the same %,d token vectors, WARP lists"
            + " (t' %d); k = %d; 1 search thread; brute force over the float16 index is the truth%n",
        o.warpPoolFactor(),
        run.g.totalTokens,
        WarpSettings.DEFAULT.imputeTokens(),
        o.k());
    OUT.printf(
        Locale.ROOT,
        "Build: writing %.1f s (%s threads, %s), WARP lists %.1f s%s%n",
        ((Number) w.get("seconds")).doubleValue(),
        w.get("threads"),
        build.containsKey("codebook_seconds")
            ? String.format(
                Locale.ROOT,
                "after a %,d-centroid codebook trained here in %.1f s",
                o.warpCentroids(),
                ((Number) build.get("codebook_seconds")).doubleValue())
            : "the writer training the codebook on the first documents",
        ((Number) build.get("warp_seconds")).doubleValue(),
        Boolean.TRUE.equals(build.get("reused"))
            ? " [reused: times of the run that built it]"
            : "");
    OUT.printf(
        Locale.ROOT,
        "Disk all in: %s = %.1f B per generated token (main %s: %s; latte-warp %s, %.1f B per"
            + " token: %s)%n",
        human((long) disk.get("folder_bytes_all_in")),
        (double) disk.get("bytes_per_token_all_in"),
        human(
            ((Number) ((Map<String, Object>) disk.get("main_index")).get("total_bytes"))
                .longValue()),
        largest((Map<String, Object>) disk.get("main_index")),
        human(((Number) ((Map<String, Object>) disk.get("warp")).get("total_bytes")).longValue()),
        (double) disk.get("warp_bytes_per_token"),
        largest((Map<String, Object>) disk.get("warp")));
    OUT.printf(
        Locale.ROOT,
        "Heap: max %s; used %s before opening, %s after opening + loading WARP, %s after"
            + " searching; peak (sum of the heap pools' peaks while open and searching) %s; RSS"
            + " %s (anon %s)%n",
        human((long) memory.get("heap_max_bytes")),
        human((long) memory.get("heap_used_before_open_bytes")),
        human((long) memory.get("heap_used_after_open_bytes")),
        human((long) memory.get("heap_used_after_search_bytes")),
        human((long) memory.get("heap_peak_bytes_sum_of_pools")),
        human(((Number) memory.getOrDefault("vm_rss_bytes", 0L)).longValue()),
        human(((Number) memory.getOrDefault("rss_anon_bytes", 0L)).longValue()));
    OUT.printf(
        Locale.ROOT,
        "Load average before / after: %s / %s%n",
        out.get("load_average_before_search"),
        out.get("load_average_after_search"));
    OUT.println();
    OUT.printf(
        Locale.ROOT,
        "| method | probes | depth | recall@%d | (min) | recall@10 | of residual exact |"
            + " first p50 ms | rescore p50 ms | total p50 / p95 ms | CPU p50 / p95 ms |%n",
        o.k());
    OUT.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (Map<String, Object> r : rows)
      OUT.printf(
          Locale.ROOT,
          "| %s%s | %d | %d | %.4f | %.2f | %.4f | %.4f | %.1f | %.1f | %.1f / %.1f | %.1f /"
              + " %.1f |%n",
          r.get("method"),
          Boolean.TRUE.equals(r.get("default")) ? " (default)" : "",
          r.get("probes"),
          r.get("depth"),
          r.get("recall_at_k"),
          r.get("recall_at_k_min"),
          r.get("recall_at_10"),
          r.get("recall_at_k_of_residual_exact"),
          r.get("first_stage_p50_ms"),
          r.get("rescore_p50_ms"),
          r.get("total_p50_ms"),
          r.get("total_p95_ms"),
          r.get("cpu_p50_ms"),
          r.get("cpu_p95_ms"));
    Map<String, Object> t = (Map<String, Object>) out.get("target");
    Map<String, Object> best = (Map<String, Object>) t.get("fastest_setting_meeting_it");
    OUT.println();
    OUT.println(
        best == null
            ? "Target (p50 <= 10 ms, recall@" + o.k() + " >= 0.97) NOT met by any setting measured"
            : String.format(
                Locale.ROOT,
                "Target (p50 <= 10 ms, recall@%d >= 0.97) MET: fastest %s probes %s depth %s,"
                    + " %.1f ms, recall %.4f",
                o.k(),
                best.get("method"),
                best.get("probes"),
                best.get("depth"),
                best.get("total_p50_ms"),
                best.get("recall_at_k")));
  }
}
