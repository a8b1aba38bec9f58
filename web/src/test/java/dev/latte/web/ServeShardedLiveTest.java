package dev.latte.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.latte.datasets.BeirDataset;
import dev.latte.datasets.Document;
import dev.latte.encoders.WordHashEncoder;
import dev.latte.indexer.IndexLayout;
import dev.latte.indexer.ShardManifest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live API on a sharded index served with {@code --data}: added, replaced and deleted documents
 * go to the shard owning their id (the job's murmur3 rule), are in that shard's last commit when
 * the write is acknowledged (what survives a kill -9: the folder is read afresh, as a restarted
 * server reads it), searches of every method see them at once (the first stages kept in step by
 * each shard), metadata updates and filters work, and a restarted server serves it all.
 */
class ServeShardedLiveTest {
  @TempDir Path tmp;
  static final WordHashEncoder encoder = new WordHashEncoder("wordhash", 32);
  static final ObjectMapper json = new ObjectMapper();
  static final int SHARDS = 3;
  Path data;
  Path sharded;
  IndexRegistry registry;
  LatteService server;
  List<Document> docs;

  @BeforeEach
  void start() throws Exception {
    Path adi = Path.of(System.getProperty("latte.shared.dir", "../../shared"), "datasets", "adi");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.isDirectory(adi), "no shared datasets at " + adi);
    try (var s = BeirDataset.open(adi).corpus()) {
      docs = s.toList();
    }
    data = tmp.resolve("data");
    sharded = data.resolve("shards");
    writeShards(docs, tmp.resolve("one"), sharded, adi.toString());
    serve();
  }

  /** The shards this test serves: float32, WARP derived as live documents. */
  void writeShards(List<Document> docs, Path one, Path sharded, String source) throws Exception {
    ServeShardedIndexTest.writeShards(docs, one, sharded, SHARDS, source);
  }

  void serve() throws Exception {
    registry = new IndexRegistry(data, encoder, 1, 16, 0);
    server =
        new LatteService(registry, new LatteService.Options(null, false, 1 << 20))
            .start("127.0.0.1", 0);
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) server.close();
    if (registry != null) registry.close();
  }

  HttpResponse<String> send(String method, String path, String body) throws Exception {
    return TestHttp.send(server.port(), method, path, body, "application/json", null);
  }

  JsonNode search(String method, String query, int k) throws Exception {
    var r =
        send(
            "POST",
            "/v1/indexes/shards/search",
            "{\"query\": \"" + query + "\", \"k\": " + k + ", \"method\": \"" + method + "\"}");
    assertEquals(200, r.statusCode(), r.body());
    return json.readTree(r.body()).get("hits");
  }

  /** How many live documents with {@code id} each shard's last commit holds. */
  int[] committed(String id) throws Exception {
    int[] out = new int[SHARDS];
    for (int i = 0; i < SHARDS; i++)
      try (var dir = FSDirectory.open(sharded.resolve(ShardManifest.shardName(i)));
          DirectoryReader r = DirectoryReader.open(dir)) {
        out[i] = new IndexSearcher(r).count(new TermQuery(new Term(IndexLayout.ID, id)));
      }
    return out;
  }

  static int[] only(int shard) {
    int[] out = new int[SHARDS];
    out[shard] = 1;
    return out;
  }

  @Test
  void writesGoToTheOwningShardDurablyAndSearchesSeeThem() throws Exception {
    var info = json.readTree(send("GET", "/v1/indexes/shards", null).body());
    assertFalse(info.get("read_only").asBoolean(), info.toString());
    assertEquals(docs.size(), info.get("documents").asInt(), info.toString());

    List<String> added = new ArrayList<>();
    StringBuilder body = new StringBuilder("[");
    for (int i = 0; i < 9; i++) {
      String id = "zz-" + i;
      added.add(id);
      body.append(i == 0 ? "" : ",")
          .append("{\"id\": \"")
          .append(id)
          .append("\", \"text\": \"xylophone quasar number ")
          .append(i)
          .append("\", \"metadata\": {\"batch\": \"b")
          .append(i % 2)
          .append("\"}}");
    }
    String replaced = docs.get(4).id();
    body.append(", {\"id\": \"")
        .append(replaced)
        .append("\", \"text\": \"xylophone quasar replaced\"}]");
    var r = send("POST", "/v1/indexes/shards/documents", body.toString());
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(10, json.readTree(r.body()).get("indexed").asInt());

    // Acknowledged: committed in the owning shard and nowhere else.
    java.util.Set<Integer> used = new java.util.HashSet<>();
    for (String id : added) {
      int owner = ShardManifest.shardOf(id, SHARDS);
      used.add(owner);
      assertEquals(
          java.util.Arrays.toString(only(owner)), java.util.Arrays.toString(committed(id)), id);
    }
    assertTrue(used.size() > 1, "the new documents should spread over shards: " + used);
    int owner = ShardManifest.shardOf(replaced, SHARDS);
    assertEquals(
        java.util.Arrays.toString(only(owner)),
        java.util.Arrays.toString(committed(replaced)),
        replaced);

    for (String method : List.of("bm25", "maxsim-exact", "xtr+maxsim", "warp+maxsim")) {
      JsonNode hits = search(method, "xylophone quasar", 10);
      List<String> ids = new ArrayList<>();
      for (JsonNode h : hits) ids.add(h.get("docid").asText());
      assertTrue(ids.containsAll(added) && ids.contains(replaced), method + ": " + ids);
    }
    info = json.readTree(send("GET", "/v1/indexes/shards", null).body());
    assertEquals(docs.size() + 9, info.get("documents").asInt(), info.toString());

    // Delete by id and by filter, update metadata: in the owning shard, seen at once.
    assertEquals(200, send("DELETE", "/v1/indexes/shards/documents/zz-0", null).statusCode());
    assertEquals(
        java.util.Arrays.toString(new int[SHARDS]), java.util.Arrays.toString(committed("zz-0")));
    r =
        send(
            "POST",
            "/v1/indexes/shards/documents/delete",
            "{\"filter\": {\"term\": {\"batch\": \"b1\"}}}");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(4, json.readTree(r.body()).get("deleted").asInt(), r.body());
    r = send("PATCH", "/v1/indexes/shards/documents/zz-2", "{\"metadata\": {\"batch\": \"kept\"}}");
    assertEquals(200, r.statusCode(), r.body());
    List<String> left = new ArrayList<>();
    for (JsonNode h : search("maxsim-exact", "xylophone quasar", 10))
      if (h.get("docid").asText().startsWith("zz-")) left.add(h.get("docid").asText());
    java.util.Collections.sort(left);
    assertEquals(List.of("zz-2", "zz-4", "zz-6", "zz-8"), left);
    r =
        send(
            "POST",
            "/v1/indexes/shards/search",
            "{\"query\": \"xylophone quasar\", \"k\": 10, \"method\": \"xtr+maxsim\","
                + " \"filter\": {\"term\": {\"batch\": \"kept\"}}}");
    JsonNode kept = json.readTree(r.body()).get("hits");
    assertEquals(1, kept.size(), r.body());
    assertEquals("zz-2", kept.get(0).get("docid").asText());

    // A sharded index's first stages are the job's.
    r = send("POST", "/v1/indexes/shards/first-stages", "{\"first_stages\": [\"coil\"]}");
    assertEquals(409, r.statusCode(), r.body());
    assertEquals("sharded", json.readTree(r.body()).get("error").get("type").asText(), r.body());

    // A restarted server reads the same shards.
    stop();
    serve();
    left.clear();
    for (JsonNode h : search("xtr+maxsim", "xylophone quasar", 10))
      if (h.get("docid").asText().startsWith("zz-")) left.add(h.get("docid").asText());
    java.util.Collections.sort(left);
    assertEquals(List.of("zz-2", "zz-4", "zz-6", "zz-8"), left);
    // WARP's per-shard parts: the shards' live-written documents, deletions applied.
    left.clear();
    for (JsonNode h : search("warp+maxsim", "xylophone quasar", 10))
      if (h.get("docid").asText().startsWith("zz-")) left.add(h.get("docid").asText());
    java.util.Collections.sort(left);
    assertEquals(List.of("zz-2", "zz-4", "zz-6", "zz-8"), left);
  }
}
