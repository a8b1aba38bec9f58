package dev.latte.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.datasets.BeirDataset;
import dev.latte.datasets.Document;
import dev.latte.encoders.BundledModel;
import dev.latte.encoders.OnnxTokenEncoder;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.LatteIndexReaderSupport;
import dev.latte.indexer.LatteIndexWriter;
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.LatteSearcher;
import dev.latte.searcher.firststage.FirstStages;
import dev.latte.searcher.firststage.xtr.XtrBuilder;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Live indexes over HTTP ({@link LatteService}, {@link IndexRegistry}) with the bundled model and
 * ADI documents, on loopback.
 *
 * <p>Documents are encoded one per batch here, on the server and for the reference index alike: the
 * bundled int8 model quantizes activations with scales computed over the whole batch, so a
 * document's vectors depend (by up to ~0.05 per component) on its batch companions, and only
 * batch-independent encodings let scores of the two indexes agree to 1e-4.
 */
class LatteServiceTest {
  static final String KEY = "test-key-7f3a";
  static final long BODY_LIMIT = 256 * 1024;
  @TempDir static Path tmp;
  static OnnxTokenEncoder encoder;
  static IndexRegistry registry;
  static LatteService service;
  static List<Document> corpus;
  static List<String> queries;
  static final HttpClient http = HttpClient.newHttpClient();
  static final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    Path adi = Path.of(System.getProperty("latte.shared.dir", "../../shared"), "datasets", "adi");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.isDirectory(adi), "no shared datasets at " + adi);
    BeirDataset ds = BeirDataset.open(adi);
    try (var s = ds.corpus()) {
      corpus = s.toList();
    }
    queries = ds.queries().values().stream().limit(6).map(q -> q.text()).toList();
    encoder = OnnxTokenEncoder.load(BundledModel.folder(), 2, 1);
    registry = new IndexRegistry(tmp.resolve("data"), encoder, 2, 1, 200);
    service =
        new LatteService(registry, new LatteService.Options(KEY, false, BODY_LIMIT))
            .start("127.0.0.1", 0);
  }

  @AfterAll
  static void stop() throws Exception {
    if (service != null) service.close();
    if (registry != null) registry.close();
    if (encoder != null) encoder.close();
  }

  // ---- HTTP helpers

  static HttpResponse<String> send(
      String method, String path, String body, String contentType, String key) throws Exception {
    return send(service.port(), method, path, body, contentType, key);
  }

  static HttpResponse<String> send(
      int port, String method, String path, String body, String contentType, String key)
      throws Exception {
    return TestHttp.send(port, method, path, body, contentType, key);
  }

  static HttpResponse<String> post(String path, String body) throws Exception {
    return send("POST", path, body, "application/json", KEY);
  }

  static HttpResponse<String> get(String path) throws Exception {
    return send("GET", path, null, null, null);
  }

  static JsonNode ok(HttpResponse<String> r, int status) throws Exception {
    return TestHttp.ok(r, status);
  }

  static JsonNode error(HttpResponse<String> r, int status, String type) throws Exception {
    return TestHttp.error(r, status, type);
  }

  static void create(String name) throws Exception {
    ok(post("/v1/indexes", "{\"name\": \"" + name + "\"}"), 201);
  }

  static long documents(String name) throws Exception {
    return ok(get("/v1/indexes/" + name), 200).get("documents").asLong();
  }

  static String docJson(Document d) {
    ObjectNode o = json.createObjectNode().put("id", d.id()).put("text", d.text());
    if (!d.title().isEmpty()) o.put("title", d.title());
    if (d.metadata() != null) o.set("metadata", d.metadata());
    return o.toString();
  }

  static String array(List<Document> docs) {
    return "[" + String.join(",", docs.stream().map(LatteServiceTest::docJson).toList()) + "]";
  }

  record Ranked(String id, float score) {}

  static List<Ranked> searchHttp(String index, String method, String query, int k)
      throws Exception {
    ObjectNode body = json.createObjectNode().put("query", query).put("k", k).put("method", method);
    JsonNode r = ok(post("/v1/indexes/" + index + "/search", body.toString()), 200);
    assertEquals(method, r.get("method").asText());
    List<Ranked> scored = new ArrayList<>();
    for (JsonNode h : r.get("hits"))
      scored.add(new Ranked(h.get("docid").asText(), (float) h.get("score").asDouble()));
    return scored;
  }

  static List<Ranked> searchDirect(LatteSearcher s, String method, String query, int k)
      throws Exception {
    return s.search(method, query, k).hits().stream()
        .map(h -> new Ranked(h.docid(), h.score()))
        .toList();
  }

  /**
   * Same scores rank by rank, and every shared id with the same score; ids may differ only between
   * documents whose scores tie within the tolerance (their order follows Lucene doc ids, which
   * differ between the two indexes).
   */
  static void assertSameRanking(String label, List<Ranked> expected, List<Ranked> actual) {
    assertEquals(expected.size(), actual.size(), label + " " + expected + " vs " + actual);
    Map<String, Float> exp = new HashMap<>();
    for (Ranked r : expected) exp.put(r.id(), r.score());
    int sameId = 0;
    for (int i = 0; i < expected.size(); i++) {
      assertEquals(expected.get(i).score(), actual.get(i).score(), 1e-4, label + " rank " + i);
      Ranked a = actual.get(i);
      if (a.id().equals(expected.get(i).id())) sameId++;
      Float e = exp.get(a.id());
      if (e != null) {
        assertEquals(e, a.score(), 1e-4, label + " " + a.id());
      } else {
        // Only a tie at the cut can swap a document in.
        assertEquals(expected.getLast().score(), a.score(), 1e-4, label + " extra " + a.id());
      }
    }
    assertTrue(sameId >= expected.size() - 2, label + " " + expected + " vs " + actual);
  }

  // ---- the live index against a fresh build

  @Test
  void randomWritesLeaveTheSameIndexAsAFreshBuild() throws Exception {
    // Every first stage, trained in the background once 12 documents are in, then kept in step.
    randomWritesAgainstAFreshBuild(
        "live", IndexOptions.DEFAULT, FirstStages.builders().keySet(), 60, 20260811L);
    // An index that does not maintain a first stage: a clear 409 saying how to add it.
    create("plain");
    ok(post("/v1/indexes/plain/documents", array(corpus.subList(0, 3))), 200);
    var e =
        error(
            post("/v1/indexes/plain/search", "{\"query\": \"indexing\", \"method\": \"xtr\"}"),
            409,
            "first_stage_unavailable");
    assertTrue(e.get("message").asText().contains("/v1/indexes/plain/first-stages"), e.toString());
    assertFalse(e.get("message").asText().contains(tmp.toString()), "no paths: " + e);
  }

  @Test
  void randomWritesOnAPooledInt8IndexLeaveTheSameIndexAsAFreshBuild() throws Exception {
    // COIL and SLIM need every row's word piece, which pooled indexes do not keep.
    randomWritesAgainstAFreshBuild(
        "live-int8-pooled",
        new IndexOptions(dev.latte.core.codec.TokenCodec.INT8, 2),
        List.of("xtr", "lucene-stock"),
        30,
        20261129L);
  }

  @Test
  void pooledIndexesRefuseFirstStagesThatNeedEveryRow() throws Exception {
    var e =
        error(
            post(
                "/v1/indexes",
                "{\"name\": \"pooled-coil\", \"pool_factor\": 2, \"first_stages\": [\"coil\"]}"),
            400,
            "invalid_request");
    assertTrue(e.get("message").asText().contains("pool_factor 2"), e.toString());
    var all =
        ok(
            post(
                "/v1/indexes",
                "{\"name\": \"pooled-all\", \"pool_factor\": 2, \"first_stages\": \"all\"}"),
            201);
    Set<String> listed = new java.util.TreeSet<>();
    all.get("first_stages").fieldNames().forEachRemaining(listed::add);
    // "all": every stage that needs no word pieces, but not the stock baseline (only when named)
    assertEquals(Set.of("warp", "xtr"), listed, all.toString());
  }

  @Test
  void randomWritesOnABinaryIndexLeaveTheSameIndexAsAFreshBuild() throws Exception {
    randomWritesAgainstAFreshBuild(
        "live-bit",
        new IndexOptions(dev.latte.core.codec.TokenCodec.BIT, 1),
        List.of("xtr"),
        30,
        20261130L);
  }

  /**
   * Creates index {@code name} with {@code options} maintaining {@code stages} (trained in the
   * background once 12 documents are in), runs {@code ops} random adds, replaces and deletes over
   * HTTP, and checks every method of the index against a fresh build of the final documents whose
   * first stages are derived with the live index's trained parameters.
   */
  void randomWritesAgainstAFreshBuild(
      String name, IndexOptions options, java.util.Collection<String> stages, int ops, long seed)
      throws Exception {
    ObjectNode settings =
        json.createObjectNode()
            .put("name", name)
            .put("codec", options.codec().cliName())
            .put("pool_factor", options.poolFactor())
            .put("train_after_documents", 12);
    stages.forEach(settings.putArray("first_stages")::add);
    var created = ok(post("/v1/indexes", settings.toString()), 201);
    for (String stage : stages)
      assertEquals(
          "waiting", created.at("/first_stages/" + stage + "/state").asText(), created.toString());
    assertEquals(encoder.config().name(), created.get("model").asText());
    assertEquals(options.codec().cliName(), created.get("codec").asText());
    assertEquals(options.poolFactor(), created.get("pool_factor").asInt());
    assertEquals(0, created.get("documents").asLong());
    String docs = "/v1/indexes/" + name + "/documents";

    Random rnd = new Random(seed);
    Map<String, Document> expected = new LinkedHashMap<>();
    int replacedText = 0, deletedPresent = 0, deletedAbsent = 0, patched = 0, deletedByFilter = 0;
    for (int op = 0; op < ops; op++) {
      // Kinds: 0-3 add, 4-5 replace, 6-7 delete, 8 delete absent, 9 batch delete, 10 metadata
      // patch, 11 delete by filter (each of the last two also forced once).
      int kind =
          expected.size() < 10 ? 0 : op == ops / 3 ? 10 : op == ops / 2 ? 11 : rnd.nextInt(12);
      if (kind < 4) {
        // Add a batch (corpus documents, some maybe present already: replaced by id).
        List<Document> batch = new ArrayList<>();
        int n = 1 + rnd.nextInt(5);
        for (int i = 0; i < n; i++) {
          Document d = corpus.get(rnd.nextInt(corpus.size()));
          if (rnd.nextInt(4) == 0) {
            ObjectNode m = json.createObjectNode().put("op", op).put("lang", "en");
            d = new Document(d.id(), d.title(), d.text(), m);
          }
          batch.add(d);
        }
        HttpResponse<String> r;
        if (rnd.nextBoolean()) {
          r = post(docs, array(batch));
        } else {
          String nd =
              String.join("\n", batch.stream().map(LatteServiceTest::docJson).toList()) + "\n";
          r = send("POST", docs, nd, "application/x-ndjson", KEY);
        }
        Set<String> distinct = new LinkedHashSet<>();
        for (Document d : batch) {
          distinct.add(d.id());
          expected.remove(d.id());
          expected.put(d.id(), d);
        }
        JsonNode b = ok(r, 200);
        assertEquals(distinct.size(), b.get("indexed").asInt(), r.body());
        assertTrue(b.has("took_ms"), r.body());
      } else if (kind < 6) {
        // Replace a present document with changed text (and title).
        List<String> ids = new ArrayList<>(expected.keySet());
        String id = ids.get(rnd.nextInt(ids.size()));
        Document other = corpus.get(rnd.nextInt(corpus.size()));
        Document d =
            new Document(id, "revised " + op, other.text() + " revision " + op + " of " + id);
        ok(post(docs, array(List.of(d))), 200);
        expected.put(id, d);
        replacedText++;
      } else if (kind < 8) {
        List<String> ids = new ArrayList<>(expected.keySet());
        String id = ids.get(rnd.nextInt(ids.size()));
        JsonNode b = ok(send("DELETE", docs + "/" + id, null, null, KEY), 200);
        assertTrue(b.get("deleted").asBoolean(), id);
        expected.remove(id);
        deletedPresent++;
      } else if (kind < 9) {
        String id =
            rnd.nextBoolean()
                ? "absent-" + op
                : corpus.stream()
                    .map(Document::id)
                    .filter(x -> !expected.containsKey(x))
                    .findFirst()
                    .orElse("absent-x");
        JsonNode b = ok(send("DELETE", docs + "/" + id, null, null, KEY), 200);
        assertFalse(b.get("deleted").asBoolean(), id);
        deletedAbsent++;
      } else if (kind == 10) {
        // Metadata change without re-encoding (the document is re-added from its stored bytes).
        List<String> ids = new ArrayList<>(expected.keySet());
        String id = ids.get(rnd.nextInt(ids.size()));
        ObjectNode patch = json.createObjectNode();
        patch.putObject("metadata").put("lang", "fr").put("patched", op);
        ok(send("PATCH", docs + "/" + id, patch.toString(), "application/json", KEY), 200);
        Document d = expected.get(id);
        ObjectNode m = d.metadata() == null ? json.createObjectNode() : d.metadata().deepCopy();
        m.put("lang", "fr").put("patched", op);
        expected.put(id, new Document(d.id(), d.title(), d.text(), m));
        patched++;
      } else if (kind == 11) {
        // Delete by filter: every document whose metadata says lang "en" (maybe none).
        JsonNode b =
            ok(post(docs + "/delete", "{\"filter\": {\"term\": {\"lang\": \"en\"}}}"), 200);
        int matching = (int) expected.values().stream().filter(LatteServiceTest::isEnglish).count();
        assertEquals(matching, b.get("deleted").asInt(), b.toString());
        expected.values().removeIf(LatteServiceTest::isEnglish);
        deletedByFilter++;
      } else {
        // Batch delete: two present ids and one absent.
        List<String> ids = new ArrayList<>(expected.keySet());
        String a = ids.get(rnd.nextInt(ids.size()));
        String b2 = ids.get(rnd.nextInt(ids.size()));
        var body = json.createObjectNode();
        body.putArray("ids").add(a).add(b2).add("never-" + op);
        JsonNode b = ok(post(docs + "/delete", body.toString()), 200);
        int present = a.equals(b2) ? 1 : 2;
        assertEquals(present, b.get("deleted").asInt(), b.toString());
        expected.remove(a);
        expected.remove(b2);
        deletedPresent += present;
      }
      if (op % 10 == 9) {
        // Read-your-writes: every answered write is visible, nothing deleted is.
        assertEquals(expected.size(), documents(name), "after op " + op);
        Set<String> seen = new LinkedHashSet<>();
        for (Ranked r : searchHttp(name, "maxsim-exact", "information retrieval", 1000))
          seen.add(r.id());
        assertEquals(expected.keySet(), seen, "after op " + op);
      }
    }
    assertTrue(
        replacedText > 0
            && deletedPresent > 0
            && deletedAbsent > 0
            && patched > 0
            && deletedByFilter > 0,
        "every kind ran");
    registry.get(name).awaitTraining();
    JsonNode states = ok(get("/v1/indexes/" + name), 200).get("first_stages");
    for (String stage : stages)
      assertEquals("ready", states.at("/" + stage + "/state").asText(), states.toString());
    // The page's default: XTR rescored once XTR answers; before training, a method needing none.
    assertEquals("hybrid-rrf", created.get("default_method").asText(), created.toString());
    assertEquals(
        stages.contains("xtr") ? "xtr+maxsim" : "lucene-stock",
        ok(get("/v1/indexes/" + name), 200).get("default_method").asText());

    // The reference: a fresh index of the final documents, written directly.
    Path ref = tmp.resolve("reference-" + name);
    try (LatteIndexWriter w = LatteIndexWriter.open(ref, encoder, "reference", "", options)) {
      w.addAll(expected.values().stream(), 1, 1, IndexProgress.NONE);
      w.commit();
    }
    // Its first stages derived with the live index's frozen parameters (centroids, projection,
    // vocabulary table): what a rebuild that keeps the trained parameters writes.
    deriveWithParametersOf(registry.get(name).path, ref, stages);
    List<String> firstStageMethods = new ArrayList<>();
    for (String stage : stages)
      firstStageMethods.addAll(
          stage.equals("lucene-stock") ? List.of(stage) : List.of(stage, stage + "+maxsim"));
    if (options.codec() == dev.latte.core.codec.TokenCodec.BIT)
      firstStageMethods.add("maxsim-hamming");
    try (LatteSearcher refSearcher = new LatteSearcher(LatteIndex.open(ref), encoder)) {
      assertEquals(expected.size(), refSearcher.index().stats().documents());
      // MaxSim reads only the live documents' matrices: equal before any merge.
      for (String q : queries)
        assertSameRanking(
            "maxsim-exact unmerged: " + q,
            searchDirect(refSearcher, "maxsim-exact", q, 10),
            searchHttp(name, "maxsim-exact", q, 10));
      // First stages kept in step through every write equal a rebuild with the same parameters.
      for (String method : firstStageMethods)
        for (String q : queries)
          assertSameRanking(
              method + " unmerged: " + q,
              searchDirect(refSearcher, method, q, 10),
              searchHttp(name, method, q, 10));
      // BM25 statistics still count replaced and deleted documents until they are merged away.
      JsonNode m = ok(post("/v1/indexes/" + name + "/merge", "{\"max_segments\": 1}"), 200);
      assertEquals(1, m.get("segments").asInt(), m.toString());
      List<String> methods =
          new ArrayList<>(List.of("maxsim-exact", "bm25", "hybrid-linear", "bm25+maxsim"));
      methods.addAll(firstStageMethods);
      if (stages.contains("xtr")) methods.add("hybrid-xtr");
      for (String method : methods)
        for (String q : queries)
          assertSameRanking(
              method + ": " + q,
              searchDirect(refSearcher, method, q, 10),
              searchHttp(name, method, q, 10));
    }
    JsonNode stats = ok(get("/v1/indexes/" + name), 200);
    assertEquals(expected.size(), stats.get("documents").asLong());
    assertTrue(stats.get("tokens").asLong() > 0 && stats.get("bytes_on_disk").asLong() > 0);
    assertEquals(1, stats.get("segments").asInt());
    boolean listed = false;
    for (JsonNode i : ok(get("/v1/indexes"), 200).get("indexes"))
      listed |= i.get("name").asText().equals(name);
    assertTrue(listed);
  }

  // ---- errors

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "A",
        "Upper",
        "..",
        ".hidden",
        "a.b",
        "a/b",
        "../x",
        "-a",
        "_a",
        "a b",
        "é",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" // 65
      })
  void invalidNamesAreRefusedWithTheRule(String name) throws Exception {
    ObjectNode body = json.createObjectNode().put("name", name);
    var e = error(post("/v1/indexes", body.toString()), 400, "invalid_name");
    assertTrue(e.get("message").asText().contains(IndexRegistry.NAME_RULE), e.toString());
    assertFalse(Files.exists(tmp.resolve("data").resolve("x")));
    try (var s = Files.list(tmp.resolve("data"))) {
      assertTrue(s.noneMatch(p -> p.getFileName().toString().equalsIgnoreCase(name)));
    }
    assertEquals(200, get("/v1/health").statusCode());
  }

  @Test
  void namesInPathsAreValidatedAndTheLongestNameWorks() throws Exception {
    error(get("/v1/indexes/Upper"), 400, "invalid_name");
    error(get("/v1/indexes/a.b/search"), 404, "not_found"); // no such route shape
    error(post("/v1/indexes/a.b/search", "{\"query\": \"x\"}"), 400, "invalid_name");
    error(send("DELETE", "/v1/indexes/a.b", null, null, KEY), 400, "invalid_name");
    String longest = "z".repeat(64);
    create(longest);
    assertEquals(0, documents(longest));
    assertTrue(Files.isDirectory(tmp.resolve("data").resolve(longest)));
    assertTrue(ok(send("DELETE", "/v1/indexes/" + longest, null, null, KEY), 200).has("deleted"));
    assertFalse(Files.exists(tmp.resolve("data").resolve(longest)));
    error(get("/v1/indexes/" + longest), 404, "not_found");
  }

  @Test
  void writesNeedTheKeyAndReadsDoNot() throws Exception {
    create("keyed");
    String doc = "[{\"id\": \"k1\", \"text\": \"citation indexing\"}]";
    error(
        send("POST", "/v1/indexes", "{\"name\": \"nokey\"}", "application/json", null),
        401,
        "unauthorized");
    error(
        send("POST", "/v1/indexes", "{\"name\": \"nokey\"}", "application/json", "wrong"),
        401,
        "unauthorized");
    error(
        send("POST", "/v1/indexes/keyed/documents", doc, "application/json", null),
        401,
        "unauthorized");
    error(
        send("POST", "/v1/indexes/keyed/documents", doc, "application/json", "wrong"),
        401,
        "unauthorized");
    error(send("DELETE", "/v1/indexes/keyed/documents/k1", null, null, null), 401, "unauthorized");
    error(send("DELETE", "/v1/indexes/keyed", null, null, null), 401, "unauthorized");
    error(
        send("POST", "/v1/indexes/keyed/merge", "{}", "application/json", null),
        401,
        "unauthorized");
    // Unauthorised requests learn nothing about which indexes exist.
    error(send("DELETE", "/v1/indexes/nosuch", null, null, null), 401, "unauthorized");
    var r = send("POST", "/v1/indexes", "{\"name\": \"nokey\"}", "application/json", null);
    assertTrue(r.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
    error(get("/v1/indexes/nokey"), 404, "not_found");
    assertEquals(0, documents("keyed"));
    // Reads are open.
    assertEquals(200, get("/v1/indexes").statusCode());
    var s =
        send("POST", "/v1/indexes/keyed/search", "{\"query\": \"x\"}", "application/json", null);
    assertEquals(0, ok(s, 200).get("hits").size());
    // With the key the same write works.
    assertEquals(1, ok(post("/v1/indexes/keyed/documents", doc), 200).get("indexed").asInt());
    assertEquals(1, documents("keyed"));
  }

  @Test
  void readsCanRequireTheKeyToo() throws Exception {
    try (LatteService closed =
        new LatteService(registry, new LatteService.Options(KEY, true, BODY_LIMIT))
            .start("127.0.0.1", 0)) {
      int port = closed.port();
      error(send(port, "GET", "/v1/indexes", null, null, null), 401, "unauthorized");
      error(
          send(
              port, "POST", "/v1/indexes/x/search", "{\"query\": \"q\"}", "application/json", null),
          401,
          "unauthorized");
      assertEquals(200, send(port, "GET", "/v1/indexes", null, null, KEY).statusCode());
      assertEquals(200, send(port, "GET", "/v1/health", null, null, null).statusCode());
    }
  }

  @Test
  void unknownIndexesAre404AndDuplicatesAre409() throws Exception {
    error(get("/v1/indexes/nope"), 404, "not_found");
    error(post("/v1/indexes/nope/search", "{\"query\": \"x\"}"), 404, "not_found");
    error(
        post("/v1/indexes/nope/documents", "[{\"id\": \"a\", \"text\": \"b\"}]"), 404, "not_found");
    error(send("DELETE", "/v1/indexes/nope", null, null, KEY), 404, "not_found");
    error(send("DELETE", "/v1/indexes/nope/documents/a", null, null, KEY), 404, "not_found");
    assertFalse(Files.exists(tmp.resolve("data").resolve("nope")));

    create("twice");
    var e = error(post("/v1/indexes", "{\"name\": \"twice\"}"), 409, "index_exists");
    assertTrue(e.get("message").asText().contains("twice"), e.toString());
    var m =
        error(post("/v1/indexes", "{\"name\": \"other\", \"model\": \"x\"}"), 400, "unknown_model");
    assertTrue(m.get("message").asText().contains(encoder.config().name()), m.toString());
    error(
        post("/v1/indexes", "{\"name\": \"other\", \"codec\": \"float8\"}"),
        400,
        "invalid_request");
    error(post("/v1/indexes", "{\"name\": \"other\", \"pool_factor\": 0}"), 400, "invalid_request");
    error(get("/v1/indexes/other"), 404, "not_found");
    var p =
        ok(
            post("/v1/indexes", "{\"name\": \"pooled\", \"codec\": \"int8\", \"pool_factor\": 2}"),
            201);
    assertEquals("int8", p.get("codec").asText());
    assertEquals(2, p.get("pool_factor").asInt());
    assertEquals(200, get("/v1/health").statusCode());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "broken json | [{\"id\": \"ok-0\", \"text\": | -1 | invalid_json",
        "object not array | {\"id\": \"ok-0\", \"text\": \"x\"} | -1 | JSON array",
        "empty array | [] | -1 | no documents",
        "item not object | [{\"id\": \"ok-0\", \"text\": \"x\"}, 5] | 1 | must be a JSON object",
        "missing id | [{\"id\": \"ok-0\", \"text\": \"x\"}, {\"text\": \"y\"}] | 1 | documents[1].id is required",
        "empty id | [{\"id\": \"\", \"text\": \"x\"}] | 0 | documents[0].id must not be empty",
        "numeric id | [{\"id\": \"ok-0\", \"text\": \"x\"}, {\"id\": 7, \"text\": \"y\"}] | 1 | documents[1].id must be a string",
        "missing text | [{\"id\": \"ok-0\", \"text\": \"x\"}, {\"id\": \"b\"}] | 1 | documents[1].text is required",
        "blank text | [{\"id\": \"ok-0\", \"text\": \"   \"}] | 0 | documents[0].text must not be empty",
        "text number | [{\"id\": \"ok-0\", \"text\": 3}] | 0 | documents[0].text must be a string",
        "title object | [{\"id\": \"ok-0\", \"text\": \"x\", \"title\": {}}] | 0 | documents[0].title must be a string",
        "metadata string | [{\"id\": \"ok-0\", \"text\": \"x\", \"metadata\": \"en\"}] | 0 | documents[0].metadata must be a JSON object",
        "unknown field | [{\"id\": \"ok-0\", \"text\": \"x\"}, {\"id\": \"b\", \"body\": \"x\"}] | 1 | unknown field \"body\"",
        "duplicate key | [{\"id\": \"ok-0\", \"id\": \"ok-1\", \"text\": \"x\"}] | -1 | invalid_json",
      })
  void malformedBatchesAre400AndWriteNothing(String name, String body, int item, String expected)
      throws Exception {
    ensureBatchIndex();
    var r = post("/v1/indexes/batches/documents", body);
    assertEquals(400, r.statusCode(), name + ": " + r.body());
    JsonNode e = json.readTree(r.body()).get("error");
    assertTrue(
        e.get("message").asText().contains(expected) || e.get("type").asText().equals(expected),
        name + ": " + r.body());
    if (item >= 0) assertEquals(item, e.get("item").asInt(), r.body());
    assertBatchIndexUnchanged();
  }

  @Test
  void malformedNdjsonNamesItemAndLine() throws Exception {
    ensureBatchIndex();
    String nd =
        "{\"id\": \"ok-0\", \"text\": \"fine\"}\n\n{\"id\": \"ok-1\", \"text\": \n"
            + "{\"id\": \"ok-2\", \"text\": \"fine\"}\n";
    var r = send("POST", "/v1/indexes/batches/documents", nd, "application/x-ndjson", KEY);
    var e = error(r, 400, "invalid_document");
    assertEquals(1, e.get("item").asInt());
    assertTrue(e.get("message").asText().contains("line 3"), e.toString());
    nd = "{\"id\": \"ok-0\", \"text\": \"fine\"}\n{\"id\": \"ok-1\"}\n";
    e =
        error(
            send("POST", "/v1/indexes/batches/documents", nd, "application/x-ndjson", KEY),
            400,
            "invalid_document");
    assertEquals("text", e.get("field").asText());
    assertBatchIndexUnchanged();
    // A JSON array sent as NDJSON is one line that is not an object.
    error(
        send("POST", "/v1/indexes/batches/documents", "[1]", "application/x-ndjson", KEY),
        400,
        "invalid_document");
    assertBatchIndexUnchanged();
  }

  @Test
  void oversizedBodiesAre413AndTheServerKeepsServing() throws Exception {
    ensureBatchIndex();
    List<Document> many = new ArrayList<>();
    for (int i = 0; i < DocumentBatch.MAX_ITEMS + 1; i++) many.add(new Document("m" + i, "", "t"));
    var tooMany = error(post("/v1/indexes/batches/documents", array(many)), 413, "batch_too_large");
    assertTrue(tooMany.get("message").asText().contains("1001 documents"), tooMany.toString());
    assertBatchIndexUnchanged();
    String big = "[{\"id\": \"ok-big\", \"text\": \"" + "a ".repeat((int) BODY_LIMIT) + "\"}]";
    var r = post("/v1/indexes/batches/documents", big);
    error(r, 413, "body_too_large");
    assertBatchIndexUnchanged();
    error(get("/v1/nowhere"), 404, "not_found");
    assertEquals(200, get("/v1/health").statusCode());
    // The search request rules of /v1/search apply.
    error(
        post("/v1/indexes/batches/search", "{\"query\": \"x\", \"k\": 0}"), 400, "invalid_request");
    error(
        post("/v1/indexes/batches/search", "{\"query\": \"x\", \"method\": \"plaid\"}"),
        400,
        "invalid_request");
    error(
        post("/v1/indexes/batches/search", "{\"query\": \"x\", \"top_k\": 3}"),
        400,
        "invalid_request");
    error(post("/v1/indexes/batches/search", "{\"query\": "), 400, "invalid_json");
    JsonNode hits =
        ok(post("/v1/indexes/batches/search", "{\"query\": \"base\"}"), 200).get("hits");
    assertEquals("base", hits.get(0).get("docid").asText());
  }

  static boolean isEnglish(Document d) {
    return d.metadata() != null && "en".equals(d.metadata().path("lang").asText(null));
  }

  /** Derives {@code stages} of the index at {@code ref} with the parameters of {@code live}'s. */
  static void deriveWithParametersOf(Path live, Path ref, java.util.Collection<String> stages)
      throws Exception {
    try (var reader = org.apache.lucene.index.DirectoryReader.open(FSDirectory.open(ref))) {
      var meta = LatteIndexReaderSupport.metadataOf(reader.getIndexCommit());
      for (String stage : stages) {
        var b = FirstStages.builders().get(stage);
        Path from = FirstStageIndex.dir(live, b.name());
        Path to = FirstStageIndex.dir(ref, b.name());
        FirstStageIndex.deleteFolder(to);
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
          for (Path f : files.toList())
            if (f.getFileName().toString().startsWith("latte_"))
              Files.copy(f, to.resolve(f.getFileName()));
        }
        FirstStageIndex.derive(b, to, reader, meta, IndexProgress.NONE);
      }
    }
  }

  @Test
  void firstStagesAreAddedTrainedFollowWritesAndRemovedOverHttp() throws Exception {
    create("fs");
    error(post("/v1/indexes/fs/first-stages", "{\"first_stages\": [\"xtr\"]}"), 409, "empty_index");
    ok(post("/v1/indexes/fs/documents", array(corpus.subList(20, 30))), 200);
    String xtr = "{\"query\": \"computer programs\", \"method\": \"xtr+maxsim\", \"k\": 50}";
    var e = error(post("/v1/indexes/fs/search", xtr), 409, "first_stage_unavailable");
    assertTrue(e.get("message").asText().contains("does not maintain"), e.toString());
    error(
        post("/v1/indexes/fs/first-stages", "{\"first_stages\": [\"plaid\"]}"),
        400,
        "invalid_request");
    error(
        post("/v1/indexes/fs/first-stages", "{\"first_stages\": \"xtr\"}"), 400, "invalid_request");
    error(
        post("/v1/indexes/fs/first-stages", "{\"first_stages\": [\"xtr\"], \"retrain\": \"yes\"}"),
        400,
        "invalid_request");
    error(
        post("/v1/indexes/fs/first-stages", "{\"train_after_documents\": 0}"),
        400,
        "invalid_request");
    error(
        send(
            "POST",
            "/v1/indexes/fs/first-stages",
            "{\"first_stages\": [\"xtr\"]}",
            "application/json",
            null),
        401,
        "unauthorized");

    JsonNode accepted =
        ok(post("/v1/indexes/fs/first-stages", "{\"first_stages\": [\"xtr\"]}"), 202);
    assertTrue(accepted.has("first_stages"), accepted.toString());
    registry.get("fs").awaitTraining();
    assertEquals("ready", ok(get("/v1/indexes/fs"), 200).at("/first_stages/xtr/state").asText());
    JsonNode before = ok(post("/v1/indexes/fs/search", xtr), 200);
    assertTrue(before.get("hits").size() > 0, before.toString());
    // A write is visible to the first stage as soon as it is answered.
    Document fresh = new Document("fs-new", "", "zebra zebra computer programs for zebras");
    ok(post("/v1/indexes/fs/documents", array(List.of(fresh))), 200);
    Set<String> found = new LinkedHashSet<>();
    for (JsonNode h : ok(post("/v1/indexes/fs/search", xtr), 200).get("hits"))
      found.add(h.get("docid").asText());
    assertTrue(found.contains("fs-new"), found.toString());
    ok(send("DELETE", "/v1/indexes/fs/documents/fs-new", null, null, KEY), 200);
    found.clear();
    for (JsonNode h : ok(post("/v1/indexes/fs/search", xtr), 200).get("hits"))
      found.add(h.get("docid").asText());
    assertFalse(found.contains("fs-new"), found.toString());

    error(send("DELETE", "/v1/indexes/fs/first-stages/plaid", null, null, KEY), 404, "not_found");
    error(send("DELETE", "/v1/indexes/fs/first-stages/coil", null, null, KEY), 404, "not_found");
    ok(send("DELETE", "/v1/indexes/fs/first-stages/xtr", null, null, KEY), 200);
    error(post("/v1/indexes/fs/search", xtr), 409, "first_stage_unavailable");
    assertFalse(Files.exists(FirstStageIndex.dir(registry.get("fs").path, "xtr")));
  }

  /**
   * Deleting an index interrupts the training of its first stages (the stage being trained stops at
   * its next check, the queued ones do not start) instead of waiting for it: the index and its
   * folder are gone when the delete answers, and the shared trainer goes on training other indexes.
   */
  @Test
  void deletingAnIndexStopsItsTrainingAndTheTrainerGoesOn() throws Exception {
    ok(
        post(
            "/v1/indexes",
            "{\"name\": \"doomed\", \"first_stages\": [\"xtr\", \"coil\", \"slim\"],"
                + " \"train_after_documents\": 20}"),
        201);
    Path folder = registry.get("doomed").path;
    ok(post("/v1/indexes/doomed/documents", array(corpus.subList(0, 60))), 200);
    ok(send("DELETE", "/v1/indexes/doomed", null, null, KEY), 200);
    assertFalse(Files.exists(folder), "the index folder is deleted");
    error(get("/v1/indexes/doomed"), 404, "not_found");

    create("after-doomed");
    ok(post("/v1/indexes/after-doomed/documents", array(corpus.subList(0, 20))), 200);
    ok(post("/v1/indexes/after-doomed/first-stages", "{\"first_stages\": [\"xtr\"]}"), 202);
    registry.get("after-doomed").awaitTraining();
    assertEquals(
        "ready", ok(get("/v1/indexes/after-doomed"), 200).at("/first_stages/xtr/state").asText());
    JsonNode hits =
        ok(
            post(
                "/v1/indexes/after-doomed/search",
                "{\"query\": \"computer programs\", \"method\": \"xtr+maxsim\"}"),
            200);
    assertTrue(hits.get("hits").size() > 0, hits.toString());
  }

  @Test
  void firstStagesDueWhenAnIndexOpensTrainThen() throws Exception {
    Path data = tmp.resolve("due-on-open");
    try (IndexRegistry reg = new IndexRegistry(data, encoder, 2, 1, 0)) {
      reg.create("due", IndexOptions.DEFAULT, new FirstStageSettings(List.of("xtr"), 50));
      reg.get("due").writes().add(corpus.subList(0, 8));
      assertEquals(
          "waiting", ((Map<?, ?>) IndexJson.firstStages(reg.get("due")).get("xtr")).get("state"));
    }
    // Lowered while the server was down (or the process died before training began).
    new FirstStageSettings(List.of("xtr"), 5)
        .write(data.resolve("due"), new com.fasterxml.jackson.databind.ObjectMapper());
    try (IndexRegistry reg = new IndexRegistry(data, encoder, 2, 1, 0)) {
      reg.get("due").awaitTraining();
      assertEquals(
          "ready", ((Map<?, ?>) IndexJson.firstStages(reg.get("due")).get("xtr")).get("state"));
      IndexSnapshot s = reg.get("due").acquire();
      try {
        assertFalse(searchDirect(s.searcher, "xtr+maxsim", queries.getFirst(), 5).isEmpty());
      } finally {
        s.release();
      }
    }
  }

  @Test
  void firstStagesAreRetrainedOnceTheIndexHasGrownFourfold() throws Exception {
    Path data = tmp.resolve("growth");
    try (IndexRegistry reg = new IndexRegistry(data, encoder, 2, 1, 0)) {
      reg.create("grow", IndexOptions.DEFAULT, new FirstStageSettings(List.of("xtr"), 5));
      LiveIndex li = reg.get("grow");
      li.writes().add(corpus.subList(0, 5));
      li.awaitTraining();
      Map<?, ?> xtr = (Map<?, ?>) IndexJson.firstStages(li).get("xtr");
      assertEquals("ready", xtr.get("state"));
      assertEquals(5, xtr.get("trained_on_documents"));
      li.writes().add(corpus.subList(5, 12)); // 12 < 4 x 5: kept
      li.awaitTraining();
      assertEquals(
          5, ((Map<?, ?>) IndexJson.firstStages(li).get("xtr")).get("trained_on_documents"));
      li.writes().add(corpus.subList(12, 20)); // 20 = 4 x 5: retrained on all of them
      li.awaitTraining();
      xtr = (Map<?, ?>) IndexJson.firstStages(li).get("xtr");
      assertEquals("ready", xtr.get("state"), xtr.toString());
      assertEquals(20, xtr.get("trained_on_documents"));
      IndexSnapshot s = li.acquire();
      try {
        assertFalse(searchDirect(s.searcher, "xtr+maxsim", queries.getFirst(), 5).isEmpty());
      } finally {
        s.release();
      }
    }
  }

  @Test
  void firstStagesCatchUpOnOpenWithWritesTheyMissed() throws Exception {
    // A registry of its own, so the "crash" does not disturb the shared server.
    Path data = tmp.resolve("catch-up");
    List<String> stages = List.of("xtr", "coil");
    try (IndexRegistry reg = new IndexRegistry(data, encoder, 2, 1, 0)) {
      reg.create("cu", IndexOptions.DEFAULT, new FirstStageSettings(stages, 6));
      reg.get("cu").writes().add(corpus.subList(0, 10));
      reg.get("cu").awaitTraining();
      for (String st : stages)
        assertEquals(
            "ready", ((Map<?, ?>) IndexJson.firstStages(reg.get("cu")).get(st)).get("state"), st);
    }
    // What a crash right after a main-index commit leaves: writes the first stages never saw.
    Path main = data.resolve("cu");
    try (LatteIndexWriter w =
        LatteIndexWriter.open(main, encoder, "http", "", IndexOptions.DEFAULT)) {
      w.addAll(corpus.subList(10, 14).stream(), 1, 1, IndexProgress.NONE);
      Document replaced =
          new Document(corpus.get(2).id(), "replaced", "a replaced text about retrieval");
      w.add(replaced, encoder.encodeDocuments(List.of(replaced.contents())).getFirst());
      w.delete(corpus.get(3).id());
      w.commit();
    }
    try (LatteIndex stale = LatteIndex.open(main)) {
      assertFalse(
          FirstStageIndex.isFresh(main, XtrBuilder.FORMAT, stale.reader()),
          "behind before the restart");
    }
    try (IndexRegistry reg = new IndexRegistry(data, encoder, 2, 1, 0)) {
      LiveIndex li = reg.get("cu");
      for (String st : stages)
        assertEquals("ready", ((Map<?, ?>) IndexJson.firstStages(li).get(st)).get("state"), st);
      // The reference: the same documents, first stages derived afresh with the same parameters.
      Path ref = tmp.resolve("catch-up-ref");
      try (LatteIndexWriter w =
          LatteIndexWriter.open(ref, encoder, "reference", "", IndexOptions.DEFAULT)) {
        IndexSnapshot s = li.acquire();
        try {
          var idx = s.searcher.index();
          for (int d = 0; d < idx.reader().maxDoc(); d++) {
            var live = org.apache.lucene.index.MultiBits.getLiveDocs(idx.reader());
            if (live != null && !live.get(d)) continue;
            var st = idx.stored(d);
            Document doc = new Document(st.id(), st.title(), st.text());
            w.add(doc, encoder.encodeDocuments(List.of(doc.contents())).getFirst());
          }
        } finally {
          s.release();
        }
        w.commit();
      }
      deriveWithParametersOf(main, ref, stages);
      IndexSnapshot s = li.acquire();
      try (LatteSearcher refSearcher = new LatteSearcher(LatteIndex.open(ref), encoder)) {
        for (String method : List.of("xtr", "xtr+maxsim", "coil", "coil+maxsim"))
          for (String q : queries)
            assertSameRanking(
                method + " after catch-up: " + q,
                searchDirect(refSearcher, method, q, 10),
                searchDirect(s.searcher, method, q, 10));
      } finally {
        s.release();
      }
    }
  }

  @Test
  void idsThatNeedEncodingInTheUrl() throws Exception {
    create("odd-ids");
    String id = "doc 1/α+b";
    ObjectNode d = json.createObjectNode().put("id", id).put("text", "an odd identifier");
    ok(post("/v1/indexes/odd-ids/documents", "[" + d + "]"), 200);
    String encoded =
        java.net.URLEncoder.encode(id, java.nio.charset.StandardCharsets.UTF_8)
            .replace("+", "%20")
            .replace("%2F", "/");
    JsonNode b =
        ok(send("DELETE", "/v1/indexes/odd-ids/documents/" + encoded, null, null, KEY), 200);
    assertTrue(b.get("deleted").asBoolean(), b.toString());
    assertEquals(0, documents("odd-ids"));
  }

  @Test
  void indexesSurviveARestartOfTheRegistry() throws Exception {
    Path data = tmp.resolve("restart");
    try (IndexRegistry r = new IndexRegistry(data, encoder, 1, 1, 0);
        LatteService s = new LatteService(r, LatteService.Options.open()).start("127.0.0.1", 0)) {
      assertEquals(
          201,
          send(s.port(), "POST", "/v1/indexes", "{\"name\": \"kept\"}", "application/json", null)
              .statusCode());
      var w =
          send(
              s.port(),
              "POST",
              "/v1/indexes/kept/documents",
              array(corpus.subList(0, 3)),
              "application/json",
              null);
      assertEquals(200, w.statusCode(), w.body());
    }
    Files.createDirectories(data.resolve("not-an-index"));
    try (IndexRegistry r = new IndexRegistry(data, encoder, 1, 1, 0)) {
      assertEquals(List.of("kept"), r.names());
      assertEquals(3L, IndexJson.describe(r.get("kept")).get("documents"));
    }
  }

  @Test
  void inFlightSnapshotsOutliveARefreshAndReadOnlyIndexesPickUpOtherWriters() throws Exception {
    Path data = tmp.resolve("snapshots");
    try (IndexRegistry r = new IndexRegistry(data, encoder, 1, 1, 50)) {
      LiveIndex li = r.create("snap", IndexOptions.DEFAULT);
      li.writes().add(List.of(corpus.get(0), corpus.get(1)));
      IndexSnapshot old = li.acquire();
      li.writes().add(List.of(corpus.get(2)));
      assertEquals(1, li.writes().delete(List.of(corpus.get(0).id(), "absent")));
      // The search that holds the old snapshot still sees, and can search, what it started with.
      assertEquals(2, old.searcher.index().stats().documents());
      assertEquals(2, old.searcher.search("maxsim-exact", "indexing", 10).hits().size());
      IndexSnapshot now = li.acquire();
      assertEquals(2, now.searcher.search("maxsim-exact", "indexing", 10).hits().size());
      assertEquals(
          Set.of(corpus.get(1).id(), corpus.get(2).id()),
          Set.copyOf(
              now.searcher.search("maxsim-exact", "indexing", 10).hits().stream()
                  .map(LatteSearcher.Hit::docid)
                  .toList()));
      now.release();
      var oldReader = old.reader();
      old.release();
      assertEquals(0, oldReader.getRefCount(), "the last release closes a swapped-out snapshot");

      // Searches racing writes and refreshes never see a closed snapshot.
      var failures = new java.util.concurrent.ConcurrentLinkedQueue<Throwable>();
      var stop = new java.util.concurrent.atomic.AtomicBoolean();
      List<Thread> searchers = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        Thread th =
            new Thread(
                () -> {
                  while (!stop.get()) {
                    IndexSnapshot s = li.acquire();
                    try {
                      s.searcher.search("bm25", "retrieval of documents", 5);
                      s.searcher.search("maxsim-exact", "retrieval of documents", 5);
                    } catch (Throwable e) {
                      failures.add(e);
                    } finally {
                      s.release();
                    }
                  }
                });
        th.start();
        searchers.add(th);
      }
      for (int i = 7; i < 12; i++) {
        li.writes().add(List.of(corpus.get(i)));
        li.writes().delete(List.of(corpus.get(i - 1).id()));
      }
      stop.set(true);
      for (Thread th : searchers) th.join();
      assertTrue(failures.isEmpty(), failures.toString());
    }

    // Another process holds the write lock: the index is served read-only, and the scheduled
    // refresh makes that writer's commits searchable.
    Path ext = data.resolve("ext");
    try (LatteIndexWriter w =
        LatteIndexWriter.open(ext, encoder, "ext", "", IndexOptions.DEFAULT)) {
      w.addAll(corpus.subList(3, 5).stream(), 1, 1, IndexProgress.NONE);
      w.commit();
      try (IndexRegistry r = new IndexRegistry(data, encoder, 1, 1, 50)) {
        LiveIndex li = r.get("ext");
        assertEquals(true, IndexJson.describe(li).get("read_only"));
        assertEquals(2L, IndexJson.describe(li).get("documents"));
        Refusal e =
            org.junit.jupiter.api.Assertions.assertThrows(
                Refusal.Conflict.class, () -> li.writes().add(List.of(corpus.get(6))));
        assertEquals("read_only", e.type);
        w.addAll(corpus.subList(5, 6).stream(), 1, 1, IndexProgress.NONE);
        w.commit();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while ((long) IndexJson.describe(li).get("documents") != 3L && System.nanoTime() < deadline)
          Thread.sleep(20);
        assertEquals(3L, IndexJson.describe(li).get("documents"));
        assertEquals(List.of("ext", "snap"), r.names());
      }
    }
  }

  static void ensureBatchIndex() throws Exception {
    synchronized (LatteServiceTest.class) {
      if (get("/v1/indexes/batches").statusCode() == 404) {
        create("batches");
        ok(post("/v1/indexes/batches/documents", "[{\"id\": \"base\", \"text\": \"base\"}]"), 200);
      }
    }
  }

  static void assertBatchIndexUnchanged() throws Exception {
    assertEquals(1, documents("batches"));
    Set<String> seen = new LinkedHashSet<>();
    for (Ranked r : searchHttp("batches", "maxsim-exact", "fine x y", 100)) seen.add(r.id());
    assertEquals(Set.of("base"), seen);
    assertEquals(200, get("/v1/health").statusCode());
  }
}
