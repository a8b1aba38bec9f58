package dev.latte.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.latte.datasets.corpus.Corpus;
import dev.latte.datasets.corpus.FieldMapping;
import dev.latte.indexer.EncodingPipeline;
import dev.latte.indexer.IndexJob;
import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.JobState;
import dev.latte.indexer.LatteIndexReaderSupport;
import dev.latte.indexer.LatteIndexWriter;
import dev.latte.indexer.ShardManifest;
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.indexer.lists.TokenCompaction;
import dev.latte.searcher.LatteSearcher;
import dev.latte.searcher.firststage.FirstStages;
import dev.latte.searcher.firststage.warp.WarpBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.FSDirectory;

/**
 * The single index the Spark job's shards are compared with, built as {@code ./latte index} builds
 * one (its job, then its first stages, WARP packed and compacted) with the job's trained
 * parameters, and the comparisons.
 */
final class SingleIndexReference {
  private SingleIndexReference() {}

  /**
   * {@code ./latte index}'s job over {@code docs} into {@code out} ({@link ContextHashEncoder} on
   * {@code threads} encoding threads); its counters. A residual codebook already in {@code out} is
   * the one it codes with.
   */
  static JobState.Counters index(Path docs, Path out, int threads, IndexOptions options)
      throws Exception {
    try (ContextHashEncoder encoder = new ContextHashEncoder();
        LatteIndexWriter writer =
            LatteIndexWriter.open(out, encoder, docs.toString(), "", options)) {
      Corpus corpus = Corpus.open(docs.toString(), null, FieldMapping.DEFAULT);
      return new IndexJob(
              corpus,
              corpus.fingerprint(),
              writer,
              new EncodingPipeline(encoder, threads, 32),
              Map.of(),
              IndexJob.Options.DEFAULT,
              false,
              out)
          .run(IndexProgress.NONE)
          .state()
          .counters();
    }
  }

  /**
   * Copies the sharded index's stage parameters into {@code single} and builds the stages with them
   * as {@code ./latte index --first-stage} builds them with its own: WARP packed into lists ({@link
   * WarpBuilder#packIn}, the packing of {@code buildIn} without its training), the others derived;
   * then the codes the lists hold leave the main index, as after a build.
   */
  static void deriveWithParameters(Path shardedIndex, Path single, List<String> stages)
      throws Exception {
    try (var dir = FSDirectory.open(single);
        DirectoryReader reader = DirectoryReader.open(dir)) {
      IndexMetadata meta = LatteIndexReaderSupport.metadataOf(reader.getIndexCommit());
      for (String stage : stages) {
        Path from = FirstStageIndex.dir(shardedIndex, stage);
        Path to = FirstStageIndex.dir(single, stage);
        Files.createDirectories(to);
        if (Files.isDirectory(from))
          try (var files = Files.list(from)) {
            for (Path f : files.toList()) Files.copy(f, to.resolve(f.getFileName()));
          }
        if (FirstStages.builders().get(stage) instanceof WarpBuilder warp)
          warp.packIn(to, reader, meta, IndexProgress.NONE);
        else
          FirstStageIndex.derive(
              FirstStages.builders().get(stage), to, reader, meta, IndexProgress.NONE);
      }
    }
    TokenCompaction.moveCodesToLists(single);
  }

  /**
   * Every shard's WARP stage is packed (lists file, no derived documents with codes) and, for a
   * residual codec, holds the only copy of its main index's codes (refs written, nothing left to
   * move, the main commit marked).
   */
  static void assertPackedShards(Path shardedIndex, boolean residual) throws Exception {
    for (ShardManifest.Shard s : ShardManifest.read(shardedIndex).shards()) {
      Path shard = shardedIndex.resolve(s.name());
      Path warp = FirstStageIndex.dir(shard, WarpBuilder.NAME);
      assertTrue(Files.isRegularFile(warp.resolve(WarpBuilder.LISTS_FILE)), s.name());
      try (var dir = FSDirectory.open(warp);
          DirectoryReader stage = DirectoryReader.open(dir)) {
        for (var leaf : stage.leaves())
          assertEquals(null, leaf.reader().getBinaryDocValues(WarpBuilder.TAIL), s.name());
      }
      assertEquals(
          residual, Files.isRegularFile(warp.resolve(dev.latte.indexer.lists.WarpRefs.FILE)));
      try (var dir = FSDirectory.open(shard);
          DirectoryReader main = DirectoryReader.open(dir)) {
        assertEquals(
            residual,
            TokenCompaction.keepsCodesInLists(main.getIndexCommit().getUserData()),
            s.name());
        var plan = TokenCompaction.plan(main, shard);
        assertEquals(List.of(), plan.moves(), s.name());
        assertEquals(0, plan.kept(), s.name());
      }
    }
  }

  /** Same scores rank by rank (1e-4), same ids except among tied scores; else why not. */
  static void same(
      String method,
      String q,
      LatteSearcher.SearchResponse a,
      LatteSearcher.SearchResponse b,
      List<String> differ) {
    String what = method + " / " + q;
    if (a.hits().isEmpty()) differ.add(what + ": no hits");
    if (a.hits().size() != b.hits().size()) {
      differ.add(what + ": " + a.hits().size() + " vs " + b.hits().size() + " hits");
      return;
    }
    for (int i = 0; i < Math.min(10, a.hits().size()); i++) {
      var x = a.hits().get(i);
      var y = b.hits().get(i);
      if (Math.abs(x.score() - y.score()) > 1e-4) {
        differ.add(what + " rank " + (i + 1) + ": score " + x.score() + " vs " + y.score());
        return;
      }
      if (!x.docid().equals(y.docid())) {
        boolean tied =
            (i > 0 && Math.abs(a.hits().get(i - 1).score() - x.score()) < 1e-5)
                || (i + 1 < a.hits().size()
                    && Math.abs(a.hits().get(i + 1).score() - x.score()) < 1e-5);
        if (!tied) {
          differ.add(what + " rank " + (i + 1) + ": " + x.docid() + " vs " + y.docid());
          return;
        }
      }
    }
  }
}
