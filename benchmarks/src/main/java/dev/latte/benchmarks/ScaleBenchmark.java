package dev.latte.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.latte.core.LatteHome;
import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.TokenCodec;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.datasets.Document;
import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.IndexStats;
import dev.latte.indexer.LatteIndexReaderSupport;
import dev.latte.indexer.LatteIndexWriter;
import dev.latte.indexer.ModelIdentity;
import dev.latte.indexer.derived.DerivedIndex;
import dev.latte.indexer.derived.XtrBuilder;
import dev.latte.searcher.ExactMaxSimMethod;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.MethodResult;
import dev.latte.searcher.QueryContext;
import dev.latte.searcher.RescoredMethod;
import dev.latte.searcher.ScoredDoc;
import dev.latte.searcher.XtrCandidates;
import java.io.IOException;
import java.io.PrintStream;
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
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * Scale check of the XTR first stage + exact MaxSim rescoring: builds a Latte index of millions of
 * synthetic but clustered token vectors ({@link Generator}), builds its XTR inverted file, and for
 * a grid of (probes, token depth, rescoring depth) measures single-thread latency and recall@k
 * against brute-force exact MaxSim over the same index (the ground truth, timed too). Prints a
 * table and writes JSON. Not a JMH benchmark: a plain {@code main}; see benchmarks/README.md.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Xmx8g -cp benchmarks/target/benchmarks.jar \
 *     dev.latte.benchmarks.ScaleBenchmark --tokens 10000000 --centroids 8192 --dir /tmp/latte-scale --reuse
 * </pre>
 */
public final class ScaleBenchmark {
  private static final PrintStream OUT = System.out;
  static final String MODEL_NAME = "synthetic-clustered";

  private ScaleBenchmark() {}

  // ---------------------------------------------------------------- options

  /** Command-line options; {@code -1} in a grid list stands for "all" (resolved on the index). */
  record Options(
      Path dir,
      long tokens,
      int dim,
      int tokensPerDoc,
      int topics,
      int subClusters,
      double stopFraction,
      long seed,
      int queries,
      int queryTokens,
      int warmup,
      int centroids,
      int sampleFactor,
      int iterations,
      int threads,
      int[] probes,
      int[] tokenDepths,
      int[] depths,
      int k,
      boolean reuse,
      Path json) {}

  static final String USAGE =
      """
      ScaleBenchmark: XTR first stage + exact MaxSim rescoring against brute force, at scale.
        --dir PATH            work folder (default $LATTE_HOME/scale, i.e. ~/.cache/latte/scale)
        --tokens N            token vectors to index (default 10000000)
        --dim N               dimension (default 128)
        --tokens-per-doc N    mean tokens per document, uniform in [N/2, 3N/2] (default 100)
        --topics N            topics (cluster centres; default docs/5, 20000 at 10M tokens)
        --sub-clusters N      fine clusters per topic (default 8)
        --stop-fraction F     share of tokens from 32 corpus-wide "function word" clusters (0.05)
        --seed N              generator seed (default 42)
        --queries N           measured queries (default 100)
        --query-tokens N      tokens per query (default 32)
        --warmup N            warm-up queries before each method (default 10)
        --centroids N         XTR lists; 0 = default, power of two nearest 4 sqrt(tokens)
        --sample-factor N     k-means training points per centroid (default 32)
        --iterations N        k-means iterations (default 10)
        --threads N           threads writing documents and building XTR (default 2)
        --probes LIST         centroids probed per query token (default 8,16,32; "all" allowed)
        --token-depth LIST    XTR k' per query token (default 1000,4000; "all" = every document)
        --depth LIST          candidates rescored by exact MaxSim (default 100,400,1000,2000; "all")
        --k N                 top k compared with brute force (default 100)
        --reuse               keep an index (and XTR) already built with the same parameters
        --json PATH           result file (default DIR/scale-<tokens>.json)
      """;

