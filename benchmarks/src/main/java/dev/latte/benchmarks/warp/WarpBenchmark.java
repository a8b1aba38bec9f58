package dev.latte.benchmarks.warp;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.latte.core.Percentiles;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.datasets.BeirDataset;
import dev.latte.datasets.Query;
import dev.latte.encoders.EncodedText;
import dev.latte.encoders.TokenEncoder;
import dev.latte.eval.metrics.Evaluation;
import dev.latte.eval.metrics.Qrels;
import dev.latte.eval.metrics.RankedDoc;
import dev.latte.eval.metrics.TrecMetrics;
import dev.latte.eval.metrics.TrecRun;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.searcher.ExactMaxSimMethod;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.MethodResult;
import dev.latte.searcher.QueryContext;
import dev.latte.searcher.ScoredDoc;
import dev.latte.searcher.SearchMethod;
import dev.latte.searcher.firststage.warp.WarpBuilder;
import dev.latte.searcher.firststage.warp.WarpMethod;
import dev.latte.searcher.firststage.warp.WarpSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * WARP on a BEIR collection in one run beside exact MaxSim: nDCG@10 (trec_eval-exact), its ratio to
 * exact MaxSim over the same index, recall of exact's top k within its own top k (k = 10 by
 * default), p50/p95 excluding and including query encoding, each step's p50, bytes per token all in
 * (every file of the index folder over the tokens the encoder produced), and throughput with N
 * query threads against one. Not JMH: a plain main, run on the CLI's jar (which holds the model
 * runtime benchmarks.jar leaves out):
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp cli/target/latte-cli-0.1.0-SNAPSHOT.jar:benchmarks/target/classes \
 *     dev.latte.benchmarks.warp.WarpBenchmark --dataset ../shared/datasets/scifact --index DIR
 * </pre>
 */
@Command(
    name = "warp-benchmark",
    mixinStandardHelpOptions = true,
    description = "WARP vs exact MaxSim on a BEIR collection, one run.")
public final class WarpBenchmark implements Callable<Integer> {
  @Option(names = "--dataset", required = true, description = "BEIR folder")
  Path dataset;

  @Option(names = "--index", required = true, description = "Latte index of that collection")
  Path index;

  @Option(names = "--split", defaultValue = "test")
  String split;

  @Option(names = "--model", defaultValue = "default")
  String model;

  @Option(
      names = "--settings",
      defaultValue = "default",
      split = ",",
      description = "probes:t':depth triples (comma-separated); default = WarpSettings.DEFAULT")
  List<String> settings;

  @Option(
      names = "--build-bits",
      description = "(Re)build the WARP stage first, training its own codebook with these bits")
  Integer buildBits;

  @Option(
      names = "--recode",
      description =
          "Search a re-coding of --index instead (codec-pP, e.g. residual-1-p2), made beside it once"
              + " (INDEX@residual-1-p2) from its float32 matrices, with its WARP stage")
  String recode;

  @Option(
      names = "--lists",
      description =
          "(Re)build the WARP stage of the re-coded index first with lists of 'codes' (residual codes"
              + " scored in the lists) or 'ordinals' (document ordinals only, scored by centroid)")
  String lists;

  @Option(
      names = "--warp-on-reference",
      description =
          "With --recode: also run the WARP rows on the float32 index it came from (its WARP stage"
              + " must be fresh: build it once with --build-bits on that index)")
  boolean warpOnReference;

  @Option(
      names = "--one-copy",
      description =
          "Also run the WARP rows on a one-copy twin of the index (INDEX-onecopy: its codes only in"
              + " the WARP lists), then the index's own rows again, all in this run")
  boolean oneCopy;

  @Option(names = "--no-exact", description = "Skip the exact MaxSim reference run")
  boolean noExact;

  @Option(
      names = "--exact-own",
      description = "Also exact MaxSim over the re-coded index's own codes (the codec's ceiling)")
  boolean exactOwn;

