package dev.latte.spark;

import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.JobState;
import dev.latte.indexer.ModelIdentity;
import dev.latte.indexer.ResidualCodebookFile;
import dev.latte.indexer.ShardManifest;
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.searcher.firststage.FirstStages;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The Spark job that writes a sharded Latte index: {@code spark-submit --class
 * dev.latte.spark.LatteSparkJob latte-spark.jar --input PATH --output DIR [--model DIR|default]
 * [--shards N] [index options]}. Stages: read the input (Spark's sources or Latte's readers, {@link
 * SparkInput}); train the first stages' shared parameters on a sample ({@link SharedParameters});
 * send every record to the shard its id hashes to, in input order, and write each shard as a
 * complete Latte index ({@link ShardWriter}); write the manifest ({@link ShardManifest}) last. The
 * output then opens as one index in {@code ./latte search|eval|serve --index DIR}.
 */
@Command(
    name = "latte-spark",
    mixinStandardHelpOptions = true,
    description = "Index a collection with Spark into a sharded Latte index.")
public final class LatteSparkJob implements Callable<Integer> {
  @Option(
      names = "--input",
      required = true,
      description = "File, folder or glob (any Hadoop FS for jsonl/csv/parquet).")
  String input;

  @Option(
      names = "--output",
      required = true,
      description = "Output folder of the sharded index (any Hadoop FS).")
  String output;

  @Option(
      names = "--format",
      description =
          "jsonl, csv, parquet (Spark's sources) or a Latte format: json, tsv, trec, text, npy.")
  String format;

  @Option(
      names = "--model",
      defaultValue = "default",
      description = "Model folder every node sees, or 'default' (the bundled model).")
  String model;

  @Option(
      names = "--shards",
      defaultValue = "0",
      description = "Shards (default: the job's parallelism).")
  int shards;

  @Option(
      names = "--codec",
      description = "Token codec, as ./latte index's --codec (default: ./latte index's default).")
  String codec;

  @Option(
      names = "--pool-factor",
      description = "Token pooling, as ./latte index's (default: ./latte index's default).")
  Integer poolFactor;

  @Option(names = "--batch-size", defaultValue = "32")
  int batchSize;

  @Option(names = "--on-error", defaultValue = "skip")
  String onError;

  @Option(names = "--id-field")
  String idField;

  @Option(names = "--title-field")
  String titleField;

  @Option(names = "--text-field", split = ",")
  List<String> textFields;

  @Option(names = "--metadata-fields", split = ",")
  List<String> metadataFields;

  @Option(names = "--vectors-field")
  String vectorsField;

  @Option(names = "--ids")
  String ids;

  @Option(names = "--doclens")
  String doclens;

  @Option(names = "--vectors-name", defaultValue = "precomputed")
  String vectorsName;

  @Option(
      names = "--first-stage",
      defaultValue = "warp",
      description =
          "First stages every shard builds with shared parameters: xtr,warp,coil,slim,lucene-stock,"
              + " all (every one but lucene-stock, built only when named) or none (default:"
              + " ${DEFAULT-VALUE}, as ./latte index; coil and slim need an unpooled index).")
  String firstStages;

  @Option(
      names = "--train-fraction",
      defaultValue = "0.1",
      description =
          "Share of the documents (by id hash) the shared parameters are trained on (default: ${DEFAULT-VALUE}).")
  double trainFraction;

  @Option(
      names = "--task-encode-threads",
      hidden = true,
      description =
          "Benchmark hook: encoding threads per shard task (default: the executor's sessions).")
  Integer taskEncodeThreads;

  @Option(
      names = "--fail-shard-once",
      hidden = true,
      description =
          "Test hook SHARD:RECORDS: the first attempt of SHARD fails after RECORDS records.")
  String failShardOnce;

  /** What a run did. */
  public record Summary(
      boolean alreadyDone,
      JobState.Counters counters,
      int shards,
      long trainedOn,
      double seconds,
      List<String> problems) {}

