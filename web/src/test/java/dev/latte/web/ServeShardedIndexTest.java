package dev.latte.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.latte.datasets.BeirDataset;
import dev.latte.datasets.Document;
import dev.latte.encoders.WordHashEncoder;
import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.JobState;
import dev.latte.indexer.LatteIndexReaderSupport;
import dev.latte.indexer.LatteIndexWriter;
import dev.latte.indexer.ShardManifest;
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.LatteSearcher;
import dev.latte.searcher.firststage.FirstStages;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./latte serve --index DIR} over a sharded index (the layout the Spark job writes, built
 * here without Spark: ADI split into 3 shards by id hash, XTR derived in each with the parameters
 * trained on the whole collection): searches over HTTP answer as the one index holding every
 * document (BM25 with collection-wide statistics, xtr+maxsim, paging), and writes are refused with
 * 409 {@code read_only} saying why.
 */
class ServeShardedIndexTest {
  // Float32 whatever the default codec: each shard written here trains no codebook of its own
  // (the Spark job shares one; ShardedJobTest covers a residual codec).
  static final dev.latte.indexer.IndexOptions FLOAT32 =
      new dev.latte.indexer.IndexOptions(dev.latte.core.codec.TokenCodec.FLOAT32, 1);
  @TempDir static Path tmp;
  static final WordHashEncoder encoder = new WordHashEncoder("wordhash", 32);
  static final ObjectMapper json = new ObjectMapper();
  static LatteSearcher single;
  static IndexRegistry registry;
  static LatteService server;

