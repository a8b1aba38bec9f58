package dev.latte.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.encoders.WordHashEncoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * The hostile-client fuzzer: generates request sequences (bodies, paths, headers and methods, from
 * valid to malformed) against an in-process server, and checks after every request that it never
 * answers 5xx, that every error is the one JSON error shape, and after every sequence that the
 * server is healthy and holds exactly the documents a model of the acknowledged writes predicts
 * (ids and metadata). Deterministic per seed: a failure names the seed that reproduces it.
 */
final class HostileClientFuzz implements AutoCloseable {
  /** Components per token of the test encoder. */
  static final int DIM = 8;

  static final String INDEX = "fuzz";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final IndexRegistry registry;
  private final LatteService service;
  private final int port;

  /** Acknowledged state: id → metadata (null: none). */
  private final Map<String, JsonNode> model = new TreeMap<>();

  long requests;

  /** Answers by request kind and status, to show what the generated requests exercised. */
  final Map<String, Long> statuses = new TreeMap<>();

  HostileClientFuzz(Path data) throws Exception {
    registry = new IndexRegistry(data, new WordHashEncoder("hashing-test", DIM), 1, 64, 0);
    service =
        new LatteService(
                registry, new LatteService.Options(null, false, 64 * 1024).withTimeouts(10_000, 0))
            .start("127.0.0.1", 0);
    port = service.port();
    createIndex();
  }

  private void createIndex() throws IOException {
    RawHttp.Answer a = send("POST", "/v1/indexes", "{\"name\": \"" + INDEX + "\"}", JSON_TYPE);
    if (a.status() != 201) throw new IllegalStateException("cannot create the index: " + a.text());
  }

  @Override
  public void close() {
    service.close();
    registry.close();
  }

  // ---- one sequence

  /** Runs {@code count} requests generated from {@code seed}, then checks health and the model. */
  void run(long seed, int count) throws Exception {
    Random r = new Random(seed);
    for (int i = 0; i < count; i++) {
      Step s = step(r);
      RawHttp.Answer a;
      try {
        a = RawHttp.send(port, s.bytes(), 15_000);
      } catch (IOException e) {
        throw new AssertionError(where(seed, i, s) + ": no answer (" + e + ")", e);
      }
      requests++;
      statuses.merge(s.kind() + " " + a.status(), 1L, Long::sum);
      check(seed, i, s, a);
      s.effect().apply(a);
    }
    checkModel(seed);
  }

  private static String where(long seed, int i, Step s) {
    String shown = new String(s.bytes(), StandardCharsets.ISO_8859_1);
    if (shown.length() > 600) shown = shown.substring(0, 600) + "…";
    return "seed " + seed + ", request " + i + " (" + s.kind() + "):\n" + shown + "\n";
  }

  private void check(long seed, int i, Step s, RawHttp.Answer a) {
    String ctx = where(seed, i, s) + "answered " + a.status() + " " + a.text();
    if (a.status() >= 500) throw new AssertionError(ctx + "\n-> a 5xx");
    if (s.head()) return;
    if (a.status() >= 400) {
      JsonNode e;
      try {
        e = JSON.readTree(a.body()).get("error");
      } catch (IOException x) {
        throw new AssertionError(ctx + "\n-> an error that is not JSON");
      }
      if (e == null || !e.path("type").isTextual() || !e.path("message").isTextual())
        throw new AssertionError(ctx + "\n-> not the JSON error shape");
      if (a.text().contains("Exception") || a.text().contains("\tat "))
        throw new AssertionError(ctx + "\n-> a stack trace in the answer");
    }
  }

  /** Health, and the served documents equal the model (ids and metadata). */
  void checkModel(long seed) throws Exception {
    RawHttp.Answer h = send("GET", "/v1/health", null, null);
    if (h.status() != 200) throw new AssertionError("seed " + seed + ": unhealthy: " + h.text());
    StringBuilder q = new StringBuilder("[[1");
    for (int c = 1; c < DIM; c++) q.append(",0");
    RawHttp.Answer a =
        send(
            "POST",
            "/v1/indexes/" + INDEX + "/search",
            "{\"query_vectors\": "
                + q
                + "]], \"k\": 1000, \"filter\": {\"match_all\": {}}, \"include\": [\"metadata\"]}",
            JSON_TYPE);
    if (a.status() != 200)
      throw new AssertionError("seed " + seed + ": listing failed: " + a.status() + a.text());
    Map<String, String> served = new TreeMap<>();
    for (JsonNode hit : JSON.readTree(a.body()).get("hits"))
      served.put(hit.get("docid").textValue(), canonical(hit.get("metadata")));
    Map<String, String> expected = new TreeMap<>();
    model.forEach((id, m) -> expected.put(id, canonical(m)));
    if (!served.equals(expected))
      throw new AssertionError(
          "seed "
              + seed
              + ": the documents differ from the acknowledged writes\nexpected "
              + expected
              + "\nserved   "
              + served);
  }

