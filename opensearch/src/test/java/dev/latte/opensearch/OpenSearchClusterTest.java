package dev.latte.opensearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.TokenCodec;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.datasets.Document;
import dev.latte.datasets.Query;
import dev.latte.datasets.corpus.Corpus;
import dev.latte.datasets.corpus.FieldMapping;
import dev.latte.encoders.WordHashEncoder;
import dev.latte.indexer.EncodingPipeline;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.ResidualCodebookFile;
import dev.latte.indexer.pooling.TokenPooler;
import dev.latte.indexer.sink.OpenSearchBulkClient;
import dev.latte.indexer.sink.OpenSearchSinkJob;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.opensearch.env.Environment;
import org.opensearch.test.OpenSearchIntegTestCase.ClusterScope;
import org.opensearch.test.OpenSearchIntegTestCase.Scope;

/**
 * The plugin on an in-process cluster of two data nodes (index: 2 shards, 1 replica), driven over
 * real HTTP (Netty): a SciFact subset goes in through {@code _bulk} and every answer is compared
 * with Latte standalone on the same token matrices — exact MaxSim, BM25 + MaxSim rescoring, filters
 * — then a data node is stopped and the whole cluster restarted, losing nothing.
 */
@ClusterScope(scope = Scope.SUITE, numDataNodes = 2, numClientNodes = 0)
public class OpenSearchClusterTest extends ClusterTestBase {
  static final int DOCS = 300;
  static final int QUERIES = 15;
  static final String INDEX = "scifact";
  static StandaloneReference reference;

  @BeforeClass
  public static void standalone() throws Exception {
    reference = new StandaloneReference(createTempDir(), DOCS, QUERIES);
  }

  @AfterClass
  public static void closeStandalone() throws IOException {
    if (reference != null) reference.close();
    reference = null;
  }

  static void createIndex(String name, String codec) throws IOException {
    String mapping =
        """
        {"settings": {"number_of_shards": 2, "number_of_replicas": 1},
         "mappings": {"properties": {
           "text": {"type": "text", "analyzer": "english"},
           "group": {"type": "integer"},
           "tokens": {"type": "latte_tokens", "dims": %s, "codec": "%s"}}}}
        """
            .formatted(Integer.toString(reference.dim), codec);
    call("PUT", "/" + name, mapping);
  }

  /**
   * Sends every reference document through {@code _bulk} and refreshes; the matrices as JSON rows,
   * or with {@code stored} as base64 of Latte's float32 stored layout.
   */
  static void bulkLoad(String index, boolean stored) throws IOException {
    bulkLoad(index, stored, reference);
  }

  static void bulkLoad(String index, boolean stored, StandaloneReference reference)
      throws IOException {
    StringBuilder body = new StringBuilder();
    int n = 0;
    for (Map.Entry<String, TokenMatrix> e : reference.matrices.entrySet()) {
      Document d = reference.documents.get(e.getKey());
      ObjectNode action = StandaloneReference.JSON.createObjectNode();
      action.putObject("index").put("_index", index).put("_id", d.id());
      ObjectNode source = StandaloneReference.JSON.createObjectNode();
      source.put("text", d.contents());
      source.put("group", d.metadata().get("group").asInt());
      if (stored) {
        byte[] bytes = TokenCodec.FLOAT32.encode(e.getValue());
        source.put("tokens", Base64.getEncoder().encodeToString(bytes));
      } else {
        source.set("tokens", rows(e.getValue()));
      }
      body.append(json(action)).append('\n').append(json(source)).append('\n');
      if (++n % 100 == 0 || n == reference.matrices.size()) {
        JsonNode r = call("POST", "/_bulk", body.toString());
        assertFalse("bulk errors: " + r, r.get("errors").asBoolean());
        body.setLength(0);
      }
    }
    call("POST", "/" + index + "/_refresh", null);
  }

  static ObjectNode maxSimQuery(TokenMatrix q) {
    ObjectNode body = StandaloneReference.JSON.createObjectNode();
    body.put("field", "tokens").set("query_vectors", rows(q));
    ObjectNode query = StandaloneReference.JSON.createObjectNode();
    query.set(LatteMaxSimQueryBuilder.NAME, body);
    return query;
  }

