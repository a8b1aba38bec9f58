package dev.latte.spark.bench;

import dev.latte.datasets.corpus.Corpus;
import dev.latte.datasets.corpus.FieldMapping;
import dev.latte.encoders.BundledModel;
import dev.latte.encoders.OnnxTokenEncoder;
import dev.latte.indexer.EncodingPipeline;
import dev.latte.indexer.IndexJob;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.JobState;
import dev.latte.indexer.LatteIndexWriter;
import dev.latte.spark.LatteSparkJob;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Measures the Spark job against the single-machine job on the same cores.
 *
 * <ul>
 *   <li>{@code throughput CORPUS.jsonl DOCS WORK_DIR}: the first DOCS records, indexed by {@code
 *       ./latte index}'s job ({@link IndexJob}, bundled model, 2 encoder threads = 2 ONNX sessions
 *       of 1 thread, as {@code --threads 2}) and by the Spark job on {@code local[2]} (2 shards,
 *       one model per executor with 2 sessions of 1 thread, no first stage, float32), back to back,
 *       single first, the Spark job twice: its shard tasks encoding on one thread each, then on as
 *       many as the executor has sessions (the default); documents per second of each and the
 *       ratios. Spark's session start is reported apart.
 *   <li>{@code throughput-defaults CORPUS.jsonl DOCS WORK_DIR}: as {@code throughput}, both sides
 *       at the defaults of a new index (residual-2, pool factor 2, the WARP first stage): {@code
 *       ./latte index}'s job then {@code FirstStages.build} of WARP (packed, compacted), against
 *       the Spark job once (threads = sessions; its sample stage trains the codebook, every shard
 *       packs and compacts its WARP); wall and process CPU seconds of each and both ratios (the CPU
 *       ratio is the one to read on a loaded machine).
 *   <li>{@code synthetic DOCS WORK_DIR SIZES}: DOCS synthetic documents with precomputed vectors (8
 *       tokens x 16 dimensions, short text) written by Spark as Parquet in files of 100,000, then
 *       the job ({@code local[2]}, 2 shards, no first stage, no encoding) over the first SIZES
 *       documents (comma-separated multiples of 100,000): seconds per 100,000 documents.
 * </ul>
 */