  @Option(names = "--no-rescore", description = "Only warp, not warp+maxsim")
  boolean noRescore;

  @Option(names = "--threads", defaultValue = "1", description = "Also measure throughput at N")
  int threads;

  @Option(
      names = "--encoder-threads",
      defaultValue = "1",
      description = "ONNX intra-op threads for query encoding (1: the one-thread figures)")
  int encoderThreads;

  @Option(
      names = "--k",
      defaultValue = "10",
      description = "Results asked of the WARP methods (exact MaxSim keeps 100 for the reference)")
  int k;

  @Option(names = "--warmup", defaultValue = "20")
  int warmup;

  @Option(names = "--limit", defaultValue = "0", description = "First N queries only (0: all)")
  int limit;

  @Option(names = "--json", description = "Write every figure here")
  Path json;

  public static void main(String[] args) {
    System.exit(new CommandLine(new WarpBenchmark()).execute(args));
  }

  record Row(
      String method,
      String settings,
      double ndcg10,
      Double ratioToExact,
      Double recallVsExact,
      double p50,
      double p95,
      double p50WithEncoding,
      double p95WithEncoding,
      double cpuP50,
      double cpuP95,
      double candidates,
      Map<String, Double> stepsP50) {}

  @Override
  public Integer call() throws Exception {
    BeirDataset ds = BeirDataset.open(dataset);
    Map<String, Query> all = ds.queries();
    Map<String, Map<String, Integer>> judged = ds.qrels(split);
    List<Query> queries = new ArrayList<>();
    for (String id : judged.keySet()) if (all.containsKey(id)) queries.add(all.get(id));
    if (limit > 0 && queries.size() > limit) queries = queries.subList(0, limit);
    Qrels qrels = Qrels.of(judged);
    VectorKernel kernel = VectorKernel.get();
    Map<String, Object> report = new LinkedHashMap<>();
    Path reference = index; // exact MaxSim runs on the float32 index a re-coding comes from
    if (recode != null) {
      int at = recode.lastIndexOf("-p");
      if (at < 0) throw new IllegalArgumentException("--recode takes codec-pP, not " + recode);
      dev.latte.indexer.IndexOptions options =
          new dev.latte.indexer.IndexOptions(
              dev.latte.core.codec.TokenCodec.fromName(recode.substring(0, at)),
              Integer.parseInt(recode.substring(at + 2)));
      Path target = index.resolveSibling(index.getFileName() + "@" + options.label());
      if (options.codec().isResidual() && hasCommit(target) && !codedInCurrentForm(target)) {
        // Re-coded by an older fit (no per-token scales, or plain 1-bit residuals): re-code it.
        System.out.println(target + " was coded by an older residual fit; re-coding it");
        dev.latte.core.FileTrees.deleteRecursively(target);
      }
      if (!Files.exists(target.resolve("segments_1")) && !hasCommit(target)) {
        long t0 = System.nanoTime();
        dev.latte.indexer.IndexRecoder.recode(index, target, options, IndexProgress.NONE);
        System.out.printf(
            Locale.ROOT,
            "Re-coded as %s in %.1f s%n",
            options.label(),
            (System.nanoTime() - t0) / 1e9);
      }
      index = target;
      try (LatteIndex idx = LatteIndex.open(index)) {
        if (lists != null
            || !FirstStageIndex.isFresh(idx.path(), WarpBuilder.FORMAT, idx.reader())) {
          long t0 = System.nanoTime();
          WarpBuilder.Params p = WarpBuilder.Params.DEFAULT;
          new WarpBuilder(
                  new WarpBuilder.Params(
                      p.bits(),
                      p.centroids(),
                      p.sampleFactor(),
                      p.iterations(),
                      p.seed(),
                      !"ordinals".equals(lists)))
              .build(idx.path(), idx.reader(), idx.metadata(), IndexProgress.NONE);
          System.out.printf(Locale.ROOT, "Built WARP in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        }
      }
    }
    if (buildBits != null) {
      try (LatteIndex idx = LatteIndex.open(index)) {
        long t0 = System.nanoTime();
        new WarpBuilder(new WarpBuilder.Params(buildBits, 0, 32, 10, 42))
            .build(idx.path(), idx.reader(), idx.metadata(), IndexProgress.NONE);
        System.out.printf(
            Locale.ROOT,
            "Built WARP (%d bits) in %.1f s%n",
            buildBits,
            (System.nanoTime() - t0) / 1e9);
      }
    }
    // Encode every query once, one at a time, timing each (after a few untimed warm-up calls).
    List<EncodedText> encoded = new ArrayList<>();
    double[] encodeMs = new double[queries.size()];
    double[] encodeCpuMs = new double[queries.size()];
    try (TokenEncoder encoder =
        dev.latte.encoders.OnnxTokenEncoder.load(
            dev.latte.encoders.BundledModel.resolve(model), 1, encoderThreads)) {
      for (int i = 0; i < Math.min(5, queries.size()); i++)
        encoder.encodeQuery(queries.get(i).text());
      var threads = java.lang.management.ManagementFactory.getThreadMXBean();
      for (int i = 0; i < queries.size(); i++) {
        long t0 = System.nanoTime(), c0 = threads.getCurrentThreadCpuTime();
        encoded.add(encoder.encodeQuery(queries.get(i).text()));
        encodeMs[i] = (System.nanoTime() - t0) / 1e6;
        encodeCpuMs[i] = (threads.getCurrentThreadCpuTime() - c0) / 1e6;
      }
    }
    report.put("queries", queries.size());
    report.put("split", split);
    report.put("encode_ms_p50", Percentiles.nearestRank(encodeMs, 50));
    report.put("encode_ms_p95", Percentiles.nearestRank(encodeMs, 95));
    report.put("encode_cpu_ms_p50", Percentiles.nearestRank(encodeCpuMs, 50));
    System.out.printf(
        Locale.ROOT,
        "%d %s queries; encoding one query p50 %.2f ms, p95 %.2f ms (CPU of the calling thread"
            + " p50 %.2f ms)%n",
        queries.size(),
        split,
        Percentiles.nearestRank(encodeMs, 50),
        Percentiles.nearestRank(encodeMs, 95),
        Percentiles.nearestRank(encodeCpuMs, 50));

    List<Row> rows = new ArrayList<>();
    try (LatteIndex idx = LatteIndex.open(index)) {
      long files = folderBytes(idx.path());
      long warpBytes = folderBytes(FirstStageIndex.dir(idx.path(), WarpBuilder.NAME));
      long tokens = encodedTokens(idx);
      report.put("index_bytes_all_in", files);
      report.put("warp_bytes", warpBytes);
      report.put("encoded_tokens", tokens);
      report.put("bytes_per_token_all_in", files / (double) tokens);
      report.put("warp_bytes_per_token", warpBytes / (double) tokens);
      System.out.printf(
          Locale.ROOT,
          "Index folder %,d B for %,d encoded tokens = %.1f B/token all in (WARP lists %.1f B/token)%n",
          files,
          tokens,
          files / (double) tokens,
          warpBytes / (double) tokens);
      Map<String, List<Integer>> exactTop = null;
      Double exactNdcg = null;
      if (!noExact) {
        try (LatteIndex ref = reference.equals(index) ? null : LatteIndex.open(reference)) {
          LatteIndex on = ref == null ? idx : ref;
          Measured m = run(on, new ExactMaxSimMethod(), queries, encoded, encodeMs, kernel, qrels);
          String label = on.metadata().options().label();
          exactNdcg = m.row(null, null, label).ndcg10();
          exactTop = new LinkedHashMap<>();
          // The reference's top 100 as collection ids, mapped to this index's doc ids.
          Map<String, Integer> docOf = new java.util.HashMap<>();
          for (int d = 0; d < idx.reader().maxDoc(); d++) docOf.put(idx.id(d), d);
          for (var e : m.top100.entrySet()) {
            List<Integer> mapped = new ArrayList<>();
            for (int d : e.getValue()) {
              Integer here = docOf.get(on.id(d));
              if (here != null) mapped.add(here);
            }
            exactTop.put(e.getKey(), mapped);
          }
          rows.add(m.row(null, null, label));
          print(rows.getLast());
        }
        if (exactOwn && !reference.equals(index)) {
          Measured own =
              run(idx, new ExactMaxSimMethod(), queries, encoded, encodeMs, kernel, qrels);
          rows.add(own.row(exactNdcg, exactTop, idx.metadata().options().label()));
          print(rows.getLast());
        }
      }
      for (String s : settings) {
        WarpSettings ws = parse(s);
        List<SearchMethod> methods = new ArrayList<>();
        methods.add(new WarpMethod(ws, false));
        if (!noRescore) methods.add(new WarpMethod(ws, true));
        for (SearchMethod method : methods) {
          Measured m = run(idx, method, queries, encoded, encodeMs, kernel, qrels);
          rows.add(
              m.row(exactNdcg, exactTop, ws.probes() + ":" + ws.imputeTokens() + ":" + ws.depth()));
          print(rows.getLast());
        }
      }
      Path twin = null;
      if (oneCopy) {
        // Same codes, one copy: the rows on the twin, then this index's again (equal warm-up).
        twin = OneCopyTwin.of(idx.path());
        long b = folderBytes(twin);
        report.put("one_copy_bytes_all_in", b);
        report.put("one_copy_bytes_per_token_all_in", b / (double) tokens);
        System.out.printf(
            Locale.ROOT, "One-copy folder %,d B = %.1f B/token all in%n", b, b / (double) tokens);
        try (LatteIndex one = LatteIndex.open(twin)) {
          for (String s : settings)
            for (LatteIndex on : List.of(one, idx)) {
              WarpSettings ws = parse(s);
              for (boolean rescore :
                  noRescore ? new boolean[] {false} : new boolean[] {false, true}) {
                Measured m =
                    run(on, new WarpMethod(ws, rescore), queries, encoded, encodeMs, kernel, qrels);
                String label = (on == one ? "one copy " : "two copies ") + ws.probes();
                rows.add(
                    m.row(exactNdcg, null, label + ":" + ws.imputeTokens() + ":" + ws.depth()));
                print(rows.getLast());
              }
            }
        }
      }
      if (warpOnReference && !reference.equals(index)) {
        // The same settings on the float32 index the re-coding came from (its own WARP lists), so
        // one run compares both main indexes against the same exact MaxSim.
        try (LatteIndex ref = LatteIndex.open(reference)) {
          String label = ref.metadata().options().label();
          for (String s : settings) {
            WarpSettings ws = parse(s);
            for (boolean rescore :
                noRescore ? new boolean[] {false} : new boolean[] {false, true}) {
              Measured m =
                  run(ref, new WarpMethod(ws, rescore), queries, encoded, encodeMs, kernel, qrels);
              rows.add(
                  m.row(
                      exactNdcg,
                      null,
                      label + " " + ws.probes() + ":" + ws.imputeTokens() + ":" + ws.depth()));
              print(rows.getLast());
            }
          }
        }
      }
      if (threads > 1) {
        WarpSettings ws = parse(settings.getFirst());
        SearchMethod method = new WarpMethod(ws, !noRescore);
        // With --one-copy on the one-copy twin: the layout ./latte index builds by default.
        String layout = twin == null ? "this index" : "one copy";
        double one, n;
        try (LatteIndex on = twin == null ? null : LatteIndex.open(twin)) {
          LatteIndex target = on == null ? idx : on;
          one = throughput(target, method, encoded, kernel, 1);
          n = throughput(target, method, encoded, kernel, threads);
        }
        report.put("throughput_layout", layout);
        report.put("throughput_method", method.name());
        report.put("throughput_qps_1", one);
        report.put("throughput_qps_" + threads, n);
        report.put("throughput_ratio", n / one);
        System.out.printf(
            Locale.ROOT,
            "Throughput %s (%s): %.1f q/s on 1 thread, %.1f q/s on %d (%.2fx)%n",
            method.name(),
            layout,
            one,
            n,
            threads,
            n / one);
      }
    }
    report.put("rows", rows);
    WarpTable.print(rows, report);
    if (json != null) {
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .writeValue(json.toFile(), report);
    }
    return 0;
  }

  private static boolean codedInCurrentForm(Path dir) throws IOException {
    try (var d = org.apache.lucene.store.FSDirectory.open(dir)) {
      var book = dev.latte.indexer.ResidualCodebookFile.readIfPresent(d);
      return book == null || book.currentForm();
    }
  }

  private static boolean hasCommit(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) return false;
    try (var d = org.apache.lucene.store.FSDirectory.open(dir)) {
      return org.apache.lucene.index.DirectoryReader.indexExists(d);
    }
  }

  static WarpSettings parse(String s) {
    if (s.equals("default")) return WarpSettings.DEFAULT;
    String[] p = s.split(":");
    if (p.length != 3)
      throw new IllegalArgumentException("--settings takes probes:t':depth, not '" + s + "'");
    return new WarpSettings(
        Integer.parseInt(p[0].trim()),
        Integer.parseInt(p[1].trim()),
        Integer.parseInt(p[2].trim()));
  }

  private static void print(Row r) {
    System.out.printf(
        Locale.ROOT,
        "  %-14s %-12s nDCG@10 %.4f  /exact %s  R@k vs exact %s  p50 %.2f  p95 %.2f  p50 incl. enc %.2f  cpu p50 %.2f  cand %.0f  %s%n",
        r.method(),
        r.settings(),
        r.ndcg10(),
        r.ratioToExact() == null ? "-" : String.format(Locale.ROOT, "%.4f", r.ratioToExact()),
        r.recallVsExact() == null ? "-" : String.format(Locale.ROOT, "%.3f", r.recallVsExact()),
        r.p50(),
        r.p95(),
        r.p50WithEncoding(),
        r.cpuP50(),
        r.candidates(),
        r.stepsP50());
  }

  /** One method over the queries, one at a time on this thread. */
  final class Measured {
    String method;
    Evaluation eval;
    double[] ms, withEncoding, cpu, candidates;
    Map<String, double[]> steps = new LinkedHashMap<>();
    Map<String, List<Integer>> top100 = new LinkedHashMap<>();

    Row row(Double exactNdcg, Map<String, List<Integer>> exactTop, String settings) {
      double ndcg = eval.mean().ndcgCut10();
      Double recall = null;
      if (exactTop != null) {
        double sum = 0;
        int n = 0;
        // Recall at the k a person asks for: exact's top k found in this method's top k.
        for (var e : exactTop.entrySet()) {
          List<Integer> got = top100.get(e.getKey());
          Set<Integer> mine = new HashSet<>(got.subList(0, Math.min(k, got.size())));
          List<Integer> want = e.getValue().subList(0, Math.min(k, e.getValue().size()));
          int hit = 0;
          for (int d : want) if (mine.contains(d)) hit++;
          if (!want.isEmpty()) {
            sum += hit / (double) want.size();
            n++;
          }
        }
        recall = n == 0 ? null : sum / n;
      }
      Map<String, Double> p50 = new LinkedHashMap<>();
      steps.forEach((k, v) -> p50.put(k, Percentiles.nearestRank(v, 50)));
      return new Row(
          method,
          settings,
          ndcg,
          exactNdcg == null ? null : ndcg / exactNdcg,
          recall,
          Percentiles.nearestRank(ms, 50),
          Percentiles.nearestRank(ms, 95),
          Percentiles.nearestRank(withEncoding, 50),
          Percentiles.nearestRank(withEncoding, 95),
          Percentiles.nearestRank(cpu, 50),
          Percentiles.nearestRank(cpu, 95),
          mean(candidates),
          p50);
    }
  }

  Measured run(
      LatteIndex idx,
      SearchMethod method,
      List<Query> queries,
      List<EncodedText> encoded,
      double[] encodeMs,
      VectorKernel kernel,
      Qrels qrels)
      throws IOException {
    int n = queries.size();
    // Exact MaxSim keeps its top 100 (the reference); the WARP methods are asked for k, as a
    // person would ask (one more: a result equal to the query's own id is dropped).
    int asked = method instanceof ExactMaxSimMethod ? 101 : k + 1;
    for (int i = 0; i < Math.min(warmup, n); i++)
      method.search(
          idx, QueryContext.ofEncoded(queries.get(i).text(), encoded.get(i), kernel), asked);
    Measured m = new Measured();
    m.method = method.name();
    m.ms = new double[n];
    m.withEncoding = new double[n];
    m.cpu = new double[n];
    m.candidates = new double[n];
    java.lang.management.ThreadMXBean threads =
        java.lang.management.ManagementFactory.getThreadMXBean();
    Map<String, List<RankedDoc>> rankings = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      Query q = queries.get(i);
      long cpu0 = threads.getCurrentThreadCpuTime();
      MethodResult r =
          method.search(idx, QueryContext.ofEncoded(q.text(), encoded.get(i), kernel), asked);
      // CPU time of this thread: on a shared machine wall time also counts the time the thread
      // waited for a core; CPU time is what the query cost.
      m.cpu[i] = (threads.getCurrentThreadCpuTime() - cpu0) / 1e6;
      m.ms[i] = r.searchMillis();
      m.withEncoding[i] = r.searchMillis() + encodeMs[i];
      m.candidates[i] = r.candidatesScored();
      for (var e : r.stepsMillis().entrySet())
        m.steps.computeIfAbsent(e.getKey(), k -> new double[n])[i] = e.getValue();
      List<RankedDoc> ranking = new ArrayList<>();
      List<Integer> top = new ArrayList<>();
      for (ScoredDoc d : r.docs()) {
        String id = idx.id(d.doc());
        if (id.equals(q.id())) continue;
        ranking.add(new RankedDoc(id, d.score()));
        if (top.size() < 100) top.add(d.doc());
      }
      rankings.put(q.id(), ranking);
      m.top100.put(q.id(), top);
    }
    m.eval = TrecMetrics.evaluate(qrels, TrecRun.of(rankings));
    return m;
  }