  // ---------------------------------------------------------------- tests

  public void testExactRescoreAndFilteredMaxSimEqualStandalone() throws Exception {
    createIndex(INDEX, "float32");
    ensureGreen(INDEX);
    bulkLoad(INDEX, false);
    assertEquals(DOCS, call("GET", "/" + INDEX + "/_count", null).get("count").asInt());
    int rescoredDifferentlyFromExact = 0;
    for (Query q : reference.queries) {
      TokenMatrix qv = reference.queryVectors(q);

      ObjectNode exact = StandaloneReference.JSON.createObjectNode().put("size", K);
      exact.set("query", maxSimQuery(qv));
      List<StandaloneReference.Hit> exactHits =
          hits(call("POST", "/" + INDEX + "/_search", json(exact)));
      assertSameRanking("exact " + q.id(), reference.search("maxsim-exact", q, K, null), exactHits);

      // BM25 first stage, MaxSim rescore of a window covering every match (Latte's default depth
      // 1000 > the subset): the final scores are MaxSim alone, as in bm25+maxsim.
      ObjectNode rescore = StandaloneReference.JSON.createObjectNode().put("size", K);
      rescore.putObject("query").putObject("match").put("text", q.text());
      ObjectNode r = rescore.putObject("rescore").put("window_size", 1000).putObject("query");
      r.set("rescore_query", maxSimQuery(qv));
      r.put("query_weight", 0.0).put("rescore_query_weight", 1.0);
      List<StandaloneReference.Hit> rescored =
          hits(call("POST", "/" + INDEX + "/_search", json(rescore)));
      assertSameRanking(
          "bm25+maxsim " + q.id(), reference.search("bm25+maxsim", q, K, null), rescored);
      if (!rescored.equals(exactHits)) rescoredDifferentlyFromExact++;

      // Any filter around it: only group-1 documents, ranked by MaxSim.
      ObjectNode filtered = StandaloneReference.JSON.createObjectNode().put("size", K);
      ObjectNode bool = filtered.putObject("query").putObject("bool");
      bool.putArray("must").add(maxSimQuery(qv));
      bool.putArray("filter").addObject().putObject("term").put("group", 1);
      List<StandaloneReference.Hit> filteredHits =
          hits(call("POST", "/" + INDEX + "/_search", json(filtered)));
      assertSameRanking(
          "filtered " + q.id(),
          reference.search("maxsim-exact", q, K, "{\"term\": {\"group\": 1}}"),
          filteredHits);
      for (StandaloneReference.Hit h : filteredHits) {
        assertEquals(1, reference.documents.get(h.id()).metadata().get("group").asInt());
      }
    }
    // The rescoring comparison means something only if BM25's candidates change some answers.
    assertTrue("BM25 + rescore never differed from exact MaxSim", rescoredDifferentlyFromExact > 0);
  }

  static ObjectNode xtrQuery(TokenMatrix q, int maxsimDepth) {
    ObjectNode query = StandaloneReference.JSON.createObjectNode();
    ObjectNode body = query.putObject(LatteXtrQueryBuilder.NAME);
    body.put("field", "tokens").put("maxsim_depth", maxsimDepth).set("query_vectors", rows(q));
    return query;
  }

