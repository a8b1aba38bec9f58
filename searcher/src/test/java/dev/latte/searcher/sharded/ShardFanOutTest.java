package dev.latte.searcher.sharded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.datasets.Document;
import dev.latte.encoders.WordHashEncoder;
import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.JobState;
import dev.latte.indexer.LatteIndexReaderSupport;
import dev.latte.indexer.LatteIndexWriter;
import dev.latte.indexer.ShardManifest;
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.searcher.Filters;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.LatteSearcher;
import dev.latte.searcher.firststage.FirstStages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.search.Query;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Searching a sharded index's shards in parallel gives what one thread walking all shards gives —
 * same ids in the same order, the same scores (to the kernels' rounding) — for every method (exact
 * MaxSim over all documents and over candidates, BM25 through Lucene's sliced searcher, XTR's
 * per-shard list scans, the hybrids), with and without a filter; and both rank like one index
 * holding every document (same scores, rank by rank). {@link ShardFanOut} itself returns parts in
 * order, rethrows a part's failure, and does not stall a query while its pool is busy.
 */
class ShardFanOutTest {
  // Float32 whatever the default codec: each shard written here trains no codebook of its own
  // (the Spark job shares one; ShardedJobTest covers a residual codec).
  static final dev.latte.indexer.IndexOptions FLOAT32 =
      new dev.latte.indexer.IndexOptions(dev.latte.core.codec.TokenCodec.FLOAT32, 1);
  @TempDir static Path tmp;
  static final WordHashEncoder encoder = new WordHashEncoder("wordhash", 32);
  static final int SHARDS = 4;
  static LatteSearcher single, sequential, parallel;
  static List<String> queries = new ArrayList<>();

  @BeforeAll
  static void build() throws Exception {
    Random rnd = new Random(15);
    String[] words = new String[400];
    for (int i = 0; i < words.length; i++) words[i] = "w" + Integer.toString(i * 7919, 36);
    ObjectMapper json = new ObjectMapper();
    List<Document> docs = new ArrayList<>();
    for (int i = 0; i < 700; i++) {
      StringBuilder t = new StringBuilder();
      int n = 5 + rnd.nextInt(26);
      for (int j = 0; j < n; j++)
        t.append(words[(int) Math.abs(rnd.nextGaussian() * 90) % 400]).append(' ');
      ObjectNode meta = json.createObjectNode().put("year", 2000 + rnd.nextInt(10));
      docs.add(new Document("d" + i, "", t.toString().trim(), meta));
    }
    for (int i = 0; i < 12; i++) {
      StringBuilder q = new StringBuilder();
      // 4, 12 and 20 words: long queries split XTR's centroid scores over the threads too.
      for (int j = 0; j < 4 + (i % 3) * 8; j++) q.append(words[rnd.nextInt(120)]).append(' ');
      queries.add(q.toString().trim());
    }
    Path one = tmp.resolve("one");
    try (LatteIndexWriter w = LatteIndexWriter.open(one, encoder, "synthetic", "", FLOAT32)) {
      w.addAll(docs.stream(), 1, 16, IndexProgress.NONE);
      w.commit();
    }
    FirstStages.build(one, List.of("xtr"), false, n -> IndexProgress.NONE, System.out);
    Path sharded = tmp.resolve("sharded");
    List<Path> params;
    try (var s = Files.list(FirstStageIndex.dir(one, "xtr"))) {
      params = s.filter(f -> f.getFileName().toString().startsWith("latte_")).toList();
    }
    Files.createDirectories(FirstStageIndex.dir(sharded, "xtr"));
    for (Path f : params)
      Files.copy(f, FirstStageIndex.dir(sharded, "xtr").resolve(f.getFileName()));
    List<ShardManifest.Shard> shards = new ArrayList<>();
    IndexMetadata meta = null;
    for (int i = 0; i < SHARDS; i++) {
      int shard = i;
      Path p = sharded.resolve(ShardManifest.shardName(i));
      List<Document> mine =
          docs.stream().filter(d -> ShardManifest.shardOf(d.id(), SHARDS) == shard).toList();
      try (LatteIndexWriter w = LatteIndexWriter.open(p, encoder, "synthetic", "", FLOAT32)) {
        w.startSequencesAt(ShardManifest.firstSeq(i));
        // Two commits: a shard of two segments, so shards and leaves differ.
        int half = mine.size() / 2;
        w.addAll(mine.subList(0, half).stream(), 1, 16, IndexProgress.NONE);
        w.commit();
        w.addAll(mine.subList(half, mine.size()).stream(), 1, 16, IndexProgress.NONE);
        w.commit();
      }
      Path folder = FirstStageIndex.dir(p, "xtr");
      Files.createDirectories(folder);
      for (Path f : params) Files.copy(f, folder.resolve(f.getFileName()));
      try (var dir = FSDirectory.open(p);
          DirectoryReader r = DirectoryReader.open(dir)) {
        meta = LatteIndexReaderSupport.metadataOf(r.getIndexCommit());
        FirstStageIndex.derive(
            FirstStages.builders().get("xtr"), folder, r, meta, IndexProgress.NONE);
      }
      shards.add(
          new ShardManifest.Shard(
              ShardManifest.shardName(i), mine.size(), 0, ShardManifest.firstSeq(i)));
    }
    ShardManifest m =
        new ShardManifest(
            ShardManifest.LAYOUT_VERSION,
            "test",
            meta,
            shards,
            Map.of(
                "xtr", new ShardManifest.Stage(FirstStages.get("xtr").format().stamp(), Map.of())),
            docs.size(),
            JobState.Counters.ZERO);
    Files.writeString(sharded.resolve(ShardManifest.FILE), m.toJson());
    single = new LatteSearcher(LatteIndex.open(one), encoder);
    sequential = new LatteSearcher(ShardedIndex.open(sharded, 1), encoder);
    parallel = new LatteSearcher(ShardedIndex.open(sharded, 3), encoder);
  }