  double throughput(
      LatteIndex idx, SearchMethod method, List<EncodedText> encoded, VectorKernel kernel, int t)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(t);
    try {
      int rounds = 3;
      long t0 = System.nanoTime();
      List<Future<?>> fs = new ArrayList<>();
      for (int r = 0; r < rounds; r++)
        for (EncodedText e : encoded)
          fs.add(pool.submit(() -> method.search(idx, QueryContext.ofEncoded("", e, kernel), k)));
      for (Future<?> f : fs) f.get();
      return rounds * encoded.size() / ((System.nanoTime() - t0) / 1e9);
    } finally {
      pool.shutdown();
    }
  }

  static double mean(double[] v) {
    double s = 0;
    for (double x : v) s += x;
    return v.length == 0 ? 0 : s / v.length;
  }

  static long folderBytes(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) return 0;
    try (var s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
    }
  }

  /** Tokens the encoder produced ({@code encoded_tokens} of latte-stats.json, else the stored). */
  static long encodedTokens(LatteIndex idx) throws IOException {
    Path stats = idx.path().resolve(dev.latte.indexer.IndexLayout.STATS_FILE);
    if (Files.exists(stats)) {
      var node = new ObjectMapper().readTree(stats.toFile());
      if (node.has("encoded_tokens")) return node.get("encoded_tokens").asLong();
      if (node.has("tokens")) return node.get("tokens").asLong();
    }
    return idx.stats().tokens();
  }
}