  public void testXtrFirstStageOnShardListsEqualsStandalone() throws Exception {
    // Latte trains and freezes the centroids; every node gets the file in its config dir.
    Path centroids = reference.buildXtr();
    for (String node : internalCluster().getNodeNames()) {
      Path dir =
          internalCluster()
              .getInstance(Environment.class, node)
              .configDir()
              .resolve(XtrLists.FOLDER)
              .resolve("scifact-xtr");
      Files.createDirectories(dir);
      Files.copy(
          centroids, dir.resolve(centroids.getFileName()), StandardCopyOption.REPLACE_EXISTING);
    }
    String mapping =
        """
        {"settings": {"number_of_shards": %d, "number_of_replicas": 1},
         "mappings": {"properties": {
           "text": {"type": "text", "analyzer": "english"},
           "group": {"type": "integer"},
           "tokens": {"type": "latte_tokens", "dims": %d, "xtr_centroids": "%s"}}}}
        """;
    call("PUT", "/xtr1", String.format(Locale.ROOT, mapping, 1, reference.dim, "scifact-xtr"));
    call("PUT", "/xtr2", String.format(Locale.ROOT, mapping, 2, reference.dim, "scifact-xtr"));
    ensureGreen("xtr1", "xtr2");
    bulkLoad("xtr1", false);
    bulkLoad("xtr2", true);
    int twoShardsSame = 0;
    for (Query q : reference.queries) {
      TokenMatrix qv = reference.queryVectors(q);
      // One shard holds what the standalone index holds: the same lists, cut-offs and scores.
      ObjectNode xtr = StandaloneReference.JSON.createObjectNode().put("size", K);
      xtr.set("query", xtrQuery(qv, 0));
      assertSameRanking(
          "xtr " + q.id(),
          reference.search("xtr", q, K, null),
          hits(call("POST", "/xtr1/_search", json(xtr))));
      ObjectNode rescored = StandaloneReference.JSON.createObjectNode().put("size", K);
      rescored.set("query", xtrQuery(qv, 100));
      List<StandaloneReference.Hit> expected = reference.search("xtr+maxsim", q, K, null);
      assertSameRanking(
          "xtr+maxsim " + q.id(), expected, hits(call("POST", "/xtr1/_search", json(rescored))));
      // A filter inside latte_xtr restricts retrieval itself, as standalone's filtered XTR does.
      ObjectNode filtered = StandaloneReference.JSON.createObjectNode().put("size", K);
      ObjectNode fq = xtrQuery(qv, 100);
      ((ObjectNode) fq.get(LatteXtrQueryBuilder.NAME))
          .putObject("filter")
          .putObject("term")
          .put("group", 1);
      filtered.set("query", fq);
      List<StandaloneReference.Hit> filteredHits =
          hits(call("POST", "/xtr1/_search", json(filtered)));
      assertSameRanking(
          "filtered xtr+maxsim " + q.id(),
          reference.search("xtr+maxsim", q, K, "{\"term\": {\"group\": 1}}"),
          filteredHits);
      for (StandaloneReference.Hit h : filteredHits) {
        assertEquals(1, reference.documents.get(h.id()).metadata().get("group").asInt());
      }
      // Two shards retrieve per shard (own k' and imputation): candidates may differ, but every
      // score is the document's exact MaxSim.
      Map<String, Float> exact = new java.util.HashMap<>();
      for (StandaloneReference.Hit h : reference.search("maxsim-exact", q, DOCS, null)) {
        exact.put(h.id(), h.score());
      }
      List<StandaloneReference.Hit> two = hits(call("POST", "/xtr2/_search", json(rescored)));
      assertEquals(K, two.size());
      for (StandaloneReference.Hit h : two) {
        assertEquals("2 shards " + q.id() + " " + h.id(), exact.get(h.id()), h.score(), 1e-4f);
      }
      if (two.equals(expected)) twoShardsSame++;
    }
    logger.info(
        "latte_xtr on 2 shards: same top 10 as standalone xtr+maxsim for {} of {} queries",
        twoShardsSame,
        reference.queries.size());
    // No lists, centroids not installed, centroids of another width: 400s.
    call(
        "PUT",
        "/nolists",
        String.format(Locale.ROOT, mapping, 1, reference.dim, "x")
            .replace(", \"xtr_centroids\": \"x\"", ""));
    ObjectNode onPlain = StandaloneReference.JSON.createObjectNode();
    onPlain.set("query", xtrQuery(reference.queryVectors(reference.queries.get(0)), 0));
    assertEquals(400, status("POST", "/nolists/_search", json(onPlain)));
    assertEquals(
        400,
        status(
            "PUT", "/bad-xtr", String.format(Locale.ROOT, mapping, 1, reference.dim, "missing")));
    assertEquals(
        400, status("PUT", "/bad-xtr", String.format(Locale.ROOT, mapping, 1, 8, "scifact-xtr")));
    assertEquals(
        400,
        status("PUT", "/bad-xtr", String.format(Locale.ROOT, mapping, 1, reference.dim, "../etc")));
  }