  // ---- generation

  record Step(String kind, byte[] bytes, boolean head, Effect effect) {}

  @FunctionalInterface
  interface Effect {
    void apply(RawHttp.Answer a) throws IOException;
  }

  private static final Effect NONE = a -> {};
  private static final String JSON_TYPE = "application/json";

  /** Ids: plain, tricky but valid (distinct forms that must stay distinct), and invalid. */
  private static final String[] IDS = {
    "d0",
    "d1",
    "d2",
    "d3",
    "d4",
    "d5",
    "d6",
    "d7",
    "é",
    "e\u0301",
    "😀",
    "a/b",
    "a%2Fb",
    "a+b",
    "a b",
    " x",
    "x ",
    "\u0000",
    "\ud800",
    "\udbff",
    "\ufffd",
    "\ud83d",
    "日本",
    "k".repeat(512),
    "k".repeat(513),
    "",
    "  "
  };

  /** The ids a server must accept, each distinct from every other (NFC and NFD forms included). */
  private static final String[] VALID_IDS = {
    "d0",
    "d1",
    "d2",
    "d3",
    "é",
    "e\u0301",
    "😀",
    "a/b",
    "a%2Fb",
    "a+b",
    "x ",
    "\ufffd",
    "日本",
    "k".repeat(512)
  };

  private static Object cleanMetadata(Random r) {
    if (r.nextInt(5) == 0) return null;
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("tag", TAGS[r.nextInt(TAGS.length)]);
    if (r.nextBoolean()) m.put("n", r.nextInt(100));
    return m;
  }

  private static final String[] TAGS = {"red", "green", "blue", "Red"};

  private Step step(Random r) {
    int p = r.nextInt(100);
    if (p < 16) return add(r, false);
    if (p < 21) return add(r, true);
    if (p < 29) return deleteOne(r);
    if (p < 33) return deleteIds(r);
    if (p < 37) return deleteFilter(r);
    if (p < 45) return patch(r);
    if (p < 49) return updateBatch(r);
    if (p < 68) return search(r);
    if (p < 74) return read(r);
    if (p < 75) return merge(r);
    if (p < 76) return firstStages(r);
    return garbage(r);
  }

  private static String id(Random r) {
    if (r.nextBoolean()) return VALID_IDS[r.nextInt(VALID_IDS.length)];
    return IDS[r.nextInt(IDS.length)];
  }

  /** A metadata object: usually small and valid, sometimes over a limit or oddly typed. */
  private static Object metadata(Random r) {
    int p = r.nextInt(20);
    Map<String, Object> m = new LinkedHashMap<>();
    if (p == 0) return null;
    if (p == 1) return "not an object";
    m.put("tag", TAGS[r.nextInt(TAGS.length)]);
    if (r.nextBoolean()) m.put("n", number(r));
    if (p == 2) m.put("k".repeat(200 + r.nextInt(40_000)), 1); // long key
    if (p == 3) { // many keys
      int n = 100 + r.nextInt(400);
      for (int i = 0; i < n; i++) m.put("f" + i, i);
    }
    if (p == 4) { // deep
      Object v = 1;
      for (int i = 0, d = 2 + r.nextInt(20); i < d; i++) v = Map.of("x", v);
      m.put("deep", v);
    }
    if (p == 5) m.put("long", "v".repeat(r.nextInt(20_000)));
    if (p == 6) m.put(r.nextBoolean() ? "\ud800" : "ok", r.nextBoolean() ? "\udfff" : "fine");
    if (p == 7) m.put("list", List.of(1, "two", true, Map.of("a", List.of())));
    if (p == 8) m.put("_exists", "x");
    return m;
  }

  private static Object number(Random r) {
    return switch (r.nextInt(8)) {
      case 0 -> new java.math.BigInteger("9".repeat(1 + r.nextInt(60)));
      case 1 -> Long.MIN_VALUE;
      case 2 -> r.nextDouble() * 1e300;
      case 3 -> new java.math.BigDecimal("1e" + (r.nextInt(700) - 350));
      default -> r.nextInt(100) - 50;
    };
  }

