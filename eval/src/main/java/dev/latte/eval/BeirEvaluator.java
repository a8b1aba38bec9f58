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
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.IndexStats;
import dev.latte.indexer.LatteIndexReaderSupport;
import dev.latte.indexer.LatteIndexWriter;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.LatteSearcher;
import dev.latte.searcher.MethodResult;
import dev.latte.searcher.QueryContext;
import dev.latte.searcher.ScoredDoc;
import dev.latte.searcher.SearchMethod;
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
 * BEIR evaluation: index the collection (or reuse the index built before for the same collection and
 * model), run each method over the split's judged queries, write a TREC run per method and compute
 * trec_eval metrics. A query's own id is removed from its results (BEIR convention).
 */
public final class BeirEvaluator {

  /** What to evaluate and how. */
  public record Options(
      Path dataset,
      Path indexDir,
      String split,
      List<String> methods,
      int k,
      int queryThreads,
      int encodeThreads,
      int batchSize,
      Path runDir,
      int warmupQueries) {}

  private final TokenEncoder encoder;
  private final PrintStream out;

  public BeirEvaluator(TokenEncoder encoder, PrintStream out) {
    this.encoder = encoder;
    this.out = out;
  }

  /**
   * Returns the index for this dataset and model, building it if it is missing or was built from
   * another collection or model. An index built by another model is rebuilt only if it lives in
   * Latte's cache; elsewhere it is an error, so user data is never deleted.
   */
  public Path ensureIndex(BeirDataset ds, Path indexDir, boolean ownedByCache, int encodeThreads, int batchSize, IndexProgress progress)
      throws Exception {
    CorpusSource source = CorpusSource.of(ds.dir());
    IndexMetadata existing = null;
    if (Files.isDirectory(indexDir)) {
      try (var dir = FSDirectory.open(indexDir)) {
        existing = LatteIndexReaderSupport.metadataIfPresent(dir);
      } catch (RuntimeException e) {
        if (!ownedByCache) throw e;
      }
    }
    if (existing != null
        && existing.modelFingerprint().equals(encoder.fingerprint())
        && existing.sourceFingerprint().equals(source.fingerprint())) {
      out.println("Reusing the index in " + indexDir + " (same collection and model).");
      return indexDir;
    }
    if (existing != null || (Files.isDirectory(indexDir) && hasFiles(indexDir))) {
      if (!ownedByCache) {
        throw new DatasetException(
            "index " + indexDir + " was built from another collection or model; give another --index folder or delete it");
      }
      deleteRecursively(indexDir);
    }
    Files.createDirectories(indexDir);
    long total = source.count();
    out.println("Indexing " + String.format(Locale.ROOT, "%,d", total) + " documents of " + ds.name() + " with "
        + encoder.config().name() + " into " + indexDir);
    long t0 = System.nanoTime();
    IndexStats stats;
    try (LatteIndexWriter w = LatteIndexWriter.open(indexDir, encoder, source.file().toString(), source.fingerprint());
        Stream<dev.latte.datasets.Document> docs = source.documents().get()) {
      progress.start(total);
      w.addAll(docs, encodeThreads, batchSize, progress);
      progress.close();
      stats = w.commit();
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    out.printf(Locale.ROOT, "Indexed in %.1f s (%.1f docs/s): %s%n", secs, stats.documents() / secs, stats.describe());
    return indexDir;
  }

  public List<EvalRow> evaluate(Options o, IndexProgress progress) throws Exception {
    BeirDataset ds = BeirDataset.open(o.dataset());
    if (!ds.splits().contains(o.split())) {
      throw new DatasetException("dataset " + ds.dir() + " has no qrels/" + o.split() + ".tsv; it has " + ds.splits());
    }
    Qrels qrels = Qrels.of(ds.qrels(o.split()));
    Map<String, Query> allQueries = ds.queries();
    List<Query> queries = new ArrayList<>();
    for (String qid : qrels.judgments().keySet()) {
      Query q = allQueries.get(qid);
      if (q != null) queries.add(q);
    }
    if (queries.isEmpty()) {
      throw new DatasetException("no query of qrels/" + o.split() + ".tsv appears in " + ds.dir().resolve("queries.jsonl"));
    }
    Path indexDir = o.indexDir() != null ? o.indexDir() : defaultIndexDir(ds);
    ensureIndex(ds, indexDir, o.indexDir() == null, o.encodeThreads(), o.batchSize(), progress);

    Path runDir = o.runDir() != null ? o.runDir() : dev.latte.core.LatteHome.dir().resolve("runs").resolve(ds.name() + "-" + o.split());
    Files.createDirectories(runDir);
    List<EvalRow> rows = new ArrayList<>();
    try (LatteIndex index = LatteIndex.open(indexDir)) {
      LatteSearcher searcher = new LatteSearcher(index, encoder);
      List<String> methods = o.methods().contains("all") ? searcher.methods() : o.methods();
      for (String name : methods) searcher.method(name); // fail before any work on an unknown name
      out.printf(Locale.ROOT, "Evaluating %d %s queries of %s, k=%d, %d query thread(s), kernel %s%n",
          queries.size(), o.split(), ds.name(), o.k(), o.queryThreads(), searcher.kernel().name());
      for (String name : methods) {
        rows.add(runMethod(searcher, searcher.method(name), queries, qrels, o, runDir));
      }
    }
    return rows;
  }

  private EvalRow runMethod(LatteSearcher searcher, SearchMethod method, List<Query> queries, Qrels qrels, Options o, Path runDir)
      throws Exception {
    LatteIndex index = searcher.index();
    // Warm the JIT on a few queries so the first timed ones do not pay for compilation.
    for (int i = 0; i < Math.min(o.warmupQueries(), queries.size()); i++) {
      method.search(index, searcher.query(queries.get(i).text()), o.k() + 1);
    }
    int n = queries.size();
    double[] searchMs = new double[n];
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
        futures.add(pool.submit(() -> {
          QueryContext q = searcher.query(queries.get(qi).text());
          if (method.needsQueryMatrix()) q.encoded();
          // One more than k so that removing the query's own id still leaves k.
          MethodResult r = method.search(index, q, o.k() + 1);
          searchMs[qi] = r.searchMillis();
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
    TrecRun run = TrecRun.of(rankings).withoutSelfHits();
    run = truncate(run, o.k());
    Path runFile = runDir.resolve(method.name() + ".trec");
    run.writeTo(runFile, "latte-" + method.name());
    Evaluation eval = TrecMetrics.evaluate(qrels, run);
    IndexStats stats = index.stats();
    return new EvalRow(
        method.name(),
        eval.mean().ndcgCut10(),
        eval.mean().recall100(),
        eval.mean().recipRank10(),
        eval.mean().map(),
        percentile(searchMs, 50),
        percentile(searchMs, 95),
        percentile(totalMs, 50),
        percentile(totalMs, 95),
        n / wallSecs,
        Arrays.stream(candidates).average().orElse(0),
        stats.indexBytes(),
        method.needsQueryMatrix() ? stats.bytesPerToken() : null,
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
    return dev.latte.core.LatteHome.dir().resolve("indexes").resolve(ds.name() + "-" + encoder.config().name() + "-" + encoder.fingerprint());
  }

  /** The table, one line per method. */
  public static String table(List<EvalRow> rows) {
    StringBuilder sb = new StringBuilder();
    String header = String.format(Locale.ROOT, "%-14s %8s %8s %8s %8s %9s %9s %11s %11s %10s %9s",
        "method", "nDCG@10", "R@100", "MRR@10", "MAP", "p50 ms", "p95 ms", "p50+enc ms", "p95+enc ms", "index", "B/token");
    sb.append(header).append('\n').append("-".repeat(header.length())).append('\n');
    for (EvalRow r : rows) {
      sb.append(String.format(Locale.ROOT, "%-14s %8.4f %8.4f %8.4f %8.4f %9.2f %9.2f %11.2f %11.2f %10s %9s%n",
          r.name(), r.ndcgCut10(), r.recall100(), r.recipRank10(), r.map(), r.latencyP50(), r.latencyP95(),
          r.latencyWithEncodingP50(), r.latencyWithEncodingP95(), IndexStats.human(r.indexBytes()),
          r.bytesPerToken() == null ? "-" : String.format(Locale.ROOT, "%.0f", r.bytesPerToken())));
    }
    return sb.toString();
  }

  public static void writeJson(List<EvalRow> rows, Path file) throws IOException {
    if (file.toAbsolutePath().getParent() != null) Files.createDirectories(file.toAbsolutePath().getParent());
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
