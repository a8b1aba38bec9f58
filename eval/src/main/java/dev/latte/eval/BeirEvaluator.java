package dev.latte.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.latte.datasets.BeirDataset;
import dev.latte.datasets.DatasetException;
import dev.latte.datasets.Query;
import dev.latte.encoders.TokenEncoder;
import dev.latte.eval.metrics.Evaluation;
import dev.latte.eval.metrics.Qrels;
import dev.latte.eval.metrics.RankedDoc;
import dev.latte.eval.metrics.TrecMetrics;
import dev.latte.eval.metrics.TrecRun;
import dev.latte.indexer.CorpusSource;
import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.IndexRecoder;
import dev.latte.indexer.IndexStats;
import dev.latte.indexer.LatteIndexReaderSupport;
import dev.latte.indexer.LatteIndexWriter;
import dev.latte.indexer.derived.DerivedIndex;
import dev.latte.searcher.ExactMaxSimMethod;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.LatteSearcher;
import dev.latte.searcher.MethodResult;
import dev.latte.searcher.QueryContext;
import dev.latte.searcher.ScoredDoc;
import dev.latte.searcher.SearchMethod;
import dev.latte.searcher.SearchSettings;
import dev.latte.searcher.firststage.FirstStages;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
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
import java.util.function.Function;
import java.util.stream.Stream;
import org.apache.lucene.store.FSDirectory;

/**
 * BEIR evaluation: index the collection (or reuse the index built before for the same collection
 * and model), run each method over the split's judged queries, write a TREC run per method and
 * compute trec_eval metrics. A query's own id is removed from its results (BEIR convention).
 */
public final class BeirEvaluator {

  /**
   * What to evaluate and how. {@code indexOptions} lists the storage settings to evaluate (several
   * only in a sweep); {@code indexDir} null means Latte's cache, where a float32 index is built
   * once per dataset and model and other settings are re-coded from it.
   */
  public record Options(
      Path dataset,
      Path indexDir,
      String split,
      List<String> methods,
      List<IndexOptions> indexOptions,
      int k,
      int queryThreads,
      int encodeThreads,
      int batchSize,
      Path runDir,
      int warmupQueries,
      SearchSettings settings) {
    public Options {
      if (settings == null) settings = SearchSettings.DEFAULT;
      if (indexOptions == null || indexOptions.isEmpty())
        indexOptions = List.of(IndexOptions.DEFAULT);
    }
  }

  private final TokenEncoder encoder;
  private final PrintStream out;

  public BeirEvaluator(TokenEncoder encoder, PrintStream out) {
    this.encoder = encoder;
    this.out = out;
  }