  public void testResidualFieldScoresAsStandaloneResidualIndex() throws Exception {
    // A residual-2 Latte index trains and freezes its codebook; the nodes get the file.
    try (StandaloneReference residual =
        new StandaloneReference(
            createTempDir(),
            DOCS,
            5,
            new WordHashEncoder("latte-opensearch-test", StandaloneReference.DIM),
            32,
            new IndexOptions(TokenCodec.RESIDUAL_2, 1))) {
      for (String node : internalCluster().getNodeNames()) {
        Path dir =
            internalCluster()
                .getInstance(Environment.class, node)
                .configDir()
                .resolve(ResidualCodebooks.FOLDER)
                .resolve("scifact-r2");
        Files.createDirectories(dir);
        Files.copy(
            residual.dir.resolve(ResidualCodebookFile.FILE),
            dir.resolve(ResidualCodebookFile.FILE),
            StandardCopyOption.REPLACE_EXISTING);
      }
      String mapping =
          """
          {"settings": {"number_of_shards": 2, "number_of_replicas": 1},
           "mappings": {"properties": {
             "text": {"type": "text", "analyzer": "english"},
             "group": {"type": "integer"},
             "tokens": {"type": "latte_tokens", "dims": %s, "codec": "%s"%s}}}}
          """;
      String dims = Integer.toString(residual.dim);
      call(
          "PUT",
          "/r2",
          mapping.formatted(dims, "residual-2", ", \"residual_codebook\": \"scifact-r2\""));
      ensureGreen("r2");
      bulkLoad("r2", false, residual); // float rows in, coded on the node with the codebook
      for (Query q : residual.queries) {
        ObjectNode exact = StandaloneReference.JSON.createObjectNode().put("size", K);
        exact.set("query", maxSimQuery(residual.queryVectors(q)));
        assertSameRanking(
            "residual-2 " + q.id(),
            residual.search("maxsim-exact", q, K, null),
            hits(call("POST", "/r2/_search", json(exact))));
      }
      // No codebook, another codec's codebook, a codebook on a plain codec, not installed: 400s.
      for (String bad :
          List.of(
              mapping.formatted(dims, "residual-2", ""),
              mapping.formatted(dims, "residual-1", ", \"residual_codebook\": \"scifact-r2\""),
              mapping.formatted(dims, "float32", ", \"residual_codebook\": \"scifact-r2\""),
              mapping.formatted("8", "residual-2", ", \"residual_codebook\": \"scifact-r2\""),
              mapping.formatted(dims, "residual-2", ", \"residual_codebook\": \"nope\""))) {
        assertEquals(bad, 400, status("PUT", "/r-bad", bad));
      }
    }
  }