  private static String text(Random r) {
    return switch (r.nextInt(10)) {
      case 0 -> "";
      case 1 -> " ";
      case 2 -> "lone \ud800 surrogate";
      default -> "statins cholesterol trial " + r.nextInt(1000);
    };
  }

  private Step add(Random r, boolean ndjson) {
    int n = r.nextInt(10) == 0 ? 1001 + r.nextInt(5) : 1 + r.nextInt(5);
    if (n > 1000 && r.nextBoolean()) n = 1 + r.nextInt(3);
    // Most batches are clean (so that writes are acknowledged and the model has work), the rest
    // carry hostile ids, texts and metadata.
    boolean clean = r.nextInt(10) < 6;
    if (clean) n = Math.min(n, 5);
    List<Map<String, Object>> docs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("id", clean ? VALID_IDS[r.nextInt(VALID_IDS.length)] : id(r));
      if (r.nextInt(4) == 0) d.put("title", "t " + r.nextInt(9));
      d.put("text", clean ? "statins trial " + r.nextInt(100) : text(r));
      Object m = clean ? cleanMetadata(r) : metadata(r);
      if (m != null || r.nextBoolean()) d.put("metadata", m);
      if (r.nextInt(30) == 0) d.put("extra", 1);
      docs.add(d);
    }
    boolean ascii = r.nextBoolean();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    if (ndjson) {
      for (Map<String, Object> d : docs) {
        body.writeBytes(FuzzJson.write(d, ascii));
        body.write(r.nextInt(8) == 0 ? '\r' : ' ');
        body.write('\n');
        if (r.nextInt(8) == 0) body.write('\n');
      }
    } else {
      body.writeBytes(FuzzJson.write(docs, ascii));
    }
    byte[] bytes = body.toByteArray();
    boolean corrupted = false;
    if (r.nextInt(6) == 0) {
      bytes = FuzzJson.injectInvalidUtf8(bytes, r);
      corrupted = true;
    }
    final boolean invalidBytes = corrupted;
    String type =
        ndjson ? (r.nextBoolean() ? "application/x-ndjson" : "application/jsonl") : JSON_TYPE;
    return new Step(
        ndjson ? "add-ndjson" : "add",
        RawHttp.request(
            "POST", target("/v1/indexes/" + INDEX + "/documents"), type(type), bytes, true),
        false,
        a -> {
          if (a.status() != 200) return;
          if (invalidBytes)
            throw new AssertionError("a body that is not UTF-8 was acknowledged: " + a.text());
          for (Map<String, Object> d : docs) {
            Object m = d.get("metadata");
            model.put(
                (String) d.get("id"),
                m == null ? null : emptyToNull(JSON.readTree(FuzzJson.write(m, true))));
          }
        });
  }

  private static JsonNode emptyToNull(JsonNode m) {
    return m == null || m.isNull() || m.isEmpty() ? null : m;
  }

  private Step deleteOne(Random r) {
    String id = id(r);
    int mode = r.nextInt(6);
    String path;
    String decoded = id;
    switch (mode) {
      case 0 -> {
        path = "%zz" + (r.nextBoolean() ? "" : "%");
        decoded = null; // malformed: must be refused
      }
      case 1 -> {
        path = r.nextBoolean() ? "%C3%28" : "%ED%A0%80"; // invalid UTF-8, an encoded surrogate
        decoded = null;
      }
      default -> path = FuzzJson.percentEncode(id, r.nextBoolean());
    }
    final String expectId = decoded;
    String method = r.nextInt(10) == 0 ? "PATCH" : "DELETE";
    byte[] body = method.equals("PATCH") ? "{\"metadata\": null}".getBytes() : null;
    return new Step(
        "delete-one",
        RawHttp.request(
            method,
            (("/v1/indexes/" + INDEX + "/documents/") + path).getBytes(StandardCharsets.UTF_8),
            type(JSON_TYPE),
            body,
            body != null),
        false,
        a -> {
          if (a.status() != 200) return;
          if (expectId == null)
            throw new AssertionError("a malformed path was acknowledged: " + a.text());
          if (method.equals("DELETE")) model.remove(expectId);
          else if (model.containsKey(expectId)) model.put(expectId, null);
        });
  }

  private Step deleteIds(Random r) {
    List<String> ids = new ArrayList<>();
    for (int i = 0, n = 1 + r.nextInt(4); i < n; i++) ids.add(id(r));
    Map<String, Object> b = Map.of("ids", ids);
    return new Step(
        "delete-ids",
        post("/v1/indexes/" + INDEX + "/documents/delete", FuzzJson.write(b, r.nextBoolean())),
        false,
        a -> {
          if (a.status() == 200) ids.forEach(model::remove);
        });
  }

  private Step deleteFilter(Random r) {
    int n = r.nextInt(5) == 0 ? 200 + r.nextInt(3000) : 1 + r.nextInt(3);
    List<String> tags = new ArrayList<>();
    for (int i = 0; i < n; i++) tags.add(i < 3 ? TAGS[r.nextInt(TAGS.length)] : "t" + i);
    Object filter;
    int shape = r.nextInt(20);
    if (shape == 0) filter = Map.of("match_all", Map.of());
    else if (shape < 8) filter = Map.of("terms", Map.of("tag", tags));
    else {
      List<Object> should = new ArrayList<>();
      for (String t : tags) should.add(Map.of("term", Map.of("tag", t)));
      filter = Map.of("bool", Map.of("should", should));
    }
    boolean all = shape == 0;
    return new Step(
        "delete-filter",
        post(
            "/v1/indexes/" + INDEX + "/documents/delete",
            FuzzJson.write(Map.of("filter", filter), true)),
        false,
        a -> {
          if (a.status() != 200) return;
          model
              .entrySet()
              .removeIf(
                  e ->
                      all
                          || (e.getValue() != null
                              && e.getValue().path("tag").isTextual()
                              && tags.contains(e.getValue().get("tag").textValue())));
        });
  }

  private Step patch(Random r) {
    String id = id(r);
    Object patch = r.nextInt(8) == 0 ? null : metadataPatch(r);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("metadata", patch);
    byte[] bytes = FuzzJson.write(body, r.nextBoolean());
    return new Step(
        "patch",
        RawHttp.request(
            "PATCH",
            ("/v1/indexes/" + INDEX + "/documents/" + FuzzJson.percentEncode(id, true))
                .getBytes(StandardCharsets.UTF_8),
            type(JSON_TYPE),
            bytes,
            true),
        false,
        a -> {
          if (a.status() != 200) return;
          applyPatch(id, patch);
        });
  }

  private Step updateBatch(Random r) {
    List<Map<String, Object>> items = new ArrayList<>();
    for (int i = 0, n = 1 + r.nextInt(4); i < n; i++) {
      Map<String, Object> u = new LinkedHashMap<>();
      u.put("id", id(r));
      u.put("metadata", r.nextInt(6) == 0 ? null : metadataPatch(r));
      items.add(u);
    }
    return new Step(
        "update",
        post("/v1/indexes/" + INDEX + "/documents/update", FuzzJson.write(items, r.nextBoolean())),
        false,
        a -> {
          if (a.status() != 200) return;
          for (Map<String, Object> u : items) applyPatch((String) u.get("id"), u.get("metadata"));
        });
  }

  private static Object metadataPatch(Random r) {
    Object m = metadata(r);
    if (m instanceof Map<?, ?> map && r.nextBoolean()) {
      Map<String, Object> p = new LinkedHashMap<>();
      map.forEach((k, v) -> p.put((String) k, v));
      p.put("n", null); // remove a key
      return p;
    }
    return m;
  }

  private void applyPatch(String id, Object patch) throws IOException {
    if (!model.containsKey(id)) return;
    JsonNode p = patch == null ? null : JSON.readTree(FuzzJson.write(patch, true));
    model.put(id, emptyToNull(MergePatchModel.apply(model.get(id), p)));
  }

  private Step search(Random r) {
    Map<String, Object> b = new LinkedHashMap<>();
    int q = r.nextInt(10);
    if (q == 0) b.put("query", "x".repeat(9_000 + r.nextInt(2_000)));
    else if (q == 1) b.put("query", "q\ud800");
    else if (q == 2) {
      StringBuilder words = new StringBuilder();
      for (int i = 0; i < 2000; i++) words.append('w').append(i).append(' ');
      b.put("query", words.toString());
    } else if (q == 3) b.put("query_vectors", List.of(List.of(1, 2), List.of(3)));
    else b.put("query", "statins " + r.nextInt(100));
    if (r.nextBoolean())
      b.put(
          "k",
          pick(
              r,
              10,
              0,
              -1,
              1000,
              1001,
              Long.MAX_VALUE,
              new java.math.BigInteger("18446744073709551626"),
              1.5,
              "10",
              1e3));
    if (r.nextBoolean())
      b.put(
          "from",
          pick(
              r,
              0,
              5,
              990,
              1000,
              -1,
              Long.MAX_VALUE,
              Integer.MAX_VALUE,
              new java.math.BigInteger("9".repeat(40))));
    if (r.nextInt(3) == 0)
      b.put("method", pick(r, "bm25", "maxsim-exact", "hybrid-rrf", "xtr", "coil", "nope", 5));
    if (r.nextInt(3) == 0) b.put("filter", FuzzJson.randomFilter(r, 0));
    if (r.nextInt(8) == 0) b.put("include", pick(r, List.of("text"), List.of("nope"), "title"));
    if (r.nextInt(8) == 0) b.put("explain", pick(r, true, "yes"));
    if (r.nextInt(20) == 0) b.put("unknown", 1);
    String path =
        r.nextInt(8) == 0
            ? "/v1/indexes/" + INDEX + "/search/batch"
            : "/v1/indexes/" + INDEX + "/search";
    Object body = path.endsWith("batch") ? Map.of("searches", List.of(b, b)) : b;
    return new Step("search", post(path, FuzzJson.write(body, r.nextBoolean())), false, NONE);
  }

  @SafeVarargs
  private static <T> T pick(Random r, T... options) {
    return options[r.nextInt(options.length)];
  }

  private Step read(Random r) {
    String path =
        pick(
            r,
            "/v1/health",
            "/v1/indexes",
            "/v1/indexes/" + INDEX,
            "/metrics",
            "/openapi.json",
            "/",
            "/v1/indexes/nope",
            "/v1/indexes/NOPE",
            "/v1/indexes/%zz");
    String method = r.nextInt(6) == 0 ? "HEAD" : "GET";
    return new Step(
        "read",
        RawHttp.request(method, path.getBytes(StandardCharsets.UTF_8), Map.of(), null, false),
        method.equals("HEAD"),
        NONE);
  }

  private Step merge(Random r) {
    Object m =
        pick(r, 1, 0, 1001, -5, Long.MAX_VALUE, new java.math.BigInteger("4294967297"), "1", 2.0);
    return new Step(
        "merge",
        post("/v1/indexes/" + INDEX + "/merge", FuzzJson.write(Map.of("max_segments", m), true)),
        false,
        NONE);
  }

  private Step firstStages(Random r) {
    if (r.nextBoolean())
      return new Step(
          "first-stage-delete",
          RawHttp.request(
              "DELETE",
              ("/v1/indexes/"
                      + INDEX
                      + "/first-stages/"
                      + pick(r, "xtr", "nope", "%zz", "x".repeat(100)))
                  .getBytes(StandardCharsets.UTF_8),
              Map.of(),
              null,
              false),
          false,
          NONE);
    Map<String, Object> b = new LinkedHashMap<>();
    b.put("first_stages", pick(r, List.of("nope"), "none", List.of(), 5));
    b.put(
        "train_after_documents",
        pick(r, 0, -1, new java.math.BigInteger("99999999999999999999"), 1.5, 100_000_001));
    return new Step(
        "first-stages",
        post("/v1/indexes/" + INDEX + "/first-stages", FuzzJson.write(b, true)),
        false,
        NONE);
  }

  /** Methods, paths, headers and bodies from the hostile end: made up, malformed, oversized. */
  private Step garbage(Random r) {
    String method =
        pick(
            r,
            "GET",
            "POST",
            "DELETE",
            "PATCH",
            "PUT",
            "OPTIONS",
            "HEAD",
            "FOO" + r.nextInt(100000),
            "get",
            "PROPFIND",
            "M-SEARCH",
            "X".repeat(1 + r.nextInt(300)));
    // Not the fuzzed index: a garbage request the server accepted would change it unpredictably.
    String[] segments = {
      "v1",
      "indexes",
      "other",
      "documents",
      "search",
      "batch",
      "delete",
      "update",
      "merge",
      "first-stages",
      "xtr",
      "%zz",
      "%",
      "%00",
      "%2e%2e",
      "..",
      "é",
      "%C3%28",
      "%ED%A0%80",
      "%FF",
      "a%2Fb",
      "",
      "x".repeat(300),
      "\u00ff"
    };
    StringBuilder path = new StringBuilder();
    for (int i = 0, n = 1 + r.nextInt(6); i < n; i++)
      path.append('/').append(segments[r.nextInt(segments.length)]);
    if (r.nextInt(10) == 0) path.append("?q=").append(segments[r.nextInt(segments.length)]);
    if (r.nextInt(30) == 0) path = new StringBuilder("/" + "a".repeat(9000));
    Map<String, String> headers = new LinkedHashMap<>();
    if (r.nextBoolean())
      headers.put(
          "Content-Type",
          pick(
              r,
              JSON_TYPE,
              "application/x-ndjson",
              "text/plain",
              "application/json; charset=latin1",
              "multipart/form-data; boundary=x",
              ";;;",
              "application/ndjson"));
    if (r.nextInt(8) == 0)
      headers.put(
          "Authorization",
          pick(r, "Bearer x", "Basic Zm9vOmJhcg==", "bearer", "Bearer " + "k".repeat(5000)));
    if (r.nextInt(12) == 0)
      headers.put("Accept", pick(r, "text/html", "*/*", "application/xml", "image/png;q=0"));
    if (r.nextInt(15) == 0) headers.put("Expect", "100-continue");
    if (r.nextInt(20) == 0) headers.put("X-Junk", "v".repeat(r.nextInt(10_000)));
    byte[] body = null;
    boolean length = true;
    int b = r.nextInt(8);
    if (b == 1)
      body = FuzzJson.mutate(FuzzJson.write(Map.of("query", "statins", "k", 3), false), r);
    else if (b == 2)
      body = FuzzJson.mutate(FuzzJson.write(List.of(Map.of("id", "d1", "text", "t")), false), r);
    else if (b == 3) {
      body = new byte[r.nextInt(2000)];
      r.nextBytes(body);
    } else if (b == 4) body = ("{\"a\":" + "[".repeat(r.nextInt(3000))).getBytes();
    else if (b == 5) body = new byte[70 * 1024]; // over the body limit
    else if (b == 6) {
      headers.put("Transfer-Encoding", "chunked");
      body =
          pick(r, "5\r\nhello\r\n0\r\n\r\n", "zz\r\nbad\r\n", "3\r\n{}\r\n", "0\r\n\r\n")
              .getBytes();
      length = false;
    }
    String shown = path.toString();
    byte[] target = shown.getBytes(StandardCharsets.UTF_8);
    return new Step(
        "garbage",
        RawHttp.request(method, target, headers, body, length),
        method.equals("HEAD"),
        NONE);
  }

  private static Map<String, String> type(String t) {
    return Map.of("Content-Type", t);
  }

  private static byte[] target(String path) {
    return path.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] post(String path, byte[] body) {
    return RawHttp.request("POST", target(path), type(JSON_TYPE), body, true);
  }

  private RawHttp.Answer send(String method, String path, String body, String type)
      throws IOException {
    return RawHttp.send(
        port,
        RawHttp.request(
            method,
            target(path),
            type == null ? Map.of() : type(type),
            body == null ? null : body.getBytes(StandardCharsets.UTF_8),
            body != null),
        15_000);
  }

  /** Object members sorted, recursively: metadata compared regardless of member order. */
  static String canonical(JsonNode n) {
    if (n == null || n.isNull()) return "null";
    if (n.isObject()) {
      TreeMap<String, String> sorted = new TreeMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
        var e = it.next();
        sorted.put(e.getKey(), canonical(e.getValue()));
      }
      return sorted.toString();
    }
    if (n.isArray()) {
      List<String> l = new ArrayList<>();
      for (JsonNode x : n) l.add(canonical(x));
      return l.toString();
    }
    if (n.isNumber()) return n.decimalValue().stripTrailingZeros().toPlainString();
    return n.toString();
  }

  /**
   * RFC 7386 JSON Merge Patch, written again for the model (the server's is {@link MergePatch}).
   */
  static final class MergePatchModel {
    static JsonNode apply(JsonNode target, JsonNode patch) {
      if (patch == null || !patch.isObject()) return patch;
      ObjectNode out =
          target != null && target.isObject()
              ? ((ObjectNode) target).deepCopy()
              : JSON.createObjectNode();
      for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
        var e = it.next();
        if (e.getValue().isNull()) out.remove(e.getKey());
        else out.set(e.getKey(), apply(out.get(e.getKey()), e.getValue()));
      }
      return out;
    }
  }
}
