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
import dev.latte.searcher.ExactMaxSimMethod;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.LatteSearcher;
import dev.latte.searcher.MethodResult;
import dev.latte.searcher.QueryContext;
import dev.latte.searcher.ScoredDoc;
import dev.latte.searcher.SearchMethod;
import dev.latte.searcher.SearchSettings;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
    // otherwise the cached float32 index plus re-coded variants, and the float32 reference.
    Map<IndexOptions, Path> indexes = new LinkedHashMap<>();
    boolean cached = o.indexDir() == null;
    if (cached) {
      Path base = defaultIndexDir(ds);
      ensureIndex(ds, base, true, IndexOptions.DEFAULT, o.encodeThreads(), o.batchSize(), progress);
      if (!o.indexOptions().contains(IndexOptions.DEFAULT))
        indexes.put(IndexOptions.DEFAULT, base); // the reference
      for (IndexOptions opt : o.indexOptions()) indexes.put(opt, ensureRecoded(ds, base, opt));
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
    for (var entry : indexes.entrySet()) {
      IndexOptions opt = entry.getKey();
      boolean referenceOnly = !o.indexOptions().contains(opt);
      try (LatteIndex index = LatteIndex.open(entry.getValue())) {
        LatteSearcher searcher =
            new LatteSearcher(
                index, encoder, dev.latte.core.kernel.MaxSimKernels.get(), o.settings());
        List<String> methods;
        if (referenceOnly) {
          methods = List.of(ExactMaxSimMethod.NAME);
        } else if (o.methods().contains("all")) {
          methods = searcher.methods();
        } else {
          methods =
              o.methods().stream()
                  .filter(
                      m -> !m.equals(ExactMaxSimMethod.HAMMING) || searcher.methods().contains(m))
                  .toList();
          for (String name : methods)
            searcher.method(name); // fail before any work on an unknown name
        }
        for (String name : methods) {
          SearchMethod method = searcher.method(name);
          boolean lateInteraction = method.needsQueryMatrix();
          if (!lateInteraction && bm25Done) continue; // text ranking does not depend on the codec
          String label = many && lateInteraction ? name + "@" + opt.label() : name;
          rows.add(runMethod(searcher, method, label, opt, queries, qrels, o, runDir));
          if (!lateInteraction) bm25Done = true;
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

  private EvalRow runMethod(
      LatteSearcher searcher,
      SearchMethod method,
      String label,
      IndexOptions opt,
      List<Query> queries,
      Qrels qrels,
      Options o,
      Path runDir)
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
    return new EvalRow(
        label,
        method.name(),
        li ? opt.codec().cliName() : "-",
        li ? opt.poolFactor() : 0,
        eval.mean().ndcgCut10(),
        null,
        eval.mean().recall100(),
        eval.mean().recipRank10(),
        eval.mean().map(),
        percentile(searchMs, 50),
        percentile(searchMs, 95),
        percentile(totalMs, 50),
        percentile(totalMs, 95),
        percentile(firstStageMs, 50),
        percentile(rescoreMs, 50),
        n / wallSecs,
        Arrays.stream(candidates).average().orElse(0),
        stats.indexBytes(),
        li ? stats.bytesPerToken() : null,
        li ? stats.bytesPerDocument() : null,
        li ? stats.tokensPerDocument() : null,
        eval.mean().queries(),
        o.queryThreads(),
        runFile.toString());
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