  @AfterAll
  static void close() throws IOException {
    for (LatteSearcher s : new LatteSearcher[] {single, sequential, parallel})
      if (s != null) s.close();
  }

  static final List<String> METHODS =
      List.of(
          "bm25",
          "maxsim-exact",
          "bm25+maxsim",
          "hybrid-rrf",
          "hybrid-linear",
          "maxsim-idf",
          "xtr",
          "xtr+maxsim",
          "hybrid-xtr");

  static final List<String> EXHAUSTIVE = List.of("bm25", "maxsim-exact", "maxsim-idf");

  @Test
  void parallelShardsEqualOneThreadAndOneIndex() throws IOException {
    assertEquals(3, parallel.index().fanOut().threads());
    assertEquals(1, sequential.index().fanOut().threads());
    Query[] filters = {
      null, Filters.parse("{\"range\": {\"year\": {\"gte\": 2003, \"lt\": 2007}}}")
    };
    int compared = 0, idsCompared = 0;
    for (String method : METHODS)
      for (Query filter : filters)
        for (String q : queries) {
          var a = sequential.search(method, q, 10, filter, false).hits();
          var b = parallel.search(method, q, 10, filter, false).hits();
          var c = single.search(method, q, 10, filter, false).hits();
          String what = method + " / " + q + " / filter " + filter;
          assertEquals(a.size(), b.size(), what);
          assertEquals(a.size(), c.size(), what);
          for (int i = 0; i < a.size(); i++) {
            // Not bit for bit: the SIMD kernels' lane reductions may round differently once
            // compiled, whichever thread runs them; so two documents tied to that rounding may
            // come in either order (seen once: xtr, d39 and d692 at ranks 1 and 2). Where a
            // document's score is apart from its neighbours', its rank must be the same.
            assertEquals(a.get(i).score(), b.get(i).score(), 1e-5f, what + " rank " + i);
            if (!tiedWithNeighbour(a, i)) {
              assertEquals(a.get(i).docid(), b.get(i).docid(), what + " rank " + i);
              idsCompared++;
            }
            // This encoder's word vectors tie often; where a method cuts candidates or fuses
            // ranks, ties break by document order, which one index and its shards do not share
            // (ShardedJobTest compares every method with a tie-free encoder). Methods that rank
            // every document by its own score match one index rank by rank.
            if (EXHAUSTIVE.contains(method))
              assertEquals(c.get(i).score(), b.get(i).score(), 1e-4f, what + " rank " + i);
          }
          compared += a.size();
        }
    assertTrue(compared > METHODS.size() * queries.size() * 10, "results compared: " + compared);
    assertTrue(idsCompared > compared / 2, "ids compared rank by rank: " + idsCompared);
  }

  /** Whether hit {@code i}'s score is within the kernels' rounding of the hit before or after. */
  static boolean tiedWithNeighbour(List<LatteSearcher.Hit> hits, int i) {
    float s = hits.get(i).score();
    return (i > 0 && Math.abs(hits.get(i - 1).score() - s) <= 1e-5f)
        || (i + 1 < hits.size() && Math.abs(hits.get(i + 1).score() - s) <= 1e-5f);
  }

  @Test
  void partsComeBackInOrderAndFailuresAreRethrown() throws IOException {
    try (ShardFanOut fan = ShardFanOut.of(3)) {
      assertEquals(List.of(0, 10, 20, 30, 40, 50, 60), fan.map(7, i -> i * 10));
      IOException e =
          assertThrows(
              IOException.class,
              () ->
                  fan.map(
                      5,
                      i -> {
                        if (i == 3) throw new IOException("part 3 failed");
                        return i;
                      }));
      assertEquals("part 3 failed", e.getMessage());
      assertThrows(
          IllegalStateException.class,
          () ->
              fan.map(
                  2,
                  i -> {
                    throw new IllegalStateException("boom");
                  }));
    }
    assertThrows(IllegalArgumentException.class, () -> ShardFanOut.of(0));
  }

  @Test
  void aBusyPoolDoesNotStallAQuery() throws Exception {
    try (ShardFanOut fan = ShardFanOut.of(2)) {
      CountDownLatch release = new CountDownLatch(1);
      CountDownLatch blocking = new CountDownLatch(1);
      // Occupy the one pooled thread with another query's part that waits.
      Thread other =
          Thread.ofPlatform()
              .start(
                  () -> {
                    try {
                      fan.map(
                          2,
                          i -> {
                            try {
                              if (Thread.currentThread().getName().startsWith("latte-shard")) {
                                blocking.countDown();
                                release.await();
                              } else {
                                blocking.await(); // until the pooled thread took the other part
                              }
                            } catch (InterruptedException e) {
                              Thread.currentThread().interrupt();
                            }
                            return i;
                          });
                    } catch (IOException e) {
                      throw new java.io.UncheckedIOException(e);
                    }
                  });
      blocking.await();
      AtomicInteger ran = new AtomicInteger();
      // The pool is busy: this query's own thread runs all its parts.
      assertEquals(List.of(0, 1, 2, 3), fan.map(4, i -> ran.incrementAndGet() > 0 ? i : -1));
      assertEquals(4, ran.get());
      release.countDown();
      other.join();
    }
  }
}
