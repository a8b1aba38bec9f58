package dev.latte.benchmarks.scale;

import static dev.latte.benchmarks.scale.ScaleMeasures.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.latte.benchmarks.JsonReports;
import dev.latte.core.FileTrees;
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
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.searcher.firststage.xtr.XtrBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * One scale run: the synthetic data ({@link ClusteredTokens}), the index and its XTR first stage
 * (reused when their parameters match), then {@link ScaleSearch}; writes the JSON report.
 */
final class ScaleRun {
  static final String MODEL_NAME = "synthetic-clustered";

  final ScaleOptions o;
  final ClusteredTokens g;
  final Path index;
  final Path paramsFile;
  final Map<String, Object> report = new LinkedHashMap<>();
  final ObjectMapper json = JsonReports.MAPPER;

  /** Per measured query, the ids of brute force's top k over the float16 index (ScaleSearch). */
  final List<String[]> truthIds = new ArrayList<>();

  ScaleRun(ScaleOptions o) {
    this.o = o;
    long t0 = System.nanoTime();
    this.g = new ClusteredTokens(o);
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
    boolean reuseXtr = false;
    if (o.paths().contains("xtr"))
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
                            ? "its parameters differ: " + json.writeValueAsString(px.get("params"))
                            : !FirstStageIndex.isFresh(index, XtrBuilder.FORMAT, reader)
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

    new ScaleSearch(this).search();
    if (o.paths().contains("warp")) new ScaleWarp(this).run();

    Path out = o.json() != null ? o.json() : o.dir().resolve("scale-" + g.totalTokens + ".json");
    JsonReports.write(out, report);
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
      FileTrees.deleteRecursively(index);
    }
    Files.deleteIfExists(paramsFile);
    return write(index, new IndexOptions(TokenCodec.FLOAT16, 1));
  }

  /** Writes every generated document into a new index at {@code at}, on o.threads() threads. */
  Map<String, Object> write(Path at, IndexOptions options) throws Exception {
    return write(at, options, null);
  }

  /** As above, a residual index coding with {@code codebook} (null: trained by the writer). */
  Map<String, Object> write(
      Path at, IndexOptions options, dev.latte.core.codec.ResidualCodebook codebook)
      throws Exception {
    ModelIdentity model =
        new ModelIdentity(
            MODEL_NAME,
            "synthetic-v" + ClusteredTokens.VERSION + "-seed" + o.seed() + "-dim" + o.dim(),
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
        "Writing %,d documents (%,d tokens, %s) with %d threads into %s",
        n, g.totalTokens, options.label(), o.threads(), at);
    try (LatteIndexWriter w =
        LatteIndexWriter.openForEncoded(
            at, model, "synthetic", model.fingerprint(), options, codebook)) {
      // A residual index trains its codebook on the first documents: sized for the whole set.
      w.expectTokens(g.totalTokens);
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
                      // Positioned: the training window is the first documents, whatever the
                      // threads.
                      w.add(new Document("d" + i, "", text), m, null, i);
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
    try (Directory d = FSDirectory.open(FirstStageIndex.dir(index, XtrBuilder.NAME))) {
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
        (t1 - t0) / 1e9, (marks[0] - t0) / 1e9, (marks[1] - marks[0]) / 1e9, (t1 - marks[1]) / 1e9);
    return m;
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
      SplittableRandom qr = ClusteredTokens.stream(o.seed(), 3, q);
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
