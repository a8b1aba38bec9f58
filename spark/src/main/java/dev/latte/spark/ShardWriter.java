package dev.latte.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.latte.encoders.TokenEncoder;
import dev.latte.indexer.EncodingPipeline;
import dev.latte.indexer.IndexJob;
import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.JobState;
import dev.latte.indexer.LatteIndexReaderSupport;
import dev.latte.indexer.LatteIndexWriter;
import dev.latte.indexer.ModelIdentity;
import dev.latte.indexer.ResidualCodebookFile;
import dev.latte.indexer.ShardManifest;
import dev.latte.indexer.firststage.FirstStageBuilder;
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.indexer.lists.TokenCompaction;
import dev.latte.searcher.firststage.FirstStages;
import dev.latte.searcher.firststage.warp.WarpBuilder;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.spark.TaskContext;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple2;

/**
 * Writes one shard: runs {@link IndexJob} — the job of {@code ./latte index}, with its counting of
 * empty, duplicate and bad records — over the shard's records in input order into a local folder,
 * derives every first stage with the job's shared parameters (WARP packed into lists as {@code
 * ./latte index} packs it, and the main index's codes moved into them: one copy), then publishes
 * the folder through Hadoop's {@code FileSystem}: copied aside under {@code _attempts/}, then
 * renamed into place, so a failed or killed attempt never leaves half a shard where searchers look,
 * and Spark's retry writes the shard again from scratch. A shard already published by this job (a
 * re-run) is not written again.
 */