  public void testBadMappingsAndVectorsAreBadRequests() throws Exception {
    String tokens = "{\"mappings\": {\"properties\": {\"t\": %s}}}";
    assertEquals(400, status("PUT", "/bad1", tokens.formatted("{\"type\": \"latte_tokens\"}")));
    assertEquals(
        400, status("PUT", "/bad2", tokens.formatted("{\"type\": \"latte_tokens\", \"dims\": 0}")));
    assertEquals(
        400,
        status(
            "PUT",
            "/bad3",
            tokens.formatted("{\"type\": \"latte_tokens\", \"dims\": 4, \"codec\": \"pq\"}")));
    assertEquals(
        400,
        status(
            "PUT",
            "/bad4",
            tokens.formatted("{\"type\": \"latte_tokens\", \"dims\": 4, \"pool_factor\": 0}")));
    assertEquals(
        200,
        status(
            "PUT",
            "/small",
            tokens.formatted("{\"type\": \"latte_tokens\", \"dims\": 2, \"max_tokens\": 3}")));
    assertEquals(201, status("PUT", "/small/_doc/ok", "{\"t\": [[0.6, 0.8], [1, 0]]}"));
    for (String bad :
        List.of(
            "{\"t\": [[0.6, 0.8, 0.0]]}", // wrong dims
            "{\"t\": [[0.6]]}", // too few
            "{\"t\": [[1e39, 0]]}", // not a finite float32
            "{\"t\": [[\"a\", 0]]}", // not a number
            "{\"t\": [0.6, 0.8]}", // not a matrix
            "{\"t\": []}", // no rows
            "{\"t\": [[1,0],[1,0],[1,0],[1,0]]}")) { // over max_tokens
      assertEquals(bad, 400, status("PUT", "/small/_doc/x", bad));
    }
    // Latte's stored layout in base64 (what the bulk sink sends): checked as strictly.
    byte[] stored = TokenCodec.FLOAT32.encode(TokenMatrix.of(new float[][] {{0.8f, 0.6f}}));
    String b64 = Base64.getEncoder().encodeToString(stored);
    assertEquals(201, status("PUT", "/small/_doc/stored", "{\"t\": \"" + b64 + "\"}"));
    byte[] nan = TokenCodec.FLOAT32.encode(TokenMatrix.of(new float[][] {{Float.NaN, 0f}}));
    byte[] wide = TokenCodec.FLOAT32.encode(TokenMatrix.of(new float[][] {{1f, 0f, 0f}}));
    for (byte[] bad : List.of(nan, wide, Arrays.copyOf(stored, stored.length - 1), new byte[3])) {
      String body = "{\"t\": \"" + Base64.getEncoder().encodeToString(bad) + "\"}";
      assertEquals(body, 400, status("PUT", "/small/_doc/x", body));
    }
    // The same in _bulk: the bad item fails with 400, the good one is kept.
    JsonNode bulk =
        call(
            "POST",
            "/_bulk?refresh=true",
            "{\"index\": {\"_index\": \"small\", \"_id\": \"b1\"}}\n{\"t\": [[0, 1]]}\n"
                + "{\"index\": {\"_index\": \"small\", \"_id\": \"b2\"}}\n{\"t\": [[0, 1, 2]]}\n");
    assertEquals(201, bulk.get("items").get(0).get("index").get("status").asInt());
    assertEquals(400, bulk.get("items").get(1).get("index").get("status").asInt());
    assertTrue(
        bulk.get("items").get(1).get("index").get("error").toString(),
        bulk.get("items").get(1).get("index").get("error").toString().contains("dims 2"));
    call("POST", "/small/_refresh", null); // the bulk's refresh covers only the shards it wrote
    assertEquals(3, call("GET", "/small/_count", null).get("count").asInt());
    // Bad queries: wrong width, not a latte_tokens field, missing vectors.
    String q = "{\"query\": {\"latte_maxsim\": {\"field\": \"%s\", \"query_vectors\": %s}}}";
    assertEquals(400, status("POST", "/small/_search", q.formatted("t", "[[1, 0, 0]]")));
    assertEquals(400, status("POST", "/small/_search", q.formatted("nope", "[[1, 0]]")));
    assertEquals(
        400,
        status("POST", "/small/_search", "{\"query\": {\"latte_maxsim\": {\"field\": \"t\"}}}"));
    // A mapped field's parameters cannot change: stored values would no longer match.
    assertEquals(
        400,
        status(
            "PUT",
            "/small/_mapping",
            "{\"properties\": {\"t\": {\"type\": \"latte_tokens\", \"dims\": 3}}}"));
    JsonNode ok = call("POST", "/small/_search", q.formatted("t", "[[1, 0]]"));
    assertEquals(3, ok.get("hits").get("total").get("value").asInt());
    assertEquals("ok", ok.get("hits").get("hits").get(0).get("_id").asText()); // [1,0] matches 1.0
    assertEquals(1.0, ok.get("hits").get("hits").get(0).get("_score").asDouble(), 1e-6);
  }