  /**
   * Returns the index for this dataset and model with the given options, building it by encoding if
   * it is missing or was built from another collection, model or options. An index that does not
   * match is rebuilt only if it lives in Latte's cache; elsewhere it is an error, so user data is
   * never deleted.
   */
  public Path ensureIndex(
      BeirDataset ds,
      Path indexDir,
      boolean ownedByCache,
      IndexOptions options,
      int encodeThreads,
      int batchSize,
      IndexProgress progress)
      throws Exception {
    CorpusSource source = CorpusSource.of(ds.dir());
    if (reusable(indexDir, source, options, ownedByCache)) return indexDir;
    long total = source.count();
    out.println(
        "Indexing "
            + String.format(Locale.ROOT, "%,d", total)
            + " documents of "
            + ds.name()
            + " with "
            + encoder.config().name()
            + " ("
            + options.label()
            + ") into "
            + indexDir);
    long t0 = System.nanoTime();
    IndexStats stats;
    try (LatteIndexWriter w =
            LatteIndexWriter.open(
                indexDir, encoder, source.file().toString(), source.fingerprint(), options);
        Stream<dev.latte.datasets.Document> docs = source.documents().get()) {
      progress.start(total);
      w.addAll(docs, encodeThreads, batchSize, progress);
      progress.close();
      stats = w.commit();
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    out.printf(
        Locale.ROOT,
        "Indexed in %.1f s (%.1f docs/s): %s%n",
        secs,
        stats.documents() / secs,
        stats.describe());
    return indexDir;
  }

  /** A cached index with other options, re-coded from the cached float32 one (no re-encoding). */
  Path ensureRecoded(BeirDataset ds, Path base, IndexOptions options) throws Exception {
    if (options.equals(IndexOptions.DEFAULT)) return base;
    Path target = base.resolveSibling(base.getFileName() + "@" + options.label());
    if (reusable(target, CorpusSource.of(ds.dir()), options, true)) return target;
    long t0 = System.nanoTime();
    IndexStats stats = IndexRecoder.recode(base, target, options, IndexProgress.NONE);
    out.printf(
        Locale.ROOT,
        "Re-coded %s as %s in %.1f s: %s%n",
        base.getFileName(),
        options.label(),
        (System.nanoTime() - t0) / 1e9,
        stats.describe());
    return target;
  }

  private boolean reusable(
      Path indexDir, CorpusSource source, IndexOptions options, boolean ownedByCache)
      throws IOException {
    IndexMetadata existing = null;
    if (Files.isDirectory(indexDir)) {
      try (var dir = FSDirectory.open(indexDir)) {
        existing = LatteIndexReaderSupport.metadataIfPresent(dir);
      } catch (RuntimeException e) {
        if (!ownedByCache) throw e;
      }
    }
    if (existing != null
        && existing.layoutVersion() == dev.latte.indexer.IndexLayout.LAYOUT_VERSION
        && existing.modelFingerprint().equals(encoder.fingerprint())
        && existing.sourceFingerprint().equals(source.fingerprint())
        && existing.options().equals(options)) {
      out.println(
          "Reusing the index in "
              + indexDir
              + " (same collection, model and "
              + options.label()
              + ").");
      return true;
    }
    if (existing != null || (Files.isDirectory(indexDir) && hasFiles(indexDir))) {
      if (!ownedByCache) {
        throw new DatasetException(
            "index "
                + indexDir
                + " was built from another collection, model or codec (wanted "
                + options.label()
                + "); give another --index folder or delete it");
      }
      deleteRecursively(indexDir);
    }
    Files.createDirectories(indexDir);
    return false;
  }

  public List<EvalRow> evaluate(Options o, IndexProgress progress) throws Exception {
    return evaluate(o, progress, name -> IndexProgress.NONE);
  }

  /**
   * Evaluates as {@link #evaluate(Options, IndexProgress)}; {@code stageProgress} reports the
   * building of first-stage structures (by task name).
   *
   * <p>Methods that search a first-stage structure derived from the index (xtr, lucene-stock, ...)
   * need it built. On Latte's cached index the missing or stale ones are built before searching,
   * for the float32 index without pooling only; re-coded variants of a sweep run with {@code all}
   * only the methods that need none and read no text ({@code maxsim-exact}, {@code
   * maxsim-hamming}). With an explicit {@code --index} nothing is built: {@code all} skips (and
   * reports) the methods whose structure is missing, and a method named explicitly fails with its
   * own message.
   *
   * <p>Exact MaxSim runs first on each index, so that every row can be compared with it: {@code
   * recall_100_vs_exact} and {@code speedup_vs_exact} (see {@link EvalRow}).
   */
  public List<EvalRow> evaluate(
      Options o, IndexProgress progress, Function<String, IndexProgress> stageProgress)
      throws Exception {
    skipped.clear();
    BeirDataset ds = BeirDataset.open(o.dataset());
    if (!ds.splits().contains(o.split())) {
      throw new DatasetException(
          "dataset " + ds.dir() + " has no qrels/" + o.split() + ".tsv; it has " + ds.splits());
    }
    Qrels qrels = Qrels.of(ds.qrels(o.split()));
    Map<String, Query> allQueries = ds.queries();
    List<Query> queries = new ArrayList<>();
    for (String qid : qrels.judgments().keySet()) {
      Query q = allQueries.get(qid);
      if (q != null) queries.add(q);
    }
    if (queries.isEmpty()) {
      throw new DatasetException(
          "no query of qrels/"
              + o.split()
              + ".tsv appears in "
              + ds.dir().resolve("queries.jsonl"));
    }
    // Which (index, options) pairs to run: with an explicit --index, that one index as asked;
    // otherwise the cached float32 index (first: the exact reference runs there) plus re-coded
    // variants.
    Map<IndexOptions, Path> indexes = new LinkedHashMap<>();
    boolean cached = o.indexDir() == null;
    if (cached) {
      Path base = defaultIndexDir(ds);
      ensureIndex(ds, base, true, IndexOptions.DEFAULT, o.encodeThreads(), o.batchSize(), progress);
      indexes.put(IndexOptions.DEFAULT, base);
      for (IndexOptions opt : o.indexOptions())
        if (!opt.equals(IndexOptions.DEFAULT)) indexes.put(opt, ensureRecoded(ds, base, opt));
    } else {
      if (o.indexOptions().size() != 1)
        throw new IllegalArgumentException(
            "a sweep needs Latte's cached indexes: leave out --index");
      IndexOptions opt = o.indexOptions().getFirst();
      indexes.put(
          opt,
          ensureIndex(ds, o.indexDir(), false, opt, o.encodeThreads(), o.batchSize(), progress));
    }

    Path runDir =
        o.runDir() != null
            ? o.runDir()
            : dev.latte.core.LatteHome.dir().resolve("runs").resolve(ds.name() + "-" + o.split());
    Files.createDirectories(runDir);
    boolean many = indexes.size() > 1;
    boolean all = o.methods().contains("all");
    List<EvalRow> rows = new ArrayList<>();
    out.printf(
        Locale.ROOT,
        "Evaluating %d %s queries of %s, k=%d, %d query thread(s)%n",
        queries.size(),
        o.split(),
        ds.name(),
        o.k(),
        o.queryThreads());
    boolean bm25Done = false;
    // Exact float32 MaxSim without pooling: each query's top ids and the median latency.
    Map<String, Set<String>> exactTop = null;
    Double exactP50 = null;
    for (var entry : indexes.entrySet()) {
      IndexOptions opt = entry.getKey();
      Path path = entry.getValue();
      boolean referenceOnly = !o.indexOptions().contains(opt);
      boolean variant = cached && !opt.equals(IndexOptions.DEFAULT);
      try (LatteIndex index = LatteIndex.open(path)) {
        LatteSearcher searcher =
            new LatteSearcher(
                index, encoder, dev.latte.core.kernel.VectorKernel.get(), o.settings());
        List<String> methods;
        if (referenceOnly) {
          methods = List.of(ExactMaxSimMethod.NAME);
        } else if (all) {
          methods = searcher.methods();
          if (variant) methods = methods.stream().filter(BeirEvaluator::exactScan).toList();
        } else {
          methods =
              o.methods().stream()
                  .filter(
                      m -> !m.equals(ExactMaxSimMethod.HAMMING) || searcher.methods().contains(m))
                  .toList();
          for (String name : methods)
            searcher.method(name); // fail before any work on an unknown name
        }
        methods =
            prepareFirstStages(
                searcher, methods, opt, cached, variant, all, queries, stageProgress);

        // Exact MaxSim first, so that the others can be compared with it.
        List<String> order = new ArrayList<>(methods);
        if (order.remove(ExactMaxSimMethod.NAME)) order.addFirst(ExactMaxSimMethod.NAME);
        Map<String, Measured> measured = new HashMap<>();
        Map<String, Set<String>> localTop = null;
        Double localP50 = null;
        for (String name : order) {
          SearchMethod method = searcher.method(name);
          boolean lateInteraction = method.needsQueryMatrix();
          if (!lateInteraction && bm25Done) continue; // text ranking does not depend on the codec
          String label = many && lateInteraction ? name + "@" + opt.label() : name;
          String structure = structureOf(name);
          long extraBytes = structure == null ? 0 : FirstStages.bytes(path, structure);
          Measured m =
              runMethod(searcher, method, label, opt, queries, qrels, o, runDir, extraBytes);
          measured.put(name, m);
          if (!lateInteraction) bm25Done = true;
          if (name.equals(ExactMaxSimMethod.NAME)) {
            localTop = topIds(m.run(), EXACT_DEPTH);
            localP50 = m.row().latencyP50();
            if (exactTop == null && opt.equals(IndexOptions.DEFAULT)) {
              exactTop = localTop;
              exactP50 = localP50;
            }
          }
        }
        Map<String, Set<String>> refTop = exactTop != null ? exactTop : localTop;
        Double refP50 = exactTop != null ? exactP50 : localP50;
        for (String name : methods) {
          Measured m = measured.get(name);
          if (m == null) continue;
          EvalRow r = m.row();
          rows.add(
              r.withExactComparison(
                  refTop == null ? null : recallVsExact(m.run(), refTop, EXACT_DEPTH),
                  refP50 == null || r.latencyP50() <= 0 ? null : refP50 / r.latencyP50()));
        }
      }
    }
    // nDCG ratio to exact float32 MaxSim without pooling, when that reference ran.
    Double reference =
        rows.stream()
            .filter(
                r ->
                    r.method().equals(ExactMaxSimMethod.NAME)
                        && r.codec().equals("float32")
                        && r.poolFactor() == 1)
            .map(EvalRow::ndcgCut10)
            .findFirst()
            .orElse(null);
    return rows.stream()
        .map(
            r ->
                r.withRatio(reference == null || reference == 0 ? null : r.ndcgCut10() / reference))
        .toList();
  }

  /** Depth of the exact top list that {@code recall_100_vs_exact} compares with. */
  static final int EXACT_DEPTH = 100;

  private final List<String> skipped = new ArrayList<>();

  /**
   * The methods the last {@code evaluate} left out for want of a first-stage structure (missing, or
   * failed to build), as {@code method} or {@code method@codec-pN}; why was printed when they were
   * skipped.
   */
  public List<String> skipped() {
    return List.copyOf(skipped);
  }

  /** Methods that scan the token matrices only: no text, no derived structure. */
  private static boolean exactScan(String method) {
    return method.equals(ExactMaxSimMethod.NAME) || method.equals(ExactMaxSimMethod.HAMMING);
  }

  /**
   * The first stage a method searches, as the method itself declares it ({@link
   * dev.latte.searcher.SearchMethod#firstStage()}, through the registry); null for methods that
   * need none.
   */
  static String structureOf(String method) {
    return FirstStages.stageOfMethod(method);
  }

  /**
   * Makes sure the structures the methods need are there, and returns the methods that can run: on
   * the cached float32 index builds what is missing or stale; elsewhere leaves out (with a note)
   * the methods whose structure is missing, except that a method named explicitly on an explicit
   * index fails with its own message.
   */
  private List<String> prepareFirstStages(
      LatteSearcher searcher,
      List<String> methods,
      IndexOptions opt,
      boolean cached,
      boolean variant,
      boolean all,
      List<Query> queries,
      Function<String, IndexProgress> stageProgress)
      throws IOException {
    LatteIndex index = searcher.index();
    Path path = index.path();
    Map<String, Boolean> fresh = new LinkedHashMap<>();
    for (String m : methods) {
      String s = structureOf(m);
      if (s != null && !fresh.containsKey(s))
        fresh.put(
            s, DerivedIndex.isFresh(path, FirstStages.builders().get(s).format(), index.reader()));
    }
    List<String> stale =
        fresh.entrySet().stream().filter(e -> !e.getValue()).map(Map.Entry::getKey).toList();
    if (stale.isEmpty()) return methods;
    Map<String, String> failed = new LinkedHashMap<>();
    if (cached && !variant) {
      out.println(
          "Building first stage(s) "
              + String.join(", ", stale)
              + " for "
              + path
              + " (needed by "
              + String.join(
                  ", ", methods.stream().filter(m -> stale.contains(structureOf(m))).toList())
              + "; this can take minutes)");
      // One at a time: with 'all', a structure that fails to build costs only its own methods.
      for (String s : stale) {
        try {
          FirstStages.build(
              path,
              List.of(s),
              true,
              stageProgress,
              out,
              encoder instanceof dev.latte.encoders.OnnxTokenEncoder o ? o.folder() : null);
          fresh.put(s, true);
        } catch (IOException | RuntimeException e) {
          if (!all) throw e;
          failed.put(s, e.toString());
        }
      }
    }
    List<String> kept = new ArrayList<>();
    Map<String, List<String>> skippedFor = new LinkedHashMap<>(); // reason -> methods
    for (String m : methods) {
      String s = structureOf(m);
      if (s == null || fresh.get(s)) {
        kept.add(m);
      } else if (failed.containsKey(s)) {
        skippedFor
            .computeIfAbsent(
                "building its '" + s + "' first stage failed: " + failed.get(s),
                r -> new ArrayList<>())
            .add(m);
      } else if (variant) {
        skippedFor
            .computeIfAbsent(
                "first stages are built only for the float32 index without pooling",
                r -> new ArrayList<>())
            .add(m + "@" + opt.label());
      } else if (all) {
        skippedFor
            .computeIfAbsent(
                "index "
                    + path
                    + " has no up-to-date '"
                    + s
                    + "' first stage (build it with: ./latte index --index "
                    + path
                    + " --first-stage "
                    + s
                    + ")",
                r -> new ArrayList<>())
            .add(m);
      } else {
        // Named explicitly: let the method say what is missing, before any work.
        searcher.method(m).search(index, searcher.query(queries.getFirst().text()), 1);
        kept.add(m);
      }
    }
    skippedFor.forEach(
        (why, ms) -> {
          skipped.addAll(ms);
          out.println("Skipping " + String.join(", ", ms) + ": " + why);
        });
    return kept;
  }

  /** What one method returned (self hits removed, cut to k) and its row. */
  record Measured(EvalRow row, TrecRun run) {}

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

  private Measured runMethod(
      LatteSearcher searcher,
      SearchMethod method,
      String label,
      IndexOptions opt,
      List<Query> queries,
      Qrels qrels,
      Options o,
      Path runDir,
      long extraBytes)
      throws Exception {
    LatteIndex index = searcher.index();
    // Warm the JIT on a few queries so the first timed ones do not pay for compilation.
    for (int i = 0; i < Math.min(o.warmupQueries(), queries.size()); i++) {
      method.search(index, searcher.query(queries.get(i).text()), o.k() + 1);
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
    ExecutorService pool = Executors.newFixedThreadPool(o.queryThreads());
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        final int qi = i;
        futures.add(
            pool.submit(
                () -> {
                  QueryContext q = searcher.query(queries.get(qi).text());
                  if (method.needsQueryMatrix()) q.encoded();
                  // One more than k so that removing the query's own id still leaves k.
                  MethodResult r = method.search(index, q, o.k() + 1);
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
    TrecRun run = truncate(TrecRun.of(rankings).withoutSelfHits(), o.k());
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
        percentile(searchMs, 50));
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
            percentile(searchMs, 50),
            percentile(searchMs, 95),
            percentile(totalMs, 50),
            percentile(totalMs, 95),
            percentile(firstStageMs, 50),
            percentile(firstStageMs, 95),
            percentile(rescoreMs, 50),
            percentile(rescoreMs, 95),
            null,
            n / wallSecs,
            Arrays.stream(candidates).average().orElse(0),
            stats.indexBytes(),
            extraBytes,
            li ? stats.bytesPerToken() : null,
            li ? stats.bytesPerDocument() : null,
            li ? stats.tokensPerDocument() : null,
            eval.mean().queries(),
            o.queryThreads(),
            runFile.toString());
    return new Measured(row, run);
  }

  private static TrecRun truncate(TrecRun run, int k) {
    Map<String, List<RankedDoc>> out = new LinkedHashMap<>();
    run.rankings().forEach((q, r) -> out.put(q, r.size() > k ? r.subList(0, k) : r));
    return TrecRun.of(out);
  }

  /** Nearest-rank percentile. */
  static double percentile(double[] values, double p) {
    if (values.length == 0) return 0;
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  public Path defaultIndexDir(BeirDataset ds) {
    return dev.latte.core.LatteHome.dir()
        .resolve("indexes")
        .resolve(ds.name() + "-" + encoder.config().name() + "-" + encoder.fingerprint());
  }

  /** The table, one line per method and storage setting. */
  public static String table(List<EvalRow> rows) {
    StringBuilder sb = new StringBuilder();
    String header =
        String.format(
            Locale.ROOT,
            "%-28s %8s %7s %8s %8s %8s %9s %9s %10s %9s %9s %10s",
            "method",
            "nDCG@10",
            "/exact",
            "R@100",
            "MRR@10",
            "MAP",
            "p50 ms",
            "p95 ms",
            "p50+enc",
            "B/token",
            "B/doc",
            "index");
    sb.append(header).append('\n').append("-".repeat(header.length())).append('\n');
    for (EvalRow r : rows) {
      sb.append(
          String.format(
              Locale.ROOT,
              "%-28s %8.4f %7s %8.4f %8.4f %8.4f %9.2f %9.2f %10.2f %9s %9s %10s%n",
              r.name(),
              r.ndcgCut10(),
              r.ndcgRatioToExact() == null
                  ? "-"
                  : String.format(Locale.ROOT, "%.3f", r.ndcgRatioToExact()),
              r.recall100(),
              r.recipRank10(),
              r.map(),
              r.latencyP50(),
              r.latencyP95(),
              r.latencyWithEncodingP50(),
              r.bytesPerToken() == null
                  ? "-"
                  : String.format(Locale.ROOT, "%.1f", r.bytesPerToken()),
              r.bytesPerDoc() == null ? "-" : String.format(Locale.ROOT, "%.0f", r.bytesPerDoc()),
              IndexStats.human(r.indexBytes())));
    }
    return sb.toString();
  }

  /**
   * The trade-off of each method against exact MaxSim, one line per method: quality (nDCG@10, its
   * ratio to exact, trec recall@100, recall of exact's top 100), search latency per query without
   * query encoding (median first stage, median rescoring, median and 95th percentile of the whole
   * search), speedup over exact, candidates scored per query and the extra bytes of the derived
   * structure searched.
   */
  public static String tradeOffTable(List<EvalRow> rows) {
    StringBuilder sb = new StringBuilder();
    String header =
        String.format(
            Locale.ROOT,
            "%-28s %8s %7s %7s %9s %9s %9s %9s %9s %8s %9s %10s",
            "method",
            "nDCG@10",
            "/exact",
            "R@100",
            "R@100/ex",
            "p50 1st",
            "p50 resc",
            "p50 ms",
            "p95 ms",
            "speedup",
            "cand/q",
            "extra");
    sb.append(header).append('\n').append("-".repeat(header.length())).append('\n');
    for (EvalRow r : rows) {
      sb.append(
          String.format(
              Locale.ROOT,
              "%-28s %8.4f %7s %7.4f %9s %9.2f %9.2f %9.2f %9.2f %8s %9.0f %10s%n",
              r.name(),
              r.ndcgCut10(),
              format("%.3f", r.ndcgRatioToExact()),
              r.recall100(),
              format("%.4f", r.recall100VsExact()),
              r.firstStageP50(),
              r.rescoreP50(),
              r.latencyP50(),
              r.latencyP95(),
              r.speedupVsExact() == null ? "-" : format("%.1f", r.speedupVsExact()) + "x",
              r.candidatesPerQuery(),
              r.extraIndexBytes() == 0 ? "-" : IndexStats.human(r.extraIndexBytes())));
    }
    return sb.toString();
  }

  private static String format(String pattern, Double value) {
    return value == null ? "-" : String.format(Locale.ROOT, pattern, value);
  }

  public static void writeJson(List<EvalRow> rows, Path file) throws IOException {
    if (file.toAbsolutePath().getParent() != null)
      Files.createDirectories(file.toAbsolutePath().getParent());
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), rows);
  }

  private static boolean hasFiles(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isPresent();
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
    }
  }
}