  static Options parse(String[] args) {
    Map<String, String> a = new LinkedHashMap<>();
    boolean reuse = false;
    for (int i = 0; i < args.length; i++) {
      String key = args[i];
      if (key.equals("-h") || key.equals("--help")) {
        OUT.print(USAGE);
        System.exit(0);
      }
      if (key.equals("--reuse")) {
        reuse = true;
        continue;
      }
      if (!key.startsWith("--") || i + 1 >= args.length)
        throw new IllegalArgumentException("expected --key value, got '" + key + "'\n" + USAGE);
      a.put(key.substring(2), args[++i]);
    }
    Set<String> known =
        Set.of(
            "dir",
            "tokens",
            "dim",
            "tokens-per-doc",
            "topics",
            "sub-clusters",
            "stop-fraction",
            "seed",
            "queries",
            "query-tokens",
            "warmup",
            "centroids",
            "sample-factor",
            "iterations",
            "threads",
            "probes",
            "token-depth",
            "depth",
            "k",
            "json");
    for (String key : a.keySet())
      if (!known.contains(key))
        throw new IllegalArgumentException("unknown option --" + key + "\n" + USAGE);
    Path dir =
        Path.of(a.getOrDefault("dir", LatteHome.dir().resolve("scale").toString()))
            .toAbsolutePath()
            .normalize();
    long tokens = Long.parseLong(a.getOrDefault("tokens", "10000000").replace("_", ""));
    int tpd = Integer.parseInt(a.getOrDefault("tokens-per-doc", "100"));
    int topics =
        Integer.parseInt(
            a.getOrDefault("topics", Long.toString(Math.max(16, tokens / tpd / 5)).toString()));
    return new Options(
        dir,
        tokens,
        Integer.parseInt(a.getOrDefault("dim", "128")),
        tpd,
        topics,
        Integer.parseInt(a.getOrDefault("sub-clusters", "8")),
        Double.parseDouble(a.getOrDefault("stop-fraction", "0.05")),
        Long.parseLong(a.getOrDefault("seed", "42")),
        Integer.parseInt(a.getOrDefault("queries", "100")),
        Integer.parseInt(a.getOrDefault("query-tokens", "32")),
        Integer.parseInt(a.getOrDefault("warmup", "10")),
        Integer.parseInt(a.getOrDefault("centroids", "0")),
        Integer.parseInt(a.getOrDefault("sample-factor", "32")),
        Integer.parseInt(a.getOrDefault("iterations", "10")),
        Integer.parseInt(a.getOrDefault("threads", "2")),
        list(a.getOrDefault("probes", "8,16,32")),
        list(a.getOrDefault("token-depth", "1000,4000")),
        list(a.getOrDefault("depth", "100,400,1000,2000")),
        Integer.parseInt(a.getOrDefault("k", "100")),
        reuse,
        a.containsKey("json") ? Path.of(a.get("json")).toAbsolutePath() : null);
  }

  private static int[] list(String s) {
    return Arrays.stream(s.split(","))
        .map(String::trim)
        .filter(x -> !x.isEmpty())
        .mapToInt(x -> x.equalsIgnoreCase("all") ? -1 : Integer.parseInt(x.replace("_", "")))
        .toArray();
  }

