package dev.latte.cli;

import dev.latte.core.codec.TokenCodec;
import dev.latte.datasets.Document;
import dev.latte.encoders.OnnxTokenEncoder;
import dev.latte.indexer.CorpusSource;
import dev.latte.indexer.EncodingPipeline;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.IndexStats;
import dev.latte.indexer.LatteIndexWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "index",
    mixinStandardHelpOptions = true,
    description = "Encode a collection and write its token matrices into a Lucene index.")
final class IndexCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--input",
      description =
          "BEIR folder (corpus.jsonl) or a JSONL file of {_id, title, text}; may be left out with"
              + " --first-stage to add first stages to an existing index.")
  Path input;

  @Option(
      names = "--index",
      description = "Index folder to create or add to (required unless --encode-only).")
  Path index;

  @Option(
      names = "--model",
      defaultValue = "default",
      description = "Model folder, or 'default' for the bundled model (default: ${DEFAULT-VALUE}).")
  String model;

  @Option(names = "--threads", description = "Encoder threads (default: cores).")
  Integer threads;

  @Option(
      names = "--batch-size",
      defaultValue = "32",
      description = "Documents per encoder batch (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(
      names = "--codec",
      defaultValue = "float32",
      description = "Token codec: float32, float16, int8, bit (default: ${DEFAULT-VALUE}).")
  String codec;

  @Option(
      names = "--pool-factor",
      defaultValue = "1",
      description = "Token pooling factor, Ward clustering (default: ${DEFAULT-VALUE} = none).")
  int poolFactor;

  @Option(
      names = "--encode-only",
      description =
          "Encode only and report throughput; write nothing (the baseline for indexing throughput).")
  boolean encodeOnly;

  @Option(
      names = "--first-stage",
      completionCandidates = FirstStageNames.class,
      description =
          "After indexing, build these first stages from the stored token matrices:"
              + " ${COMPLETION-CANDIDATES}, or all (comma-separated).")
  String firstStages;

  @Override
  public Integer call() throws Exception {
    if (index == null && !encodeOnly)
      throw new IllegalArgumentException("--index DIR is required (or --encode-only)");
    if (input == null) {
      if (firstStages == null)
        throw new picocli.CommandLine.ParameterException(
            spec.commandLine(),
            "Missing required option: '--input=<input>' (it may be left out only with"
                + " --first-stage, to add first stages to an existing index)");
      buildFirstStages();
      return 0;
    }
    int code = indexInput();
    if (firstStages != null) buildFirstStages();
    return code;
  }

  private void buildFirstStages() throws Exception {
    dev.latte.searcher.firststage.FirstStages.build(
        index,
        dev.latte.searcher.firststage.FirstStages.parse(firstStages),
        false,
        Common::progressBar,
        System.out,
        dev.latte.encoders.BundledModel.resolve(model));
  }

  private int indexInput() throws Exception {
    int t = threads == null ? Common.CORES : threads;
    CorpusSource source = CorpusSource.of(input);
    long total = source.count();
    try (OnnxTokenEncoder encoder = Common.encoder(model, t);
        Stream<Document> docs = source.documents().get()) {
      long t0 = System.nanoTime();
      IndexProgress progress = Common.progressBar(encodeOnly ? "Encoding" : "Indexing");
      progress.start(total);
      if (encodeOnly) {
        AtomicLong tokens = new AtomicLong();
        long n =
            new EncodingPipeline(encoder, t, batchSize)
                .run(docs, (d, e) -> tokens.addAndGet(e.length()), progress);
        progress.close();
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf(
            Locale.ROOT,
            "Encoded %,d documents (%,d tokens) in %.1f s: %.1f docs/s, %.0f tokens/s (%s, %d thread(s))%n",
            n,
            tokens.get(),
            secs,
            n / secs,
            tokens.get() / secs,
            encoder.config().name(),
            t);
        return 0;
      }
      try (LatteIndexWriter writer =
          LatteIndexWriter.open(
              index,
              encoder,
              source.file().toString(),
              source.fingerprint(),
              new IndexOptions(TokenCodec.fromName(codec), poolFactor))) {
        long n = writer.addAll(docs, t, batchSize, progress);
        progress.close();
        IndexStats stats = writer.commit();
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf(
            Locale.ROOT,
            "Indexed %,d documents in %.1f s: %.1f docs/s (%s, %d thread(s))%n",
            n,
            secs,
            n / secs,
            encoder.config().name(),
            t);
        System.out.println("Index " + index.toAbsolutePath().normalize() + ": " + stats.describe());
      }
    }
    return 0;
  }
}