  public static void main(String[] args) {
    System.exit(new CommandLine(new LatteSparkJob()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    SparkSession spark = SparkSession.builder().appName("latte-index").getOrCreate();
    try {
      Summary s = run(spark, settings(spark));
      print(s);
      return 0;
    } finally {
      spark.stop();
    }
  }

  /** Parses {@code args} and runs the job on {@code spark} (tests and embedding applications). */
  public static Summary run(SparkSession spark, String... args) throws Exception {
    LatteSparkJob job = new LatteSparkJob();
    new CommandLine(job).parseArgs(args);
    return run(spark, job.settings(spark));
  }

  JobSettings settings(SparkSession spark) {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    var conf = sc.getConf();
    boolean local = sc.master().startsWith("local");
    int taskCpus = conf.getInt("spark.task.cpus", 1);
    int executorCores =
        local ? sc.defaultParallelism() : conf.getInt("spark.executor.cores", taskCpus);
    int n = shards > 0 ? shards : sc.defaultParallelism();
    int failShard = -1;
    long failAfter = -1;
    if (failShardOnce != null) {
      String[] p = failShardOnce.split(":");
      failShard = Integer.parseInt(p[0]);
      failAfter = Long.parseLong(p[1]);
    }
    List<String> stages = firstStages.equals("none") ? List.of() : FirstStages.parse(firstStages);
    if (trainFraction <= 0 || trainFraction > 1)
      throw new IllegalArgumentException("--train-fraction is in (0, 1], not " + trainFraction);
    return new JobSettings(
        input,
        output,
        format,
        model,
        n,
        codec == null ? IndexOptions.NEW_INDEX.codec().cliName() : codec,
        poolFactor == null ? IndexOptions.NEW_INDEX.poolFactor() : poolFactor,
        batchSize,
        Math.max(1, executorCores / taskCpus),
        taskCpus,
        onError.toLowerCase(Locale.ROOT),
        idField,
        titleField,
        textFields,
        metadataFields,
        vectorsField,
        ids,
        doclens,
        vectorsName,
        stages,
        trainFraction,
        failShard,
        failAfter,
        taskEncodeThreads == null
            ? Math.max(1, executorCores / taskCpus)
            : Math.max(1, taskEncodeThreads));
  }

  static Summary run(SparkSession spark, JobSettings s) throws Exception {
    long t0 = System.nanoTime();
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    s.errorPolicy(); // a bad --on-error fails before any work
    HadoopOutput out = new HadoopOutput(s.output(), sc.hadoopConfiguration());
    JavaRDD<SparkInput.Positioned> records = SparkInput.read(spark, s);
    List<ShardRecord> firstGood =
        records.map(SparkInput.Positioned::record).filter(r -> !r.isBad()).take(1);
    boolean vectors = !firstGood.isEmpty() && firstGood.getFirst().hasVectors();
    int dim = vectors ? firstGood.getFirst().dim() : 0;
    String modelFingerprint =
        vectors
            ? ModelIdentity.precomputed(s.vectorsName(), dim).fingerprint()
            // The executors' own model (same sessions and threads): in local mode the driver is
            // the executor, so the model is loaded once, not once more for its fingerprint.
            : ExecutorModel.get(s.model(), s.sessions(), s.threads()).fingerprint();
    Map<String, String> indexSettings =
        s.indexSettings(SparkInput.sourceOf(s).name().toLowerCase(Locale.ROOT), modelFingerprint);
    // The layout is part of what a job writes: shards an older layout's job left are not "done".
    String job =
        sha256(
            inputFingerprint(s, out)
                + "|"
                + indexSettings
                + "|layout "
                + ShardManifest.LAYOUT_VERSION);

    String existing = out.readIfExists(ShardManifest.FILE);
    if (existing != null) {
      ShardManifest m = ShardManifest.fromJson(existing);
      if (m.layoutVersion() < ShardManifest.LAYOUT_VERSION)
        throw new IllegalArgumentException(
            "output "
                + s.output()
                + " holds a sharded index of layout version "
                + m.layoutVersion()
                + " (an older job's: "
                + ShardManifest.layoutDescription(m.layoutVersion())
                + "); this job writes version "
                + ShardManifest.LAYOUT_VERSION
                + " ("
                + ShardManifest.layoutDescription(ShardManifest.LAYOUT_VERSION)
                + "). Searchers read both: keep serving it, or delete it (or choose another"
                + " --output) to index again");
      if (m.job().equals(job))
        return new Summary(true, m.counters(), m.shards().size(), m.trainedOn(), 0, List.of());
      throw new IllegalArgumentException(
          "output "
              + s.output()
              + " holds the sharded index of another job (other input or settings); choose"
              + " another --output, or delete it to index again");
    }

    SharedParameters params =
        SharedParameters.train(records.map(SparkInput.Positioned::record), s, vectors);
    Broadcast<SharedParameters> shared = sc.broadcast(params);
    ShardWriter.Accumulators acc =
        new ShardWriter.Accumulators(
            sc.sc().longAccumulator("latte documents"),
            sc.sc().longAccumulator("latte tokens"),
            sc.sc().longAccumulator("latte skipped records"));
    ShardWriter writer = new ShardWriter(s, job, indexSettings, vectors, dim, shared, out, acc);
    int n = s.shards();
    JavaPairRDD<ShardKey, ShardRecord> keyed =
        records
            .mapToPair(
                p ->
                    new scala.Tuple2<>(
                        new ShardKey(p.record().shard(n), p.file(), p.index()), p.record()))
            .repartitionAndSortWithinPartitions(new ShardKey.ByShard(n), ShardKey.INPUT_ORDER);
    List<ShardWriter.Result> results =
        new ArrayList<>(keyed.mapPartitionsWithIndex(writer::write, false).collect());
    results.sort(java.util.Comparator.comparingInt(ShardWriter.Result::shard));

    // The shared parameters beside the shards, where searchers read them; the manifest last.
    Map<String, ShardManifest.Stage> stages = new LinkedHashMap<>();
    for (String name : s.firstStages()) {
      Map<String, String> sums = new LinkedHashMap<>();
      for (var e : params.files().getOrDefault(name, Map.of()).entrySet()) {
        out.write(FirstStageIndex.PREFIX + name + "/" + e.getKey(), e.getValue());
        sums.put(e.getKey(), sha256(e.getValue()));
      }
      stages.put(name, new ShardManifest.Stage(FirstStages.get(name).format().stamp(), sums));
    }
    String codebookSum = null;
    if (params.residualCodebook() != null) {
      out.write(ResidualCodebookFile.FILE, params.residualCodebook());
      codebookSum = sha256(params.residualCodebook());
    }
    List<ShardManifest.Shard> shardList = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    JobState.Counters total = JobState.Counters.ZERO;
    for (ShardWriter.Result r : results) {
      JobState.Counters c = r.counters();
      shardList.add(
          new ShardManifest.Shard(
              ShardManifest.shardName(r.shard()), c.indexed(), c.tokens(), r.firstSeq()));
      total = add(total, c);
      problems.addAll(r.problems());
    }
    ShardManifest manifest =
        new ShardManifest(
            ShardManifest.LAYOUT_VERSION,
            job,
            results.getFirst().metadata(),
            shardList,
            stages,
            params.trainedOn(),
            total,
            codebookSum);
    out.writeAtomically(ShardManifest.FILE, manifest.toJson().getBytes(StandardCharsets.UTF_8));
    out.delete(HadoopOutput.ATTEMPTS);
    return new Summary(
        false, total, n, params.trainedOn(), (System.nanoTime() - t0) / 1e9, problems);
  }

  private static JobState.Counters add(JobState.Counters a, JobState.Counters b) {
    return new JobState.Counters(
        a.read() + b.read(),
        a.indexed() + b.indexed(),
        a.replaced() + b.replaced(),
        a.skippedEmpty() + b.skippedEmpty(),
        a.skippedDuplicate() + b.skippedDuplicate(),
        a.skippedError() + b.skippedError(),
        a.tokens() + b.tokens());
  }

  /** Every input file's path, length and modification time (any Hadoop file system). */
  private static String inputFingerprint(JobSettings s, HadoopOutput out) throws IOException {
    org.apache.hadoop.fs.Path in = new org.apache.hadoop.fs.Path(s.input());
    FileSystem fs = in.getFileSystem(new org.apache.hadoop.conf.Configuration());
    FileStatus[] matched = fs.globStatus(in);
    List<String> parts = new ArrayList<>();
    if (matched != null)
      for (FileStatus st : matched) {
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(st.getPath(), true);
        while (it.hasNext()) {
          LocatedFileStatus f = it.next();
          parts.add(f.getPath() + ":" + f.getLen() + ":" + f.getModificationTime());
        }
      }
    java.util.Collections.sort(parts);
    return String.join("\n", parts);
  }

  static String sha256(String s) {
    return sha256(s.getBytes(StandardCharsets.UTF_8));
  }

  static String sha256(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private void print(Summary s) {
    JobState.Counters c = s.counters();
    if (s.alreadyDone()) {
      System.out.printf(
          Locale.ROOT,
          "This job is already complete (%,d documents in %d shards at %s); nothing to do.%n",
          c.indexed(),
          s.shards(),
          output);
      return;
    }
    System.out.printf(
        Locale.ROOT,
        "Read %,d records: indexed %,d into %d shards, skipped %,d (%,d empty, %,d duplicate id in"
            + " the input, %,d errors); %,d tokens in %.1f s: %.1f docs/s; first stages trained on"
            + " %,d documents%n",
        c.read(),
        c.indexed(),
        s.shards(),
        c.skipped(),
        c.skippedEmpty(),
        c.skippedDuplicate(),
        c.skippedError(),
        c.tokens(),
        s.seconds(),
        c.indexed() / Math.max(1e-9, s.seconds()),
        s.trainedOn());
    for (String p : s.problems().subList(0, Math.min(20, s.problems().size())))
      System.out.println("  skipped " + p);
    System.out.println(
        "Sharded index " + output + ": search it with ./latte search --index " + output);
  }
}