final class ShardWriter implements Serializable {
  static final String DONE_FILE = "latte-shard.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * What a shard task reports to the driver, and what its published folder records (the counters
   * and the index metadata as JSON: Latte's records are not {@link Serializable}).
   */
  record Result(
      int shard,
      String job,
      String countersJson,
      long firstSeq,
      String metadataJson,
      List<String> problems)
      implements Serializable {
    static Result of(
        int shard,
        String job,
        JobState.Counters c,
        long firstSeq,
        IndexMetadata m,
        List<String> problems) {
      try {
        return new Result(
            shard, job, JSON.writeValueAsString(c), firstSeq, m.toJson(), List.copyOf(problems));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    JobState.Counters counters() {
      try {
        return JSON.readValue(countersJson, JobState.Counters.class);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    IndexMetadata metadata() {
      return IndexMetadata.fromJson(metadataJson);
    }
  }

  /** Spark's counters, visible in its UI while the job runs. */
  record Accumulators(LongAccumulator documents, LongAccumulator tokens, LongAccumulator skipped)
      implements Serializable {}

  private final JobSettings settings;
  private final String job;
  private final Map<String, String> indexSettings;
  private final boolean vectors;
  private final int vectorDim;
  private final org.apache.spark.broadcast.Broadcast<SharedParameters> params;
  private final HadoopOutput output;
  private final Accumulators counters;

  ShardWriter(
      JobSettings settings,
      String job,
      Map<String, String> indexSettings,
      boolean vectors,
      int vectorDim,
      org.apache.spark.broadcast.Broadcast<SharedParameters> params,
      HadoopOutput output,
      Accumulators counters) {
    this.settings = settings;
    this.job = job;
    this.indexSettings = Map.copyOf(indexSettings);
    this.vectors = vectors;
    this.vectorDim = vectorDim;
    this.params = params;
    this.output = output;
    this.counters = counters;
  }

  Iterator<Result> write(int shard, Iterator<Tuple2<ShardKey, ShardRecord>> records)
      throws Exception {
    String name = ShardManifest.shardName(shard);
    Result done = output.readShardResult(name);
    if (done != null && done.job().equals(job)) return List.of(done).iterator();
    TaskContext task = TaskContext.get();
    Path work =
        Files.createTempDirectory(
            "latte-" + name + "-" + (task == null ? 0 : task.taskAttemptId()) + "-");
    try {
      Path index = work.resolve(name);
      Result r = writeLocally(shard, index, records, task);
      output.publish(name, index, JSON.writeValueAsBytes(r), task);
      return List.of(r).iterator();
    } finally {
      dev.latte.core.FileTrees.deleteRecursively(work);
    }
  }

  private Result writeLocally(
      int shard, Path index, Iterator<Tuple2<ShardKey, ShardRecord>> records, TaskContext task)
      throws Exception {
    boolean failing = settings.failShard() == shard && (task == null || task.attemptNumber() == 0);
    IndexJob.RecordSource source =
        new IndexJob.RecordSource() {
          @Override
          public String input() {
            return settings.input();
          }

          @Override
          public IndexJob.Records records(long from) {
            return new IndexJob.Records() {
              long ordinal;

              @Override
              public boolean hasNext() {
                if (failing && ordinal >= settings.failAfter())
                  throw new IllegalStateException(
                      "failure injected into the first attempt of shard " + shard + " (test)");
                return records.hasNext();
              }

              @Override
              public dev.latte.datasets.corpus.SourceRecord next() {
                return records.next()._2().toSource(ordinal++);
              }

              @Override
              public void close() {}
            };
          }
        };
    TokenEncoder encoder =
        vectors
            ? null
            : ExecutorModel.get(settings.model(), settings.sessions(), settings.threads());
    IndexJob.Result r;
    IndexProgress progress =
        new IndexProgress() {
          @Override
          public void start(long total) {}

          @Override
          public void advance(long documents) {
            counters.documents().add(documents);
          }
        };
    // A residual codec codes with the job's codebook, frozen: the writer finds it in the folder.
    params.value().writeCodebookTo(index);
    try (LatteIndexWriter writer =
        vectors
            ? LatteIndexWriter.openForEncoded(
                index,
                ModelIdentity.precomputed(settings.vectorsName(), vectorDim),
                settings.input(),
                job,
                settings.indexOptions())
            : LatteIndexWriter.open(
                index, encoder, settings.input(), job, settings.indexOptions())) {
      writer.startSequencesAt(ShardManifest.firstSeq(shard));
      IndexJob indexJob =
          new IndexJob(
              source,
              job,
              writer,
              // As many encoding threads as the executor has sessions: the model's session pool
              // bounds the executor's concurrency, so while a shard's task runs alone (the other
              // shards done: their sizes differ by the id hash) it encodes on every core.
              new EncodingPipeline(encoder, settings.taskEncodeThreads(), settings.batchSize()),
              indexSettings,
              // One commit at the end: a failed task is retried from scratch, never resumed.
              new IndexJob.Options(1L << 40, Double.MAX_VALUE, settings.errorPolicy()),
              vectors,
              index);
      r = indexJob.run(progress);
    }
    JobState.Counters c = r.state().counters();
    counters.tokens().add(c.tokens());
    counters.skipped().add(c.skipped());
    IndexMetadata meta;
    try (Directory dir = FSDirectory.open(index);
        DirectoryReader reader = DirectoryReader.open(dir)) {
      meta = LatteIndexReaderSupport.metadataOf(reader.getIndexCommit());
      Map<String, FirstStageBuilder> builders =
          FirstStages.builders(SharedParameters.modelFolder(settings));
      for (String stage : settings.firstStages()) {
        Path folder = FirstStageIndex.dir(index, stage);
        params.value().writeTo(stage, folder);
        // WARP as ./latte index builds it: packed lists (the stored codes copied, with refs), not
        // documents re-coded one by one; with the job's codebook instead of one trained here.
        if (builders.get(stage) instanceof WarpBuilder warp)
          warp.packIn(folder, reader, meta, IndexProgress.NONE);
        else FirstStageIndex.derive(builders.get(stage), folder, reader, meta, IndexProgress.NONE);
      }
    }
    // One copy of the tokens, as ./latte index leaves it: the codes the lists hold leave the
    // shard's
    // main index (nothing to do without WARP refs: another codec, or no WARP stage).
    TokenCompaction.moveCodesToLists(index);
    // The job's codebook lies once, beside the manifest; the shard names it (checked by its
    // fingerprint on every read) instead of holding a copy.
    if (params.value().residualCodebook() != null)
      ResidualCodebookFile.replaceByReference(index, "../" + ResidualCodebookFile.FILE);
    List<String> problems = new ArrayList<>();
    for (JobState.Problem p : r.problems()) {
      if (problems.size() >= 20) break;
      problems.add(p.toString());
    }
    return Result.of(shard, job, c, ShardManifest.firstSeq(shard), meta, problems);
  }
}
