package dev.latte.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.latte.datasets.BeirDataset;
import dev.latte.encoders.BundledModel;
import dev.latte.encoders.OnnxTokenEncoder;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.LatteIndexWriter;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.LatteSearcher;
import dev.latte.searcher.firststage.FirstStages;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code ./latte serve --index DIR}: the whole HTTP API, read-only, over one index built offline (a
 * real ADI index with an offline-built XTR first stage), on loopback; and the first slice's {@code
 * POST /v1/search} route on it.
 */
class ServeOneIndexTest {
  @TempDir static Path tmp;
  static OnnxTokenEncoder encoder;
  static LatteSearcher searcher;
  static IndexRegistry registry;
  static LatteService server;
  static final HttpClient http = HttpClient.newHttpClient();
  static final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    Path adi = Path.of(System.getProperty("latte.shared.dir", "../../shared"), "datasets", "adi");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.isDirectory(adi), "no shared datasets at " + adi);
    encoder = OnnxTokenEncoder.load(BundledModel.folder(), 2, 1);
    Path index = tmp.resolve("index");
    try (LatteIndexWriter w = LatteIndexWriter.open(index, encoder, adi.toString());
        var docs = BeirDataset.open(adi).corpus()) {
      w.addAll(docs, 2, 16, IndexProgress.NONE);
      w.commit();
    }
    FirstStages.build(index, List.of("xtr"), false, n -> IndexProgress.NONE, System.out);
    searcher = new LatteSearcher(LatteIndex.open(index), encoder);
    registry = IndexRegistry.serving(index, "adi", List.of(encoder), 0);
    server =
        new LatteService(registry, new LatteService.Options(null, false, 1 << 20))
            .start("127.0.0.1", 0);
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) server.close();
    if (registry != null) registry.close();
    if (searcher != null) searcher.close();
    if (encoder != null) encoder.close();
  }

  static HttpResponse<String> send(String method, String path, String body) throws Exception {
    return TestHttp.send(server.port(), method, path, body, "application/json", null);
  }

  static HttpResponse<String> post(String path, String body) throws Exception {
    return send("POST", path, body);
  }

  static HttpResponse<String> get(String path) throws Exception {
    return TestHttp.send(server.port(), "GET", path, null, null, null);
  }

  @Test
  void searchReturnsRankedHitsWithStoredFields() throws Exception {
    var r = post("/v1/search", "{\"query\": \"automatic indexing of documents\", \"k\": 3}");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode body = json.readTree(r.body());
    JsonNode hits = body.get("hits");
    assertEquals(3, hits.size());
    for (int i = 0; i < 3; i++) {
      JsonNode h = hits.get(i);
      assertEquals(i + 1, h.get("rank").asInt());
      assertFalse(h.get("docid").asText().isEmpty());
      assertTrue(h.get("text").asText().length() > 0);
      assertTrue(h.has("title"));
      assertFalse(h.has("explain"), "no explanation unless asked: " + h);
      if (i > 0) assertTrue(hits.get(i - 1).get("score").asDouble() >= h.get("score").asDouble());
    }
    assertTrue(body.get("took_ms").asDouble() > 0);
    assertEquals("maxsim-exact", body.get("method").asText());
    // Same answer as the library.
    var direct = searcher.search("maxsim-exact", "automatic indexing of documents", 3);
    assertEquals(direct.hits().getFirst().docid(), hits.get(0).get("docid").asText());
    assertEquals(direct.hits().getFirst().score(), hits.get(0).get("score").floatValue(), 1e-6);
  }

  @Test
  void explainAttachesTokenMatchesToEveryHit() throws Exception {
    var r =
        post(
            "/v1/search",
            "{\"query\": \"automatic indexing of documents\", \"k\": 3, \"explain\": true}");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode hits = json.readTree(r.body()).get("hits");
    assertEquals(3, hits.size());
    int spans = 0;
    for (JsonNode h : hits) {
      JsonNode e = h.get("explain");
      assertTrue(e != null && e.isObject(), h.toString());
      assertEquals(h.get("score").asDouble(), e.get("score").asDouble(), 1e-4);
      JsonNode matches = e.get("matches");
      assertTrue(matches.isArray() && !matches.isEmpty(), e.toString());
      double sum = 0;
      for (JsonNode m : matches) {
        for (String f :
            new String[] {
              "query_token",
              "doc_token",
              "field",
              "start",
              "end",
              "similarity",
              "query_row",
              "doc_row"
            }) assertTrue(m.has(f), f + " in " + m);
        sum += m.get("similarity").asDouble();
        if (m.get("start").asInt() >= 0) {
          spans++;
          String field = h.get(m.get("field").asText()).asText();
          String piece = field.substring(m.get("start").asInt(), m.get("end").asInt());
          assertEquals(m.get("doc_token").asText().replaceFirst("^##", ""), piece.toLowerCase());
        }
      }
      assertEquals(e.get("score").asDouble(), sum, 1e-3);
    }
    assertTrue(spans > 0, r.body());
    // explain false is the default shape.
    r = post("/v1/search", "{\"query\": \"citation\", \"k\": 2, \"explain\": false}");
    assertEquals(200, r.statusCode(), r.body());
    for (JsonNode h : json.readTree(r.body()).get("hits")) assertFalse(h.has("explain"));
    // Any method can be explained; BM25 hits are explained by MaxSim.
    r =
        post(
            "/v1/search",
            "{\"query\": \"citation indexing\", \"k\": 2, \"method\": \"bm25\", \"explain\": true}");
    assertEquals(200, r.statusCode(), r.body());
    for (JsonNode h : json.readTree(r.body()).get("hits")) assertTrue(h.has("explain"));
  }

  @Test
  void defaultsAndBm25() throws Exception {
    var r = post("/v1/search", "{\"query\": \"citation indexing\", \"method\": \"bm25\"}");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode body = json.readTree(r.body());
    assertEquals("bm25", body.get("method").asText());
    assertTrue(body.get("hits").size() <= 10 && body.get("hits").size() > 0);
  }

  @Test
  void healthAndStatsReportTheIndex() throws Exception {
    var r = get("/v1/health");
    assertEquals(200, r.statusCode());
    JsonNode body = json.readTree(r.body());
    assertEquals("ok", body.get("status").asText());
    assertEquals(1, body.get("indexes").asInt());
    JsonNode stats = json.readTree(get("/v1/indexes/adi").body());
    assertEquals(82, stats.get("documents").asInt());
    assertTrue(stats.get("read_only").asBoolean(), stats.toString());
    assertEquals(
        "ready", stats.get("first_stages").get("xtr").get("state").asText(), stats.toString());
    assertEquals(1, stats.get("first_stages").size(), stats.toString());
  }

  @Test
  void theWholeSearchApiAndThePageServeTheIndex() throws Exception {
    String q = "automatic indexing of documents";
    // The first slice's route and the per-index route give the same answer.
    JsonNode legacy =
        json.readTree(post("/v1/search", "{\"query\": \"" + q + "\", \"k\": 5}").body());
    JsonNode named =
        json.readTree(
            post("/v1/indexes/adi/search", "{\"query\": \"" + q + "\", \"k\": 5}").body());
    assertEquals(legacy.get("hits"), named.get("hits"));
    // The first stage built offline is served, and xtr+maxsim rescoring gives exact scores.
    var r =
        post(
            "/v1/indexes/adi/search",
            "{\"query\": \"" + q + "\", \"k\": 5, \"method\": \"xtr+maxsim\"}");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode xtr = json.readTree(r.body());
    var exact = searcher.search("maxsim-exact", q, 5);
    assertEquals(exact.hits().getFirst().docid(), xtr.get("hits").get(0).get("docid").asText());
    assertEquals(
        exact.hits().getFirst().score(), xtr.get("hits").get(0).get("score").floatValue(), 1e-4);
    // Paging and batches.
    JsonNode page2 =
        json.readTree(
            post("/v1/indexes/adi/search", "{\"query\": \"" + q + "\", \"k\": 2, \"from\": 2}")
                .body());
    assertEquals(named.get("hits").get(2).get("docid"), page2.get("hits").get(0).get("docid"));
    r =
        post(
            "/v1/indexes/adi/search/batch",
            "{\"searches\": [{\"query\": \"" + q + "\", \"k\": 5}]}");
    assertEquals(200, r.statusCode(), r.body());
    // The page.
    r = get("/");
    assertEquals(200, r.statusCode());
    assertTrue(r.body().contains("<html"), r.body().substring(0, Math.min(200, r.body().length())));
  }

  @Test
  void writesAndIndexChangesAreRefusedAndChangeNothing() throws Exception {
    var r = post("/v1/indexes/adi/documents", "[{\"id\": \"x\", \"text\": \"t\"}]");
    assertEquals(409, r.statusCode(), r.body());
    assertEquals("read_only", json.readTree(r.body()).get("error").get("type").asText());
    assertTrue(r.body().contains("--data"), r.body());
    r = send("DELETE", "/v1/indexes/adi/documents/1", null);
    assertEquals(409, r.statusCode(), r.body());
    r = post("/v1/indexes", "{\"name\": \"other\"}");
    assertEquals(409, r.statusCode(), r.body());
    assertEquals("fixed_index", json.readTree(r.body()).get("error").get("type").asText());
    r = send("DELETE", "/v1/indexes/adi", null);
    assertEquals(409, r.statusCode(), r.body());
    assertEquals(82, json.readTree(get("/v1/indexes/adi").body()).get("documents").asInt());
    assertEquals(List.of("adi"), registry.names());
  }

  @Test
  void anythingButAnIndexIsAClearError() throws Exception {
    var e =
        org.junit.jupiter.api.Assertions.assertThrows(
            dev.latte.indexer.IndexMismatchException.class,
            () -> IndexRegistry.serving(tmp.resolve("nothing"), "x", List.of(encoder), 0));
    assertTrue(e.getMessage().contains("./latte index"), e.getMessage());
    Files.createDirectories(tmp.resolve("empty"));
    e =
        org.junit.jupiter.api.Assertions.assertThrows(
            dev.latte.indexer.IndexMismatchException.class,
            () -> IndexRegistry.serving(tmp.resolve("empty"), "x", List.of(encoder), 0));
    assertTrue(e.getMessage().contains("no Latte index"), e.getMessage());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "broken json | {\"query\": | invalid_json",
        "not an object | [1, 2] | invalid_request",
        "missing query | {\"k\": 3} | \"query\" must be a string",
        "query not a string | {\"query\": 42} | \"query\" must be a string",
        "blank query | {\"query\": \"  \"} | must not be blank",
        "k zero | {\"query\": \"x\", \"k\": 0} | \"k\" must be an integer",
        "k string | {\"query\": \"x\", \"k\": \"ten\"} | \"k\" must be an integer",
        "k fraction | {\"query\": \"x\", \"k\": 2.5} | \"k\" must be an integer",
        "k huge | {\"query\": \"x\", \"k\": 100000000000} | \"k\" must be an integer",
        "unknown method | {\"query\": \"x\", \"method\": \"plaid\"} | \"method\" must be one of",
        "unknown field | {\"query\": \"x\", \"top_k\": 3} | unknown field \"top_k\"",
        "explain string | {\"query\": \"x\", \"explain\": \"yes\"} | \"explain\" must be a boolean",
        "explain number | {\"query\": \"x\", \"explain\": 1} | \"explain\" must be a boolean",
        "empty body | '' | invalid",
      })
  void badRequestsGetA400WithAJsonErrorAndTheServerKeepsServing(
      String name, String body, String expected) throws Exception {
    var r = post("/v1/search", body);
    assertEquals(400, r.statusCode(), name + ": " + r.body());
    JsonNode err = json.readTree(r.body()).get("error");
    assertTrue(
        err.get("message").asText().contains(expected)
            || err.get("type").asText().contains(expected),
        name + ": " + r.body());
    assertFalse(
        r.body().contains("Exception") || r.body().contains("at dev."),
        "no stack traces: " + r.body());
    assertEquals(200, get("/v1/health").statusCode());
  }

  @Test
  void oversizedQueryUnknownRouteAndWrongVerb() throws Exception {
    var r =
        post(
            "/v1/search", "{\"query\": \"" + "a".repeat(SearchRequest.MAX_QUERY_CHARS + 1) + "\"}");
    assertEquals(400, r.statusCode());
    assertTrue(r.body().contains("limit"), r.body());
    r = get("/v1/nope");
    assertEquals(404, r.statusCode());
    assertTrue(json.readTree(r.body()).has("error"), r.body());
    r = get("/v1/search");
    assertTrue(r.statusCode() == 404 || r.statusCode() == 405, r.statusCode() + " " + r.body());
    assertTrue(json.readTree(r.body()).has("error"), r.body());
    r = post("/v1/search", "{\"query\": \"" + "a".repeat((1 << 20) + 10) + "\"}");
    assertTrue(
        r.statusCode() == 413 || r.statusCode() == 400,
        r.statusCode() + " " + r.body().substring(0, Math.min(200, r.body().length())));
    assertEquals(200, get("/v1/health").statusCode());
  }
}