  @BeforeAll
  static void start() throws Exception {
    Path adi = Path.of(System.getProperty("latte.shared.dir", "../../shared"), "datasets", "adi");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.isDirectory(adi), "no shared datasets at " + adi);
    List<Document> docs;
    try (var s = BeirDataset.open(adi).corpus()) {
      docs = s.toList();
    }
    Path one = tmp.resolve("one");
    Path sharded = tmp.resolve("sharded");
    writeShards(docs, one, sharded, 3, adi.toString());
    single = new LatteSearcher(LatteIndex.open(one), encoder);
    registry = IndexRegistry.serving(sharded, "sharded", List.of(encoder), 0);
    server =
        new LatteService(registry, new LatteService.Options(null, false, 1 << 20))
            .start("127.0.0.1", 0);
  }

  /**
   * Writes {@code docs} as one index in {@code one} (with XTR) and as {@code n} shards by id hash
   * in {@code sharded}, XTR derived in each with {@code one}'s parameters, and their manifest.
   */
  /** The first stages every shard derives with one's parameters. */
  static final List<String> STAGES = List.of("xtr", "warp");

  static void writeShards(List<Document> docs, Path one, Path sharded, int n, String source)
      throws Exception {
    writeShards(docs, one, sharded, n, source, FLOAT32, false);
  }

  /**
   * As above with {@code options}; {@code packed}: as the Spark job writes shards now — a residual
   * codec's codebook (one's) frozen in every shard and beside the manifest, each shard's WARP
   * packed with the shared codebook ({@code WarpBuilder.packIn}) and its codes moved into the lists
   * (one copy); else WARP derived as live documents.
   */
  static void writeShards(
      List<Document> docs,
      Path one,
      Path sharded,
      int n,
      String source,
      dev.latte.indexer.IndexOptions options,
      boolean packed)
      throws Exception {
    try (LatteIndexWriter w = LatteIndexWriter.open(one, encoder, source, "", options)) {
      w.addAll(docs.stream(), 1, 16, IndexProgress.NONE);
      w.commit();
    }
    FirstStages.build(one, STAGES, false, docCount -> IndexProgress.NONE, System.out);
    List<ShardManifest.Shard> shards = new ArrayList<>();
    // Each stage's trained parameters (not WARP's packed lists, which are one's documents).
    Map<String, List<Path>> paramFiles = new java.util.LinkedHashMap<>();
    for (String stage : STAGES) {
      Path params = FirstStageIndex.dir(sharded, stage);
      Files.createDirectories(params);
      try (var s = Files.list(FirstStageIndex.dir(one, stage))) {
        paramFiles.put(
            stage,
            s.filter(f -> f.getFileName().toString().startsWith("latte_"))
                .filter(f -> !f.getFileName().toString().equals("latte_warp_lists.bin"))
                .filter(
                    f -> !f.getFileName().toString().equals(dev.latte.indexer.lists.WarpRefs.FILE))
                .toList());
      }
      for (Path f : paramFiles.get(stage)) Files.copy(f, params.resolve(f.getFileName()));
    }
    IndexMetadata meta = null;
    for (int i = 0; i < n; i++) {
      int shard = i;
      Path p = sharded.resolve(ShardManifest.shardName(i));
      List<Document> mine =
          docs.stream().filter(d -> ShardManifest.shardOf(d.id(), n) == shard).toList();
      Path book = one.resolve(dev.latte.indexer.ResidualCodebookFile.FILE);
      if (Files.exists(book)) { // the shard codes with one's codebook, frozen
        Files.createDirectories(p);
        Files.copy(book, p.resolve(book.getFileName()));
      }
      try (LatteIndexWriter w = LatteIndexWriter.open(p, encoder, source, "", options)) {
        w.startSequencesAt(ShardManifest.firstSeq(i));
        w.addAll(mine.stream(), 1, 16, IndexProgress.NONE);
        w.commit();
      }
      for (String stage : STAGES) {
        Path folder = FirstStageIndex.dir(p, stage);
        Files.createDirectories(folder);
        for (Path f : paramFiles.get(stage)) Files.copy(f, folder.resolve(f.getFileName()));
        try (var dir = FSDirectory.open(p);
            DirectoryReader r = DirectoryReader.open(dir)) {
          meta = LatteIndexReaderSupport.metadataOf(r.getIndexCommit());
          if (packed
              && FirstStages.builders().get(stage)
                  instanceof dev.latte.searcher.firststage.warp.WarpBuilder warp)
            warp.packIn(folder, r, meta, IndexProgress.NONE);
          else
            FirstStageIndex.derive(
                FirstStages.builders().get(stage), folder, r, meta, IndexProgress.NONE);
        }
      }
      if (packed) {
        dev.latte.indexer.lists.TokenCompaction.moveCodesToLists(p);
        if (Files.exists(
            book)) // as the job leaves it: a reference to the codebook beside the manifest
        dev.latte.indexer.ResidualCodebookFile.replaceByReference(
              p, "../" + dev.latte.indexer.ResidualCodebookFile.FILE);
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
                "xtr",
                new ShardManifest.Stage(FirstStages.get("xtr").format().stamp(), Map.of()),
                "warp",
                new ShardManifest.Stage(FirstStages.get("warp").format().stamp(), Map.of())),
            docs.size(),
            JobState.Counters.ZERO,
            codebookBeside(one, sharded));
    Files.writeString(sharded.resolve(ShardManifest.FILE), m.toJson());
  }

  /** One's residual codebook copied beside the manifest, and its SHA-256; null without one. */
  static String codebookBeside(Path one, Path sharded) throws Exception {
    Path book = one.resolve(dev.latte.indexer.ResidualCodebookFile.FILE);
    if (!Files.exists(book)) return null;
    Files.copy(book, sharded.resolve(book.getFileName()));
    return java.util.HexFormat.of()
        .formatHex(
            java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(book)));
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) server.close();
    if (registry != null) registry.close();
    if (single != null) single.close();
  }

  static HttpResponse<String> post(String path, String body) throws Exception {
    return TestHttp.send(server.port(), "POST", path, body, "application/json", null);
  }

  @Test
  void searchesAnswerAsTheOneIndex() throws Exception {
    for (String method : List.of("bm25", "maxsim-exact", "xtr+maxsim", "warp", "warp+maxsim"))
      for (String q :
          List.of("automatic indexing of documents", "citation analysis", "retrieval")) {
        var r =
            post(
                "/v1/indexes/sharded/search",
                "{\"query\": \"" + q + "\", \"k\": 8, \"method\": \"" + method + "\"}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode hits = json.readTree(r.body()).get("hits");
        var expected = single.search(method, q, 8).hits();
        assertEquals(expected.size(), hits.size(), method + " / " + q);
        for (int i = 0; i < expected.size(); i++)
          assertEquals(
              expected.get(i).score(),
              hits.get(i).get("score").floatValue(),
              1e-4,
              method + " / " + q + " rank " + (i + 1));
        JsonNode page =
            json.readTree(
                    post(
                            "/v1/indexes/sharded/search",
                            "{\"query\": \""
                                + q
                                + "\", \"k\": 3, \"from\": 3, \"method\": \""
                                + method
                                + "\"}")
                        .body())
                .get("hits");
        assertEquals(hits.get(3).get("docid"), page.get(0).get("docid"), method + " / " + q);
      }
  }

  @Test
  void writesAreRefusedSayingWhy() throws Exception {
    var r = post("/v1/indexes/sharded/documents", "[{\"id\": \"x\", \"text\": \"t\"}]");
    assertEquals(409, r.statusCode(), r.body());
    assertEquals("read_only", json.readTree(r.body()).get("error").get("type").asText());
    assertTrue(r.body().contains("sharded index"), r.body());
  }
}