  public void testBulkSinkLoadsWhatStandaloneIndexes() throws Exception {
    // ./latte index --sink opensearch's job, with the test's encoder: encode outside the cluster,
    // bulk-load the matrices; it creates the index and its mapping itself.
    Path input = createTempDir().resolve("docs.jsonl");
    StringBuilder jsonl = new StringBuilder();
    for (Document d : reference.documents.values()) {
      ObjectNode o = StandaloneReference.JSON.createObjectNode();
      o.put("_id", d.id()).put("title", d.title()).put("text", d.text());
      o.set("metadata", d.metadata());
      jsonl.append(json(o)).append('\n');
    }
    Files.writeString(input, jsonl);
    OpenSearchSinkJob.Result r;
    try (OpenSearchBulkClient client = new OpenSearchBulkClient(httpUrl(), 5, 100)) {
      r =
          new OpenSearchSinkJob(
                  Corpus.open(input.toString(), null, FieldMapping.DEFAULT),
                  new EncodingPipeline(reference.encoder, 1, 32),
                  client,
                  "sunk",
                  "tokens",
                  TokenCodec.FLOAT32,
                  1,
                  input.resolveSibling("sink-state.json"),
                  Map.of("model", reference.encoder.fingerprint()))
              .run(IndexProgress.NONE);
    }
    assertEquals(DOCS, r.indexed());
    assertEquals(0, r.rejected());
    ensureGreen("sunk");
    assertEquals(DOCS, call("GET", "/sunk/_count", null).get("count").asInt());
    for (Query q : reference.queries.subList(0, 5)) {
      ObjectNode exact = StandaloneReference.JSON.createObjectNode().put("size", K);
      exact.set("query", maxSimQuery(reference.queryVectors(q)));
      assertSameRanking(
          "sunk " + q.id(),
          reference.search("maxsim-exact", q, K, null),
          hits(call("POST", "/sunk/_search", json(exact))));
    }
  }

  public void testPooledFieldStoresLattesWardPooling() throws Exception {
    assertEquals(
        200,
        status(
            "PUT",
            "/pooled",
            "{\"mappings\": {\"properties\": {\"t\": {\"type\": \"latte_tokens\", \"dims\":"
                + " 48, \"pool_factor\": 2, \"codec\": \"float16\"}}}}"));
    TokenMatrix doc = reference.matrices.values().iterator().next();
    ObjectNode source = StandaloneReference.JSON.createObjectNode();
    source.set("t", rows(doc));
    call("PUT", "/pooled/_doc/1?refresh=true", json(source));
    TokenMatrix q = reference.queryVectors(reference.queries.get(0));
    ObjectNode search = StandaloneReference.JSON.createObjectNode();
    ObjectNode m = search.putObject("query").putObject(LatteMaxSimQueryBuilder.NAME);
    m.put("field", "t").set("query_vectors", rows(q));
    float got =
        (float)
            call("POST", "/pooled/_search", json(search))
                .get("hits")
                .get("hits")
                .get(0)
                .get("_score")
                .asDouble();
    // Expected: Latte's pooler, then the float16 codec, scored by the same kernel.
    TokenMatrix pooled = new TokenPooler(2, false).pool(doc);
    assertTrue(pooled.rows() < doc.rows());
    byte[] stored = TokenCodec.FLOAT16.encode(pooled);
    VectorKernel k = VectorKernel.get();
    float expected = k.maxSim(k.prepare(q), TokenCodec.FLOAT16, stored, 8, pooled.rows());
    assertEquals(expected, got, 1e-5f);
    float unpooled = k.maxSim(q, doc);
    assertTrue(
        "pooling changed nothing: " + unpooled + " = " + got, Math.abs(unpooled - got) > 1e-4);
  }

  public void testNodeLossAndFullRestartKeepEveryDocument() throws Exception {
    String index = "durable";
    createIndex(index, "int8");
    ensureGreen(index);
    bulkLoad(index, true); // float32 bytes into an int8 field: re-coded
    Query q = reference.queries.get(0);
    ObjectNode exact = StandaloneReference.JSON.createObjectNode().put("size", K);
    exact.set("query", maxSimQuery(reference.queryVectors(q)));
    List<StandaloneReference.Hit> before =
        hits(call("POST", "/" + index + "/_search", json(exact)));
    assertEquals(K, before.size());

    internalCluster().stopRandomDataNode(); // the replicas of its shards take over
    reconnect();
    ensureYellow(index);
    assertEquals(DOCS, call("GET", "/" + index + "/_count", null).get("count").asInt());
    assertEquals(before, hits(call("POST", "/" + index + "/_search", json(exact))));

    internalCluster().startDataOnlyNode();
    ensureGreen(index);
    internalCluster().fullRestart();
    reconnect();
    ensureGreen(index);
    assertEquals(DOCS, call("GET", "/" + index + "/_count", null).get("count").asInt());
    assertEquals(before, hits(call("POST", "/" + index + "/_search", json(exact))));
  }
}
