package dev.latte.spark;

import dev.latte.core.codec.TokenCodec;
import dev.latte.datasets.corpus.FieldMapping;
import dev.latte.indexer.IndexJob;
import dev.latte.indexer.IndexOptions;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything a task needs to know about the job, shipped to executors with it: the options of
 * {@code ./latte index} that shape the index, the sharding and the training sample.
 *
 * @param model a model folder every node sees, {@code default} (the bundled model), or {@code
 *     wordhash:DIM} (the model-free word-hash encoder, for tests and benchmarks)
 * @param sessions tasks an executor runs at once: one model per executor, one ONNX session each
 * @param threads encoder threads per task (the cores a task has)
 * @param trainFraction share of the documents (by a hash of their id) the shared first-stage
 *     parameters are trained on
 * @param failShard test hook: the first attempt of this shard fails after {@code failAfter} records
 *     (-1: never)
 * @param taskEncodeThreads encoding threads of one shard task: the executor's sessions, so a task
 *     left running alone encodes on every core (the model's session pool bounds them all); a
 *     benchmark hook sets {@code threads} to measure the one-thread-per-task layout against it
 */
record JobSettings(
    String input,
    String output,
    String format,
    String model,
    int shards,
    String codec,
    int poolFactor,
    int batchSize,
    int sessions,
    int threads,
    String onError,
    String idField,
    String titleField,
    List<String> textFields,
    List<String> metadataFields,
    String vectorsField,
    String ids,
    String doclens,
    String vectorsName,
    List<String> firstStages,
    double trainFraction,
    int failShard,
    long failAfter,
    int taskEncodeThreads)
    implements Serializable {

  FieldMapping mapping() {
    return new FieldMapping(
        idField,
        titleField,
        textFields,
        metadataFields,
        vectorsField,
        null,
        ids == null ? null : Path.of(ids),
        doclens == null ? null : Path.of(doclens));
  }

  IndexOptions indexOptions() {
    return new IndexOptions(TokenCodec.fromName(codec), poolFactor);
  }

  IndexJob.OnError errorPolicy() {
    return switch (onError) {
      case "skip" -> IndexJob.OnError.SKIP;
      case "fail" -> IndexJob.OnError.FAIL;
      default ->
          throw new IllegalArgumentException("--on-error is skip or fail, not '" + onError + "'");
    };
  }

  /**
   * The job settings of each shard's {@link IndexJob}, the keys {@code ./latte index} records, and
   * what identifies this job besides its input.
   */
  Map<String, String> indexSettings(String formatLabel, String modelFingerprint) {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("format", formatLabel);
    s.put("fields", mapping().label());
    s.put("codec", indexOptions().codec().cliName());
    s.put("pool_factor", Integer.toString(poolFactor));
    s.put("batch_size", Integer.toString(batchSize));
    s.put("model", modelFingerprint);
    s.put("shards", Integer.toString(shards));
    s.put("first_stages", String.join(",", firstStages));
    s.put("train_fraction", Double.toString(trainFraction));
    return s;
  }
}