  public static void main(String[] args) throws Exception {
    Options o;
    try {
      o = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    if (!VectorKernel.get().name().startsWith("panama")
        && !"scalar".equals(System.getProperty("latte.kernel"))) {
      System.err.println(
          "jdk.incubator.vector is not available, so MaxSim would run the scalar kernel: start java"
              + " with --add-modules jdk.incubator.vector (or -Dlatte.kernel=scalar to measure it)");
      System.exit(2);
    }
    new ScaleBenchmark.Run(o).run();
  }

  // ---------------------------------------------------------------- the run

  static final class Run {
    final Options o;
    final Generator g;
    final Path index;
    final Path paramsFile;
    final Map<String, Object> report = new LinkedHashMap<>();
    final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    Run(Options o) {
      this.o = o;
      long t0 = System.nanoTime();
      this.g = new Generator(o);
      this.index = o.dir().resolve("index-t" + g.totalTokens + "-d" + o.dim() + "-seed" + o.seed());
      this.paramsFile = o.dir().resolve(index.getFileName() + ".params.json");
      log(
          "Data: %,d documents, %,d token vectors, dim %d, %,d topics in %,d areas, %,d fine"
              + " clusters, stop fraction %.2f (centres made in %.1f s)",
          g.documents(),
          g.totalTokens,
          g.dim,
          g.topics,
          g.areas,
          (long) g.topics * g.subs,
          g.stopFraction,
          (System.nanoTime() - t0) / 1e9);
    }

    @SuppressWarnings("unchecked")
    void run() throws Exception {
      Files.createDirectories(o.dir());
      Map<String, Object> params = new LinkedHashMap<>();
      params.put("data", g.identity(o));
      report.put("data", g.identity(o));
      report.put("data_cosines", cosines());
      report.put("jvm", jvm());

      Map<String, Object> previous =
          Files.isRegularFile(paramsFile) ? json.readValue(paramsFile.toFile(), Map.class) : null;
      boolean reuseMain =
          o.reuse()
              && previous != null
              && sameJson(g.identity(o), previous.get("data"))
              && previous.containsKey("write")
              && Files.isDirectory(index);
      Map<String, Object> build = new LinkedHashMap<>();
      if (reuseMain) {
        log("Reusing the index %s (same data parameters)", index);
        params.put("write", previous.get("write"));
        // kept until the XTR check below replaces it, so an interrupted run loses nothing
        if (previous.containsKey("xtr")) params.put("xtr", previous.get("xtr"));
      } else {
        params.put("write", writeIndex());
        previous = null;
      }
      build.put("write", params.get("write"));
      json.writeValue(paramsFile.toFile(), params);

      Map<String, Object> xtrParams = new LinkedHashMap<>();
      xtrParams.put("centroids_requested", o.centroids());
      xtrParams.put("sample_factor", o.sampleFactor());
      xtrParams.put("iterations", o.iterations());
      xtrParams.put("seed", o.seed());
      boolean reuseXtr;
      try (Directory d = FSDirectory.open(index);
          DirectoryReader reader = DirectoryReader.open(d)) {
        String why =
            !o.reuse()
                ? null
                : previous == null
                    ? "the index was rebuilt"
                    : !(previous.get("xtr") instanceof Map<?, ?> px)
                        ? "no XTR build is recorded in " + paramsFile.getFileName()
                        : !sameJson(xtrParams, px.get("params"))
                            ? "its parameters differ: "
                                + new ObjectMapper().writeValueAsString(px.get("params"))
                            : !DerivedIndex.isFresh(index, XtrBuilder.NAME, reader)
                                ? "it is missing or was built from another commit"
                                : "";
        reuseXtr = "".equals(why);
        if (why != null && !reuseXtr) log("Rebuilding the XTR first stage: %s", why);
        if (reuseXtr) {
          log("Reusing the XTR first stage (same parameters, built from this commit)");
          params.put("xtr", previous.get("xtr"));
        } else {
          Map<String, Object> x = buildXtr(reader);
          x.put("params", xtrParams);
          params.put("xtr", x);
        }
      }
      build.put("xtr", params.get("xtr"));
      json.writeValue(paramsFile.toFile(), params);
      build.put("reused_index", reuseMain);
      build.put("reused_xtr", reuseXtr);
      report.put("build", build);

      search();

      Path out = o.json() != null ? o.json() : o.dir().resolve("scale-" + g.totalTokens + ".json");
      json.writeValue(out.toFile(), report);
      log("Wrote %s", out);
    }

    /** Equal once written as JSON (a number read back may be an Integer where a Long was). */
    boolean sameJson(Object a, Object b) throws IOException {
      return json.writeValueAsString(a).equals(json.writeValueAsString(b));
    }

    // ------------------------------------------------------------ writing

    Map<String, Object> writeIndex() throws Exception {
      if (Files.exists(index)) {
        log("Deleting the previous index %s", index);
        deleteTree(index);
      }
      Files.deleteIfExists(paramsFile);
      ModelIdentity model =
          new ModelIdentity(
              MODEL_NAME,
              "synthetic-v" + Generator.VERSION + "-seed" + o.seed() + "-dim" + o.dim(),
              o.dim(),
              false,
              null);
      int n = g.documents();
      AtomicInteger next = new AtomicInteger();
      AtomicInteger done = new AtomicInteger();
      AtomicLong genNanos = new AtomicLong();
      long t0 = System.nanoTime();
      IndexStats stats;
      double commitSeconds;
      log(
          "Writing %,d documents (%,d tokens, float16) with %d threads into %s",
          n, g.totalTokens, o.threads(), index);
      try (LatteIndexWriter w =
          LatteIndexWriter.openForEncoded(
              index,
              model,
              "synthetic",
              model.fingerprint(),
              new IndexOptions(TokenCodec.FLOAT16, 1))) {
        List<Thread> threads = new ArrayList<>();
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        int tick = Math.max(1, n / 10);
        for (int t = 0; t < o.threads(); t++) {
          Thread th =
              new Thread(
                  () -> {
                    try {
                      for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                        long a = System.nanoTime();
                        TokenMatrix m = g.document(i);
                        String text = g.text(i);
                        genNanos.addAndGet(System.nanoTime() - a);
                        w.add(new Document("d" + i, "", text), m);
                        int d = done.incrementAndGet();
                        if (d % tick == 0)
                          log(
                              "  written %,d / %,d documents (%.0f s)",
                              d, n, (System.nanoTime() - t0) / 1e9);
                      }
                    } catch (Throwable e) {
                      errors.add(e);
                      next.set(n);
                    }
                  },
                  "scale-writer-" + t);
          threads.add(th);
          th.start();
        }
        for (Thread th : threads) th.join();
        if (!errors.isEmpty()) throw new IllegalStateException("writing failed", errors.get(0));
        long c0 = System.nanoTime();
        stats = w.commit();
        commitSeconds = (System.nanoTime() - c0) / 1e9;
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      log(
          "Wrote the index in %.1f s (generating %.1f s of thread time, commit %.1f s): %s",
          seconds, genNanos.get() / 1e9, commitSeconds, human(stats.indexBytes()));
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("seconds", round(seconds));
      m.put("generate_thread_seconds", round(genNanos.get() / 1e9));
      m.put("commit_seconds", round(commitSeconds));
      m.put("threads", o.threads());
      m.put("documents", stats.documents());
      m.put("tokens", stats.tokens());
      m.put("index_bytes", stats.indexBytes());
      return m;
    }

    Map<String, Object> buildXtr(DirectoryReader reader) throws IOException {
      IndexMetadata meta = LatteIndexReaderSupport.metadataOf(reader.getIndexCommit());
      long[] marks = new long[2];
      long t0 = System.nanoTime();
      int n = reader.numDocs();
      AtomicLong done = new AtomicLong();
      long tick = Math.max(1, n / 10);
      IndexProgress progress =
          new IndexProgress() {
            @Override
            public void start(long total) {
              marks[0] = System.nanoTime();
              log("  XTR: sampling + k-means done in %.1f s; assigning", (marks[0] - t0) / 1e9);
            }

            @Override
            public void advance(long documents) {
              long before = done.getAndAdd(documents);
              marks[1] = System.nanoTime();
              if ((before + documents) / tick != before / tick)
                log(
                    "  XTR: assigned %,d / %,d documents (%.0f s)",
                    before + documents, n, (marks[1] - t0) / 1e9);
            }
          };
      int k = o.centroids() > 0 ? o.centroids() : XtrBuilder.defaultCentroids(g.totalTokens);
      log(
          "Building XTR: %,d centroids, k-means on %,d sampled tokens x %d iterations, %d threads",
          k, Math.min(g.totalTokens, (long) k * o.sampleFactor()), o.iterations(), o.threads());
      new XtrBuilder(
              new XtrBuilder.Params(
                  o.centroids(), o.sampleFactor(), o.iterations(), o.seed(), o.threads()))
          .build(index, reader, meta, progress);
      long t1 = System.nanoTime();
      int actual;
      try (Directory d = FSDirectory.open(DerivedIndex.dir(index, XtrBuilder.NAME))) {
        actual = XtrBuilder.readCentroids(d).rows();
      }
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("centroids", actual);
      m.put("seconds", round((t1 - t0) / 1e9));
      m.put("sample_and_kmeans_seconds", round((marks[0] - t0) / 1e9));
      m.put("assign_and_postings_seconds", round((marks[1] - marks[0]) / 1e9));
      m.put("force_merge_and_commit_seconds", round((t1 - marks[1]) / 1e9));
      m.put("threads", o.threads());
      log(
          "Built XTR in %.1f s: sampling + k-means %.1f s, assignment + postings %.1f s, force"
              + " merge + commit %.1f s",
          (t1 - t0) / 1e9,
          (marks[0] - t0) / 1e9,
          (marks[1] - marks[0]) / 1e9,
          (t1 - marks[1]) / 1e9);
      return m;
    }

    // ------------------------------------------------------------ searching

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
        long xtrBytes = XtrCandidates.bytes(idx); // loads the XTR structure before any timing
        int centroids;
        try (Directory d = FSDirectory.open(DerivedIndex.dir(index, XtrBuilder.NAME))) {
          centroids = XtrBuilder.readCentroids(d).rows();
        }
        Map<String, Object> memory = new LinkedHashMap<>();
        memory.put("heap_max_bytes", Runtime.getRuntime().maxMemory());
        memory.put("heap_used_before_open_bytes", heapBefore);
        memory.put("heap_used_after_open_bytes", usedHeapAfterGc());
        memory.put(
            "heap_used_by_index_bytes",
            (long) memory.get("heap_used_after_open_bytes") - heapBefore);
        Map<String, Object> disk = new LinkedHashMap<>();
        disk.put("main_index", filesBySuffix(index));
        disk.put("xtr", filesBySuffix(DerivedIndex.dir(index, XtrBuilder.NAME)));
        disk.put("xtr_bytes_reported_by_searcher", xtrBytes);
        disk.put("main_segments", idx.reader().leaves().size());
        report.put("disk", disk);

        // One warm-up pass over every setting first, so that no setting is measured while C2 is
        // still compiling the shared code; each setting warms up again right before it is timed.
        log("Warm-up: %d queries through every setting", warm.length);
        for (int probes : o.probes())
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
          for (int i = 0; i < ranks.length; i++)
            if (r.docs().size() >= ranks[i]) {
              scoreAt[i] += r.docs().get(ranks[i] - 1).score();
              scoreCount[i]++;
            }
        }
        Map<String, Object> ex = new LinkedHashMap<>();
        ex.put("documents_scored", docs);
        ex.put("p50_ms", round(pct(exactMs, 0.5)));
        ex.put("p95_ms", round(pct(exactMs, 0.95)));
        ex.put("mean_ms", round(Arrays.stream(exactMs).average().orElse(0)));
        ex.put("cpu_p50_ms", round(pct(exactCpu, 0.5)));
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
        for (int probes : o.probes())
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
      row.put("first_stage_p50_ms", round(pct(first, 0.5)));
      row.put("first_stage_p95_ms", round(pct(first, 0.95)));
      row.put("rescore_p50_ms", round(pct(rescore, 0.5)));
      row.put("rescore_p95_ms", round(pct(rescore, 0.95)));
      row.put("total_p50_ms", round(pct(total, 0.5)));
      row.put("total_p95_ms", round(pct(total, 0.95)));
      row.put("total_mean_ms", round(mean(total)));
      row.put("cpu_p50_ms", round(pct(cpu, 0.5)));
      row.put("candidates_rescored_mean", round((double) candidates / n));
      row.put("speedup_p50", round(exactP50 / pct(total, 0.5)));
      log(
          "  probes %d, token depth %d, depth %d: recall@%d %.4f, total p50 %.1f ms",
          probes, tokenDepth, depth, k, mean(recall), pct(total, 0.5));
      return row;
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

    // ------------------------------------------------------------ data checks

    /** Mean cosines of the generated data, so the clustering is visible in the report. */
    Map<String, Object> cosines() {
      SplittableRandom r = new SplittableRandom(o.seed() ^ 0x5EEDL);
      int dim = g.dim;
      double sameDoc = 0, random = 0, queryBest = 0;
      int pairs = 0, rpairs = 0, qrows = 0;
      int samples = Math.min(200, g.documents());
      for (int s = 0; s < samples; s++) {
        TokenMatrix a = g.document(r.nextInt(g.documents()));
        TokenMatrix b = g.document(r.nextInt(g.documents()));
        for (int t = 0; t < 20; t++) {
          sameDoc += dot(a, r.nextInt(a.rows()), a, r.nextInt(a.rows()), dim);
          random += dot(a, r.nextInt(a.rows()), b, r.nextInt(b.rows()), dim);
          pairs++;
          rpairs++;
        }
      }
      // A query token against the best token of the document its topics came from.
      for (int q = 0; q < Math.min(20, o.queries()); q++) {
        SplittableRandom qr = Generator.stream(o.seed(), 3, q);
        int doc = qr.nextInt(g.documents());
        TokenMatrix qm = g.query(q, o.queryTokens());
        TokenMatrix dm = g.document(doc);
        for (int i = 0; i < qm.rows(); i++) {
          float best = -1;
          for (int j = 0; j < dm.rows(); j++) best = Math.max(best, dot(qm, i, dm, j, dim));
          queryBest += best;
          qrows++;
        }
      }
      // Two tokens of one fine cluster (noise around the same centre).
      double sameCluster = 0;
      float[] u = new float[dim], v = new float[dim];
      for (int s = 0; s < 2000; s++) {
        int c = r.nextInt(g.topics * g.subs);
        g.noisyPublic(r, c, u);
        g.noisyPublic(r, c, v);
        double d = 0;
        for (int i = 0; i < dim; i++) d += u[i] * v[i];
        sameCluster += d;
      }
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("same_fine_cluster", round4(sameCluster / 2000));
      m.put("same_document", round4(sameDoc / pairs));
      m.put("random_pair", round4(random / rpairs));
      m.put("query_token_best_in_source_document", round4(queryBest / Math.max(1, qrows)));
      log(
          "Mean token cosines: same fine cluster %.3f, same document %.3f, random pair %.3f; a"
              + " query token's best match in its source document %.3f",
          sameCluster / 2000, sameDoc / pairs, random / rpairs, queryBest / Math.max(1, qrows));
      return m;
    }

    static float dot(TokenMatrix a, int i, TokenMatrix b, int j, int dim) {
      float s = 0;
      for (int d = 0; d < dim; d++) s += a.data()[i * dim + d] * b.data()[j * dim + d];
      return s;
    }

    Map<String, Object> jvm() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("java_version", System.getProperty("java.version"));
      m.put("available_processors", Runtime.getRuntime().availableProcessors());
      m.put("heap_max_bytes", Runtime.getRuntime().maxMemory());
      m.put("kernel", VectorKernel.get().name());
      return m;
    }
  }

  // ---------------------------------------------------------------- helpers

  static QueryContext context(TokenMatrix q, VectorKernel kernel) {
    String[] tokens = new String[q.rows()];
    Arrays.fill(tokens, "");
    return QueryContext.ofEncoded("synthetic query", q, tokens, kernel);
  }

  /** CPU time of the searching thread: on a busy machine, wall time minus waiting for a core. */
  static final java.lang.management.ThreadMXBean THREADS =
      java.lang.management.ManagementFactory.getThreadMXBean();

  /** The 1, 5 and 15 minute load averages (Linux), to judge how busy the machine was. */
  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "n/a";
    }
  }

  static void log(String format, Object... args) {
    OUT.printf(Locale.ROOT, format + "%n", args);
    OUT.flush();
  }

  static double pct(double[] v, double p) {
    if (v.length == 0) return 0;
    double[] s = v.clone();
    Arrays.sort(s);
    int at = (int) Math.ceil(p * s.length) - 1;
    return s[Math.max(0, Math.min(s.length - 1, at))];
  }

  static double mean(double[] v) {
    return Arrays.stream(v).average().orElse(0);
  }

  static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  static double round4(double v) {
    return Math.round(v * 10000) / 10000.0;
  }

  static long usedHeapAfterGc() {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 2; i++) System.gc();
    return rt.totalMemory() - rt.freeMemory();
  }

  /** VmRSS, RssAnon and RssFile of this process (Linux), in bytes; empty elsewhere. */
  static Map<String, Object> procStatus() {
    Map<String, Object> m = new LinkedHashMap<>();
    Path p = Path.of("/proc/self/status");
    if (!Files.isReadable(p)) return m;
    try {
      for (String line : Files.readAllLines(p)) {
        String[] f = line.split("\\s+");
        if (f.length < 2) continue;
        String key =
            switch (f[0]) {
              case "VmRSS:" -> "vm_rss_bytes";
              case "RssAnon:" -> "rss_anon_bytes";
              case "RssFile:" -> "rss_file_bytes";
              default -> null;
            };
        if (key != null) m.put(key, Long.parseLong(f[1]) * 1024);
      }
    } catch (IOException | NumberFormatException e) {
      // not Linux-like: leave it out
    }
    return m;
  }

  /** Bytes of the regular files directly in {@code dir}, by file suffix, and their total. */
  static Map<String, Object> filesBySuffix(Path dir) throws IOException {
    Map<String, Long> by = new TreeMap<>();
    long total = 0;
    if (Files.isDirectory(dir)) {
      try (var s = Files.list(dir)) {
        for (Path f : s.filter(Files::isRegularFile).toList()) {
          String name = f.getFileName().toString();
          int dot = name.lastIndexOf('.');
          String suffix = dot < 0 ? name.replaceAll("_\\d+$", "") : name.substring(dot + 1);
          long size = Files.size(f);
          by.merge(suffix, size, Long::sum);
          total += size;
        }
      }
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("total_bytes", total);
    m.put("by_suffix", by);
    return m;
  }

  /** The four largest file kinds, e.g. ".dvd 2.41 GiB, .tim 1.0 MiB". */
  @SuppressWarnings("unchecked")
  static String largest(Map<String, Object> files) {
    Map<String, Object> by = (Map<String, Object>) files.get("by_suffix");
    return by.entrySet().stream()
        .sorted(
            (x, y) ->
                Long.compare(
                    ((Number) y.getValue()).longValue(), ((Number) x.getValue()).longValue()))
        .limit(4)
        .map(e -> "." + e.getKey() + " " + human(((Number) e.getValue()).longValue()))
        .collect(java.util.stream.Collectors.joining(", "));
  }

  static String human(long b) {
    if (b >= 1L << 30) return String.format(Locale.ROOT, "%.2f GiB", b / (double) (1L << 30));
    return String.format(Locale.ROOT, "%.1f MiB", b / (double) (1L << 20));
  }

  static void deleteTree(Path root) throws IOException {
    try (var s = Files.walk(root)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
    }
  }

  // ---------------------------------------------------------------- data generator

  /**
   * Seeded synthetic token vectors with the structure of real late-interaction embeddings: a
   * hierarchy of clusters, documents made of a few topics, tokens of one document correlated.
   *
   * <ul>
   *   <li>{@code areas = topics / 40} random unit centres; each topic centre = normalise(its area
   *       centre + noise of norm {@value #TOPIC_SPREAD}) (cosine to its area ~0.71, to a sibling
   *       topic ~0.5); topic t belongs to area {@code t % areas}.
   *   <li>each topic has {@code subClusters} fine centres = normalise(topic + noise of norm {@value
   *       #SUB_SPREAD}) (cosine to the topic ~0.78, between siblings ~0.6): {@code topics x
   *       subClusters} fine clusters, many more than XTR's centroids.
   *   <li>a document: 1-4 topics (the first drawn with a popularity skew, each further one from the
   *       first one's area with probability 1/2, else drawn like the first), for each 2-4 of its
   *       fine clusters; a token is normalise(one of the document's fine centres + gaussian noise
   *       of norm ~{@value #TOKEN_NOISE}) (cosine to its centre ~0.82, between two tokens of one
   *       fine cluster ~0.67), or with probability {@code stopFraction} the same around one of 32
   *       corpus-wide "function word" centres. Length uniform in [tokensPerDoc/2, 3
   *       tokensPerDoc/2].
   *   <li>a query: the topics of a random document; each of its tokens from a fine cluster of one
   *       of those topics chosen afresh (not necessarily one the document uses) plus the same
   *       noise: relevant documents exist, but no query token copies a document token.
   * </ul>
   *
   * Every document and query has its own random stream (seed, index): the data does not depend on
   * the number or scheduling of writing threads.
   */
  static final class Generator {
    static final double TOPIC_SPREAD = 1.0;
    static final double SUB_SPREAD = 0.8;
    static final double TOKEN_NOISE = 0.7;
    static final int STOP_CLUSTERS = 32;
    static final int VERSION = 1;

    final int dim;
    final int topics;
    final int subs;
    final int areas;
    final double stopFraction;
    final long seed;
    final float[] topicCentres;
    final float[] subCentres;
    final float[] stopCentres;
    final int[] lengths;
    final long totalTokens;
    final float sigma;

    Generator(Options o) {
      this.dim = o.dim();
      this.topics = o.topics();
      this.subs = o.subClusters();
      this.areas = Math.max(1, topics / 40);
      this.stopFraction = o.stopFraction();
      this.seed = o.seed();
      this.sigma = (float) (TOKEN_NOISE / Math.sqrt(dim));
      SplittableRandom r = new SplittableRandom(seed);
      float[] areaCentres = new float[areas * dim];
      for (int a = 0; a < areas; a++) gaussianUnit(r, areaCentres, a * dim, dim);
      topicCentres = new float[topics * dim];
      for (int t = 0; t < topics; t++)
        around(r, areaCentres, (t % areas) * dim, TOPIC_SPREAD, topicCentres, t * dim);
      subCentres = new float[topics * subs * dim];
      for (int t = 0; t < topics; t++)
        for (int s = 0; s < subs; s++)
          around(r, topicCentres, t * dim, SUB_SPREAD, subCentres, (t * subs + s) * dim);
      stopCentres = new float[STOP_CLUSTERS * dim];
      for (int c = 0; c < STOP_CLUSTERS; c++) gaussianUnit(r, stopCentres, c * dim, dim);
      // Document lengths, drawn in order until the token budget is reached.
      int lo = Math.max(1, o.tokensPerDoc() / 2), span = Math.max(1, o.tokensPerDoc());
      int[] len = new int[1024];
      int n = 0;
      long total = 0;
      while (total < o.tokens()) {
        if (n == len.length) len = Arrays.copyOf(len, n * 2);
        int l = (int) Math.min(lo + r.nextInt(span + 1), o.tokens() - total);
        len[n++] = l;
        total += l;
      }
      this.lengths = Arrays.copyOf(len, n);
      this.totalTokens = total;
    }

    int documents() {
      return lengths.length;
    }

    /** A document's fine clusters ({@code topic * subs + sub}) and topics. */
    record Spec(int[] topics, int[] clusters) {}

    static SplittableRandom stream(long seed, long salt, long index) {
      return new SplittableRandom(mix(seed ^ mix(salt) ^ mix(index + 0x9E3779B97F4A7C15L)));
    }

    static long mix(long z) {
      z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      return z ^ (z >>> 31);
    }

    private int popularTopic(SplittableRandom r) {
      // Density ~ t^(-1/3): popular topics are a few times more frequent than rare ones.
      return Math.min(topics - 1, (int) (topics * Math.pow(r.nextDouble(), 1.5)));
    }

    Spec spec(int doc) {
      SplittableRandom r = stream(seed, 1, doc);
      int nt = 1 + r.nextInt(4);
      int[] ts = new int[nt];
      ts[0] = popularTopic(r);
      int perArea = (topics + areas - 1) / areas;
      for (int i = 1; i < nt; i++) {
        int t;
        do {
          if (r.nextBoolean()) {
            int area = ts[0] % areas;
            t = area + areas * r.nextInt(perArea);
            if (t >= topics) t = ts[0];
          } else {
            t = popularTopic(r);
          }
        } while (contains(ts, i, t) && topics > nt);
        ts[i] = t;
      }
      List<Integer> cs = new ArrayList<>();
      for (int t : ts) {
        int want = Math.min(subs, 2 + r.nextInt(3));
        int[] perm = permutation(r, subs);
        for (int j = 0; j < want; j++) cs.add(t * subs + perm[j]);
      }
      return new Spec(ts, cs.stream().mapToInt(Integer::intValue).toArray());
    }

    TokenMatrix document(int doc) {
      Spec s = spec(doc);
      SplittableRandom r = stream(seed, 2, doc);
      int rows = lengths[doc];
      float[] data = new float[rows * dim];
      for (int i = 0; i < rows; i++) {
        if (r.nextDouble() < stopFraction)
          noisy(r, stopCentres, r.nextInt(STOP_CLUSTERS) * dim, data, i * dim);
        else
          noisy(r, subCentres, s.clusters()[r.nextInt(s.clusters().length)] * dim, data, i * dim);
      }
      return new TokenMatrix(data, rows, dim);
    }

    String text(int doc) {
      StringBuilder b = new StringBuilder();
      for (int t : spec(doc).topics()) b.append("topic").append(t).append(' ');
      return b.toString().trim();
    }

    /** Query {@code q}: the topics of a random document, fresh fine clusters, fresh noise. */
    TokenMatrix query(int q, int rows) {
      SplittableRandom r = stream(seed, 3, q);
      Spec s = spec(r.nextInt(documents()));
      float[] data = new float[rows * dim];
      for (int i = 0; i < rows; i++) {
        if (r.nextDouble() < stopFraction)
          noisy(r, stopCentres, r.nextInt(STOP_CLUSTERS) * dim, data, i * dim);
        else {
          int t = s.topics()[r.nextInt(s.topics().length)];
          noisy(r, subCentres, (t * subs + r.nextInt(subs)) * dim, data, i * dim);
        }
      }
      return new TokenMatrix(data, rows, dim);
    }

    /** One token of fine cluster {@code cluster} into {@code out}. */
    void noisyPublic(SplittableRandom r, int cluster, float[] out) {
      noisy(r, subCentres, cluster * dim, out, 0);
    }

    private void noisy(SplittableRandom r, float[] centres, int from, float[] out, int at) {
      double norm = 0;
      for (int d = 0; d < dim; d++) {
        float v = centres[from + d] + sigma * (float) r.nextGaussian();
        out[at + d] = v;
        norm += (double) v * v;
      }
      float inv = (float) (1 / Math.sqrt(norm));
      for (int d = 0; d < dim; d++) out[at + d] *= inv;
    }

    private void around(
        SplittableRandom r, float[] centres, int from, double spread, float[] out, int at) {
      double s = spread / Math.sqrt(dim);
      double norm = 0;
      for (int d = 0; d < dim; d++) {
        float v = centres[from + d] + (float) (s * r.nextGaussian());
        out[at + d] = v;
        norm += (double) v * v;
      }
      float inv = (float) (1 / Math.sqrt(norm));
      for (int d = 0; d < dim; d++) out[at + d] *= inv;
    }

    private static void gaussianUnit(SplittableRandom r, float[] out, int at, int dim) {
      double norm = 0;
      for (int d = 0; d < dim; d++) {
        float v = (float) r.nextGaussian();
        out[at + d] = v;
        norm += (double) v * v;
      }
      float inv = (float) (1 / Math.sqrt(norm));
      for (int d = 0; d < dim; d++) out[at + d] *= inv;
    }

    private static boolean contains(int[] a, int n, int v) {
      for (int i = 0; i < n; i++) if (a[i] == v) return true;
      return false;
    }

    private static int[] permutation(SplittableRandom r, int n) {
      int[] p = new int[n];
      for (int i = 0; i < n; i++) p[i] = i;
      for (int i = n - 1; i > 0; i--) {
        int j = r.nextInt(i + 1);
        int t = p[i];
        p[i] = p[j];
        p[j] = t;
      }
      return p;
    }

    /** Everything the data depends on: an index built with equal parameters is reusable. */
    Map<String, Object> identity(Options o) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("generator_version", VERSION);
      m.put("tokens", totalTokens);
      m.put("documents", documents());
      m.put("dim", dim);
      m.put("tokens_per_doc", o.tokensPerDoc());
      m.put("topics", topics);
      m.put("areas", areas);
      m.put("sub_clusters_per_topic", subs);
      m.put("fine_clusters", (long) topics * subs);
      m.put("stop_fraction", stopFraction);
      m.put("seed", seed);
      m.put("codec", TokenCodec.FLOAT16.cliName());
      return m;
    }
  }
}
