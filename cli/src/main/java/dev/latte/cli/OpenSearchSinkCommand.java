package dev.latte.cli;

import dev.latte.core.LatteHome;
import dev.latte.core.codec.TokenCodec;
import dev.latte.datasets.corpus.Corpus;
import dev.latte.datasets.corpus.FieldMapping;
import dev.latte.encoders.OnnxTokenEncoder;
import dev.latte.indexer.EncodingPipeline;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.sink.OpenSearchBulkClient;
import dev.latte.indexer.sink.OpenSearchSinkJob;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./latte index --sink opensearch --url URL}: the options of {@link IndexCommand} applied to
 * {@link OpenSearchSinkJob} instead of a local index.
 */
final class OpenSearchSinkCommand {
  private OpenSearchSinkCommand() {}

  static int run(IndexCommand c) throws Exception {
    if (c.url == null)
      throw new IllegalArgumentException("--sink opensearch needs --url http://host:9200");
    if (c.input == null) throw new IllegalArgumentException("--sink opensearch needs --input");
    if (c.encodeOnly || c.firstStages != null)
      throw new IllegalArgumentException(
          "--encode-only and --first-stage are for local indexes, not --sink opensearch");
    int threads = c.threads == null ? Common.CORES : c.threads;
    FieldMapping mapping =
        new FieldMapping(
            c.idField,
            c.titleField,
            c.textFields,
            c.metadataFields,
            c.vectorsField,
            null,
            c.ids,
            c.doclens);
    Corpus corpus = Corpus.open(c.input, c.format, mapping);
    TokenCodec codec = TokenCodec.fromName(c.codec == null ? "float32" : c.codec);
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("url", c.url);
    settings.put("format", corpus.formatLabel());
    settings.put("fields", mapping.label());
    settings.put("batch_size", Integer.toString(c.batchSize));
    Path state = c.sinkState != null ? c.sinkState : defaultState(c.url, c.sinkIndex, corpus);
    OpenSearchBulkClient client = new OpenSearchBulkClient(c.url, 10, 250);
    long t0 = System.nanoTime();
    OpenSearchSinkJob.Result r;
    // A model is loaded only for text; records with vectors are sent as they are.
    var first = IndexCommand.firstGood(corpus);
    boolean vectors = first != null && first.vectors() != null;
    try (client;
        OnnxTokenEncoder encoder = vectors ? null : Common.encoder(c.model, threads);
        IndexProgress progress = Common.progressBar("Sending")) {
      settings.put("model", encoder == null ? "precomputed" : encoder.fingerprint());
      progress.start(corpus.estimateCount());
      r =
          new OpenSearchSinkJob(
                  corpus,
                  new EncodingPipeline(encoder, threads, c.batchSize),
                  client,
                  c.sinkIndex,
                  "tokens",
                  codec,
                  c.poolFactor == null ? 1 : c.poolFactor,
                  state,
                  settings)
              .run(progress);
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    if (r.alreadyDone()) {
      System.out.printf(
          Locale.ROOT,
          "This job is already complete (%,d documents sent to %s/%s); nothing to do. Delete %s"
              + " to send again.%n",
          r.indexed(),
          c.url,
          c.sinkIndex,
          state);
      return 0;
    }
    System.out.printf(
        Locale.ROOT,
        "Read %,d records%s: %,d sent to %s/%s, %,d refused by OpenSearch, %,d skipped; %,d"
            + " requests retried (back-pressure); %.1f s. State: %s%n",
        r.read(),
        r.resumedFrom() > 0 ? " (resumed at record " + r.resumedFrom() + ")" : "",
        r.indexed() - r.rejected(),
        c.url,
        c.sinkIndex,
        r.rejected(),
        r.skipped(),
        r.retries(),
        secs,
        state);
    r.problems().stream().limit(20).forEach(p -> System.out.println("  " + p));
    // Like a local job: refused and skipped records are listed, not the end of the job.
    return 0;
  }

  static Path defaultState(String url, String index, Corpus corpus) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    sha.update((url + "\n" + index + "\n" + corpus.input()).getBytes(StandardCharsets.UTF_8));
    String name = HexFormat.of().formatHex(sha.digest()).substring(0, 16);
    return LatteHome.dir().resolve("sink-jobs").resolve(index + "-" + name + ".json");
  }
}