public final class SparkJobBenchmark {
  private SparkJobBenchmark() {}

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "throughput" ->
          throughput(Path.of(args[1]), Integer.parseInt(args[2]), Path.of(args[3]));
      case "throughput-defaults" ->
          throughputDefaults(Path.of(args[1]), Integer.parseInt(args[2]), Path.of(args[3]));
      case "synthetic" -> synthetic(Integer.parseInt(args[1]), Path.of(args[2]), args[3]);
      default ->
          throw new IllegalArgumentException(
              "throughput, throughput-defaults or synthetic, not " + args[0]);
    }
  }

  static SparkSession session() {
    return SparkSession.builder()
        .master("local[2]")
        .appName("latte-spark-benchmark")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .getOrCreate();
  }

  static void throughput(Path corpus, int n, Path work) throws Exception {
    Path input = firstDocuments(corpus, n, work);

    Path single = work.resolve("single-" + System.nanoTime());
    long t0 = System.nanoTime();
    long indexed =
        indexJob(input, single, new IndexOptions(dev.latte.core.codec.TokenCodec.FLOAT32, 1), 0)
            .indexed();
    double singleSeconds = (System.nanoTime() - t0) / 1e9;

    // The Spark job twice in one session: shard tasks encoding on one thread each (the layout
    // before), then on as many threads as the executor has sessions (the default).
    long t1 = System.nanoTime();
    SparkSession spark = session();
    double startSeconds = (System.nanoTime() - t1) / 1e9;
    LatteSparkJob.Summary before;
    LatteSparkJob.Summary after;
    try {
      before = sparkJob(spark, input, work, "--task-encode-threads", "1");
      after = sparkJob(spark, input, work);
    } finally {
      spark.stop();
    }
    System.out.printf(
        Locale.ROOT,
        "%d documents, 2 cores: ./latte index job %.1f s = %.2f docs/s; Spark local[2] session"
            + " start %.1f s%n",
        indexed,
        singleSeconds,
        indexed / singleSeconds,
        startSeconds);
    for (var e :
        Map.of("1 encoding thread per shard task", before, "threads = sessions", after).entrySet())
      System.out.printf(
          Locale.ROOT,
          "  Spark job, %s: %.1f s = %.2f docs/s; Spark / single = %.3f%n",
          e.getKey(),
          e.getValue().seconds(),
          e.getValue().counters().indexed() / e.getValue().seconds(),
          singleSeconds / e.getValue().seconds());
  }

  /**
   * The first {@code n} lines of {@code corpus}, written to a JSON-lines file under {@code work}.
   */
  static Path firstDocuments(Path corpus, int n, Path work) throws IOException {
    Files.createDirectories(work);
    Path input = work.resolve("docs-" + n + ".jsonl");
    List<String> lines = new ArrayList<>();
    try (BufferedReader in = Files.newBufferedReader(corpus)) {
      for (String s; lines.size() < n && (s = in.readLine()) != null; ) lines.add(s);
    }
    Files.write(input, lines);
    return input;
  }

  /**
   * {@code ./latte index}'s job over {@code input} into {@code single} (bundled model, 2 encoding
   * threads); {@code expectDocuments} > 0 sizes the codebook as the CLI does.
   */
  static JobState.Counters indexJob(
      Path input, Path single, IndexOptions options, long expectDocuments) throws Exception {
    try (OnnxTokenEncoder encoder = OnnxTokenEncoder.load(BundledModel.resolve("default"), 2, 1);
        LatteIndexWriter writer =
            LatteIndexWriter.open(single, encoder, input.toString(), "", options)) {
      if (expectDocuments > 0) writer.expectDocuments(expectDocuments);
      Corpus c = Corpus.open(input.toString(), null, FieldMapping.DEFAULT);
      return new IndexJob(
              c,
              c.fingerprint(),
              writer,
              new EncodingPipeline(encoder, 2, 32),
              Map.of(),
              IndexJob.Options.DEFAULT,
              false,
              single)
          .run(IndexProgress.NONE)
          .state()
          .counters();
    }
  }

  /** CPU seconds of this process so far (every thread: encoders, Spark's, GC). */
  static double cpuSeconds() {
    return ((com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean())
            .getProcessCpuTime()
        / 1e9;
  }

  static void throughputDefaults(Path corpus, int n, Path work) throws Exception {
    Path input = firstDocuments(corpus, n, work);
    Path single = work.resolve("single-" + System.nanoTime());
    double c0 = cpuSeconds();
    long t0 = System.nanoTime();
    // Sized for the collection, as ./latte index sizes its codebook.
    JobState.Counters counters = indexJob(input, single, IndexOptions.NEW_INDEX, n);
    long indexed = counters.indexed(), singleTokens = counters.tokens();
    dev.latte.searcher.firststage.FirstStages.build(
        single,
        List.of("warp"),
        false,
        name -> IndexProgress.NONE,
        System.out,
        BundledModel.resolve("default"));
    double singleSeconds = (System.nanoTime() - t0) / 1e9, singleCpu = cpuSeconds() - c0;

    long t1 = System.nanoTime();
    SparkSession spark = session();
    double startSeconds = (System.nanoTime() - t1) / 1e9;
    LatteSparkJob.Summary job;
    Path sharded = work.resolve("sharded-" + System.nanoTime());
    double c1 = cpuSeconds();
    try {
      job =
          sparkJob(
              spark,
              input,
              sharded,
              List.of("--codec", "residual-2", "--pool-factor", "2", "--first-stage", "warp"));
    } finally {
      spark.stop();
    }
    double sparkCpu = cpuSeconds() - c1;
    // All in on disk (main index, codebook, WARP lists and refs, BM25 text) per encoded token; the
    // sharded folder holds the codebook once, beside the manifest (the shards reference it).
    System.out.printf(
        Locale.ROOT,
        "  bytes on disk per encoded token, all in: single %.1f, Spark shards %.1f%n",
        dev.latte.core.FileTrees.bytes(single) / (double) singleTokens,
        dev.latte.core.FileTrees.bytes(sharded) / (double) job.counters().tokens());
    System.out.printf(
        Locale.ROOT,
        "%d documents, 2 cores, residual-2 pool 2 + WARP: ./latte index job + WARP build %.1f s"
            + " (CPU %.1f s) = %.2f docs/s; Spark local[2] session start %.1f s%n"
            + "  Spark job (sample stage, 2 shards packed and compacted): %.1f s (CPU %.1f s) ="
            + " %.2f docs/s; Spark / single: wall %.3f, CPU %.3f%n",
        indexed,
        singleSeconds,
        singleCpu,
        indexed / singleSeconds,
        startSeconds,
        job.seconds(),
        sparkCpu,
        job.counters().indexed() / job.seconds(),
        singleSeconds / job.seconds(),
        singleCpu / sparkCpu);
  }

  private static LatteSparkJob.Summary sparkJob(
      SparkSession spark, Path input, Path output, List<String> options) throws Exception {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--input",
                input.toString(),
                "--output",
                output.toString(),
                "--model",
                "default",
                "--shards",
                "2"));
    args.addAll(options);
    return LatteSparkJob.run(spark, args.toArray(String[]::new));
  }

  private static LatteSparkJob.Summary sparkJob(
      SparkSession spark, Path input, Path work, String... extra) throws Exception {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--input",
                input.toString(),
                "--output",
                work.resolve("sharded-" + System.nanoTime()).toString(),
                "--model",
                "default",
                "--shards",
                "2",
                "--codec",
                "float32",
                "--pool-factor",
                "1",
                "--first-stage",
                "none"));
    args.addAll(List.of(extra));
    return LatteSparkJob.run(spark, args.toArray(String[]::new));
  }

  static void synthetic(int n, Path work, String sizes) throws Exception {
    Files.createDirectories(work);
    Path data = work.resolve("synthetic-" + n);
    SparkSession spark = session();
    try {
      if (!Files.isDirectory(data)) {
        long t0 = System.nanoTime();
        StructType schema =
            new StructType()
                .add("_id", DataTypes.StringType)
                .add("text", DataTypes.StringType)
                .add(
                    "vectors",
                    DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.FloatType)));
        Dataset<Row> rows =
            spark
                .range(0, n, 1, Math.max(1, n / 100_000))
                .map(
                    (org.apache.spark.api.java.function.MapFunction<Long, Row>)
                        SparkJobBenchmark::synthetic,
                    Encoders.row(schema));
        rows.write().parquet(data.toString());
        System.out.printf(
            Locale.ROOT,
            "Wrote %,d synthetic documents in %.1f s%n",
            n,
            (System.nanoTime() - t0) / 1e9);
      }
      List<Path> files;
      try (var s = Files.list(data)) {
        files = s.filter(p -> p.getFileName().toString().endsWith(".parquet")).sorted().toList();
      }
      for (String size : sizes.split(",")) {
        int docs = Integer.parseInt(size.trim());
        int parts = docs / 100_000;
        Path input = work.resolve("input-" + docs);
        if (!Files.isDirectory(input)) {
          Files.createDirectories(input);
          for (int i = 0; i < parts; i++)
            Files.createSymbolicLink(input.resolve(files.get(i).getFileName()), files.get(i));
        }
        LatteSparkJob.Summary r =
            LatteSparkJob.run(
                spark,
                "--input",
                input.toString(),
                "--format",
                "parquet",
                "--output",
                work.resolve("sharded-" + docs + "-" + System.nanoTime()).toString(),
                "--shards",
                "2",
                "--codec",
                "float32",
                "--pool-factor",
                "1",
                "--first-stage",
                "none",
                "--vectors-name",
                "synthetic");
        System.out.printf(
            Locale.ROOT,
            "%,d documents (%,d tokens): %.1f s, %.1f s per 100,000 documents%n",
            r.counters().indexed(),
            r.counters().tokens(),
            r.seconds(),
            r.seconds() / (r.counters().indexed() / 100_000.0));
      }
    } finally {
      spark.stop();
    }
  }

  private static Row synthetic(Long i) {
    SplittableRandom rnd = new SplittableRandom(i);
    float[][] v = new float[8][16];
    for (float[] row : v) for (int c = 0; c < row.length; c++) row[c] = (float) rnd.nextGaussian();
    // Spark rows take Scala sequences for array columns.
    List<scala.collection.immutable.Seq<Float>> rows = new ArrayList<>();
    for (float[] row : v) {
      List<Float> r = new ArrayList<>();
      for (float x : row) r.add(x);
      rows.add(scala.jdk.javaapi.CollectionConverters.asScala(r).toList());
    }
    String text = "w" + (i % 1000) + " w" + (i % 777) + " w" + (i % 313) + " doc " + i;
    return RowFactory.create(
        "d" + i, text, scala.jdk.javaapi.CollectionConverters.asScala(rows).toList());
  }
}
