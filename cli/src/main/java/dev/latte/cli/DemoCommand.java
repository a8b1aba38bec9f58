package dev.latte.cli;

import dev.latte.core.LatteHome;
import dev.latte.datasets.BeirDataset;
import dev.latte.datasets.BundledSample;
import dev.latte.encoders.OnnxTokenEncoder;
import dev.latte.eval.BeirEvaluator;
import dev.latte.eval.EvalReport;
import dev.latte.eval.EvalRow;
import dev.latte.indexer.CorpusSource;
import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.LatteIndexReaderSupport;
import dev.latte.web.LatteService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.apache.lucene.store.FSDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description =
        "Index the bundled SciFact sample with the bundled model, print the evaluation table, then"
            + " serve it over HTTP. A later run over the unchanged index with the unchanged build"
            + " prints the stored table and serves at once.")
final class DemoCommand implements Callable<Integer> {
  static final int BATCH = 32;

  @Option(
      names = "--port",
      defaultValue = "8080",
      description = "Port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--no-serve", description = "Stop after the evaluation table.")
  boolean noServe;

  @Option(
      names = "--re-evaluate",
      description = "Run the evaluation again even if this index and build were evaluated before.")
  boolean reEvaluate;

  @Override
  public Integer call() throws Exception {
    BeirDataset sample = BundledSample.materialize(LatteHome.dir().resolve("datasets"));
    System.out.println(
        "Bundled sample: "
            + sample.dir()
            + " (BEIR SciFact, CC BY 4.0 / ODC-By; see ATTRIBUTION.md there)");
    Path indexDir;
    Path served;
    DemoEvaluationCache cache =
        new DemoEvaluationCache(LatteHome.dir().resolve("runs").resolve("demo"));
    try (OnnxTokenEncoder encoder = Common.encoder("default", Common.CORES)) {
      BeirEvaluator evaluator = new BeirEvaluator(encoder, System.out);
      indexDir = evaluator.defaultIndexDir(sample);
      // The float32 index is the exact reference (and keeps every first stage); the compact
      // default, re-coded from it without re-encoding, is evaluated beside it and served.
      served = evaluator.cachedIndexDir(sample, IndexCommand.DEFAULT_OPTIONS);
      List<IndexOptions> storage =
          IndexCommand.DEFAULT_OPTIONS.equals(IndexOptions.DEFAULT)
              ? List.of(IndexOptions.DEFAULT)
              : List.of(IndexOptions.DEFAULT, IndexCommand.DEFAULT_OPTIONS);
      var options =
          new BeirEvaluator.Options(
              sample.dir(),
              null,
              "test",
              List.of("all"),
              storage,
              1000,
              1,
              Common.CORES,
              BATCH,
              null,
              10,
              null);
      String settings = options + " model " + encoder.fingerprint();
      var stored =
          reEvaluate
              ? java.util.Optional.<DemoEvaluationCache.Entry>empty()
              : cache.read(
                  DemoEvaluationCache.key(
                      indexDir, sample.dir(), DemoEvaluationCache.runtimeClasspath(), settings));
      if (stored.isPresent() && Files.isDirectory(served)) {
        DemoEvaluationCache.Entry e = stored.get();
        System.out.println();
        System.out.print(e.table());
        System.out.printf(
            Locale.ROOT,
            "(SciFact test, %d queries; latencies per query on 1 thread)%n"
                + "Cached: this index and build were evaluated at %s (it took %s); the table is"
                + " that run's. ./latte demo --re-evaluate runs it again.%n%n",
            e.queries(),
            e.evaluatedAt(),
            DemoEstimate.minutes(e.seconds()));
      } else {
        if (!indexReusable(indexDir, sample, encoder.fingerprint())) {
          List<dev.latte.datasets.Document> head;
          CorpusSource source = CorpusSource.of(sample.dir());
          try (Stream<dev.latte.datasets.Document> docs = source.documents().get()) {
            head = docs.limit((long) Common.CORES * BATCH).toList();
          }
          double speed = DemoEstimate.measure(encoder, head, Common.CORES, BATCH);
          System.out.println(
              DemoEstimate.of(source.count(), speed, Common.CORES, cache.lastSeconds()).describe());
        } else {
          var last = cache.lastSeconds();
          System.out.println(
              "Evaluating every method on the index (not evaluated with this build yet)"
                  + (last.isPresent()
                      ? ": the last evaluation here took "
                          + DemoEstimate.minutes(last.getAsDouble())
                      : "; about 5 min on 2 cores")
                  + ".");
        }
        long t0 = System.nanoTime();
        List<EvalRow> rows = evaluator.evaluate(options, Common.progressBar("Indexing"));
        double seconds = (System.nanoTime() - t0) / 1e9;
        String table = EvalReport.tradeOffTable(rows);
        System.out.println();
        System.out.print(table);
        System.out.println(
            "(SciFact test, "
                + rows.getFirst().queries()
                + " queries; latencies per query on 1 thread)");
        System.out.println();
        // Keyed after the run: the evaluation may have built first stages into the index.
        cache.write(
            new DemoEvaluationCache.Entry(
                DemoEvaluationCache.key(
                    indexDir, sample.dir(), DemoEvaluationCache.runtimeClasspath(), settings),
                Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString(),
                seconds,
                rows.getFirst().queries(),
                table));
      }
    }
    if (!noServe) {
      ServeCommand.serveIndex(
          served,
          "scifact",
          "default",
          "127.0.0.1",
          port,
          "do statins reduce cardiovascular risk",
          new LatteService.Options(null, false, 10L << 20),
          1000);
    }
    return 0;
  }

  /** Whether the cached index was built from this sample with this model (no encoding needed). */
  static boolean indexReusable(Path indexDir, BeirDataset sample, String modelFingerprint) {
    if (!Files.isDirectory(indexDir)) return false;
    try (var dir = FSDirectory.open(indexDir)) {
      IndexMetadata m = LatteIndexReaderSupport.metadataIfPresent(dir);
      return m != null
          && m.modelFingerprint().equals(modelFingerprint)
          && m.sourceFingerprint().equals(CorpusSource.of(sample.dir()).fingerprint());
    } catch (Exception e) {
      return false;
    }
  }
}
