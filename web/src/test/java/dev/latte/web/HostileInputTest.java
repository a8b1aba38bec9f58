package dev.latte.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.latte.encoders.WordHashEncoder;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One test per class of hostile input of issue 13 (the fuzzer, {@link HostileClientFuzzTest}, looks
 * for members of the classes not named here): strict decoding, bounded labels, limits checked
 * before Lucene, exact numbers, slow bodies, disconnects, the one JSON error shape on every method,
 * and the metadata shape.
 */
class HostileInputTest {
  /** Components per token of the test encoder. */
  static final int DIM = 8;

  @TempDir static Path tmp;
  static IndexRegistry registry;
  static LatteService service;
  static int port;
  static final ObjectMapper JSON = new ObjectMapper();
  static final String DOCS = "/v1/indexes/h/documents";

  @BeforeAll
  static void start() throws Exception {
    registry =
        new IndexRegistry(tmp.resolve("data"), new WordHashEncoder("hashing-test", DIM), 1, 64, 0);
    service =
        new LatteService(
                registry, new LatteService.Options(null, false, 64 * 1024).withTimeouts(20_000, 0))
            .start("127.0.0.1", 0);
    port = service.port();
    assertEquals(201, post("/v1/indexes", "{\"name\": \"h\"}").status());
  }

  @AfterAll
  static void stop() {
    if (service != null) service.close();
    if (registry != null) registry.close();
  }

  @BeforeEach
  void empty() throws Exception {
    ok(post(DOCS + "/delete", "{\"filter\": {\"match_all\": {}}}"));
  }

  // ---- 1. one strict decoding path

  @Test
  void loneSurrogatesAndInvalidUtf8AreRefusedNamingTheField() throws Exception {
    // The ids of the report: distinct in the request, one id after lenient decoding.
    for (String esc : List.of("\\ud800", "\\udbff", "\\udfff", "a\\ud83d"))
      error(
          post(DOCS, "[{\"id\": \"" + esc + "\", \"text\": \"t\"}]"),
          400,
          "invalid_text",
          "documents[0].id");
    // Invalid UTF-8 in a JSON array and in NDJSON alike (an encoded surrogate, a cut sequence).
    byte[][] bad = {{(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xC3}, {(byte) 0xFF}};
    for (byte[] b : bad) {
      error(
          send("POST", DOCS, json("[{\"id\": \"x", b, "\", \"text\": \"t\"}]"), "application/json"),
          400,
          "invalid_text",
          "documents");
      error(
          send(
              "POST",
              DOCS,
              json("{\"id\": \"ok\", \"text\": \"t\"}\n{\"id\": \"x", b, "\", \"text\": \"t\"}\n"),
              "application/x-ndjson"),
          400,
          "invalid_text",
          "documents[1] (line 2)");
    }
    // Metadata keys and values, queries, batch updates.
    error(
        post(DOCS, "[{\"id\": \"a\", \"text\": \"t\", \"metadata\": {\"\\udc00\": 1}}]"),
        400,
        "invalid_text",
        "documents[0].metadata.(member name)");
    error(
        post(DOCS, "[{\"id\": \"a\", \"text\": \"t\", \"metadata\": {\"k\": [\"\\ud800\"]}}]"),
        400,
        "invalid_text",
        "documents[0].metadata.k[0]");
    error(post("/v1/indexes/h/search", "{\"query\": \"q \\ud800\"}"), 400, "invalid_text", "query");
    error(
        post(DOCS + "/update", "[{\"id\": \"\\ud800\", \"metadata\": {}}]"),
        400,
        "invalid_text",
        "updates[0].id");
    assertEquals(0, ids().size(), "nothing written");

    // What is valid stays distinct: U+FFFD itself, a surrogate pair, NFC and NFD forms.
    ok(
        post(
            DOCS,
            "[{\"id\": \"\\ufffd\", \"text\": \"t\"}, {\"id\": \"\\ud83d\\ude00\", \"text\": \"t\"},"
                + " {\"id\": \"\\u00e9\", \"text\": \"t\"}, {\"id\": \"e\\u0301\", \"text\":"
                + " \"t\"}]"));
    // (sorted by UTF-16 code unit: the surrogate pair before U+FFFD)
    assertEquals(List.of("e\u0301", "\u00e9", "\ud83d\ude00", "\ufffd"), ids());
  }

  @Test
  void jsonArrayAndNdjsonDecodeTheSameBytesToTheSameDocuments() throws Exception {
    String doc =
        "{\"id\": \"caf\u00e9 \ud83d\ude00\", \"text\": \"t\", \"metadata\": {\"k\u00e9\": \"v\"}}";
    ok(send("POST", DOCS, doc.getBytes(StandardCharsets.UTF_8), "application/x-ndjson"));
    List<String> viaNdjson = ids();
    ok(post(DOCS + "/delete", "{\"filter\": {\"match_all\": {}}}"));
    ok(post(DOCS, "[" + doc + "]"));
    assertEquals(viaNdjson, ids());
    assertEquals(List.of("caf\u00e9 \ud83d\ude00"), ids());
  }

  @Test
  void pathSegmentsAreDecodedStrictly() throws Exception {
    ok(
        post(
            DOCS,
            "[{\"id\": \"a b+c/\u00e9\", \"text\": \"t\"}, {\"id\": \"%\", \"text\": \"t\"}]"));
    // '+' stays a plus, %2F is a slash inside the id, UTF-8 escapes decode exactly.
    assertTrue(ok(raw("DELETE", DOCS + "/a%20b+c%2F%C3%A9", null)).get("deleted").asBoolean());
    assertTrue(ok(raw("DELETE", DOCS + "/%25", null)).get("deleted").asBoolean());
    // Jetty's URI parser refuses some malformed escapes itself (its 400 is JSON too); the rest
    // reach the strict decoder, which names the parameter.
    for (String bad : List.of("%zz", "%", "%4", "a%g0")) {
      JsonNode e = error(raw("DELETE", DOCS + "/" + bad, null), 400, null, null);
      String type = e.get("type").asText();
      assertTrue(type.equals("invalid_path") || type.equals("bad_request"), bad + ": " + e);
      if (type.equals("invalid_path")) assertEquals("path parameter {id}", e.get("field").asText());
    }
    // Not UTF-8: Jetty refuses it ("Bad UTF-8 encoding"), or else the strict decoder does.
    for (String method : List.of("DELETE", "PATCH"))
      for (String bad : List.of("%C3%28", "%ED%A0%80", "%FF")) {
        JsonNode e = error(raw(method, DOCS + "/" + bad, "{\"metadata\": null}"), 400, null, null);
        assertTrue(
            Set.of("invalid_text", "bad_request").contains(e.get("type").asText()), bad + ": " + e);
      }
    JsonNode e = error(raw("GET", "/v1/indexes/%zz", null), 400, null, null);
    assertTrue(
        Set.of("invalid_path", "bad_request").contains(e.get("type").asText()), e.toString());
  }

  // ---- 2. no client-controlled value becomes an unbounded label

  @Test
  void madeUpMethodsAndPathsAddNoMetricSeries() throws Exception {
    // Warm up every label the loop below may produce, then compare the series count.
    raw("BREW", "/x", null);
    raw("GET", "/nope/0", null);
    series(); // the first scrape's own series appears from the second on
    int before = series();
    for (int i = 0; i < 200; i++) {
      error(raw("M" + i, "/v1/health", null), 405, "method_not_allowed", null);
      error(raw("GET", "/nope/" + i + "/" + "x".repeat(i), null), 404, null, null);
    }
    String metrics = raw("GET", "/metrics", null).text();
    assertFalse(metrics.contains("M17"), "a made-up method became a label");
    assertFalse(metrics.contains("/nope/"), "an unmatched path became a label");
    assertEquals(before, series(), "the metrics grew with client-chosen values");
  }

  // ---- 3. Lucene and JVM limits checked before Lucene, exact numbers

  @Test
  void limitsAreCheckedBeforeLuceneSeesTheInput() throws Exception {
    ok(post(DOCS, "[{\"id\": \"a\", \"text\": \"t\", \"metadata\": {\"tag\": \"red\"}}]"));
    StringBuilder should = new StringBuilder();
    for (int i = 0; i < 2000; i++)
      should.append(i == 0 ? "" : ",").append("{\"term\": {\"tag\": \"t" + i + "\"}}");
    String bool = "{\"bool\": {\"should\": [" + should + "]}}";
    error(
        post("/v1/indexes/h/search", "{\"query\": \"t\", \"filter\": " + bool + "}"),
        400,
        "invalid_filter",
        null);
    error(post(DOCS + "/delete", "{\"filter\": " + bool + "}"), 400, "invalid_filter", null);
    String deep = "{\"bool\": {\"must\": [".repeat(40) + "{\"match_all\": {}}" + "]}}".repeat(40);
    error(post(DOCS + "/delete", "{\"filter\": " + deep + "}"), 400, "invalid_filter", null);
    // Within the limit: a filter of 200 term clauses is answered.
    StringBuilder few = new StringBuilder();
    for (int i = 0; i < 100; i++)
      few.append(i == 0 ? "" : ",").append("{\"term\": {\"tag\": \"t" + i + "\"}}");
    ok(
        post(
            "/v1/indexes/h/search",
            "{\"query\": \"t\", \"filter\": {\"bool\": {\"should\": [" + few + "]}}}"));
    // An immense metadata key (Lucene's term limit is 32766 UTF-8 bytes).
    error(
        post(
            DOCS,
            "[{\"id\": \"b\", \"text\": \"t\", \"metadata\": {\""
                + "k".repeat(40_000)
                + "\": 1}}]"),
        400,
        "invalid_metadata",
        null);
    assertEquals(List.of("a"), ids());
  }

  @Test
  void numbersAreParsedExactlyNeverWrappedOrClamped() throws Exception {
    ok(post(DOCS, "[{\"id\": \"a\", \"text\": \"t\"}]"));
    String search = "/v1/indexes/h/search";
    // 2^64 + 10 would wrap to 10 as a long, 2^32 + 10 to 10 as an int.
    for (String k :
        List.of("18446744073709551626", "4294967306", "0", "-1", "1001", "1.5", "1e1", "\"10\""))
      error(post(search, "{\"query\": \"t\", \"k\": " + k + "}"), 400, "invalid_request", null);
    for (String from : List.of("9223372036854775807", "9223372036854775808", "-1", "991", "1e2"))
      error(
          post(search, "{\"query\": \"t\", \"k\": 10, \"from\": " + from + "}"),
          400,
          "invalid_request",
          null);
    assertEquals(
        1, ok(post(search, "{\"query\": \"t\", \"k\": 10, \"from\": 0}")).get("hits").size());
    ok(post(search, "{\"query\": \"t\", \"k\": 10, \"from\": 990}"));
    for (String m : List.of("4294967297", "0", "1001", "2.0"))
      error(
          post("/v1/indexes/h/merge", "{\"max_segments\": " + m + "}"),
          400,
          "invalid_request",
          null);
    error(
        post("/v1/indexes", "{\"name\": \"p\", \"pool_factor\": 4294967297}"),
        400,
        "invalid_request",
        null);
  }

  // ---- 4. slow bodies

  @Test
  void aBodyTooSlowIsCutAndSlowUploadsAreBoundedWhileSearchesAreAnswered() throws Exception {
    ok(post(DOCS, "[{\"id\": \"a\", \"text\": \"t\"}]"));
    // One byte per 300 ms is far below the minimum rate: 408 once the grace period is over.
    try (Socket s = slowUpload()) {
      long t0 = System.nanoTime();
      OutputStream out = s.getOutputStream();
      RawHttp.Answer a = null;
      for (int i = 0; i < 40 && a == null; i++) {
        Thread.sleep(300);
        try {
          out.write('[');
          out.flush();
        } catch (java.io.IOException closed) {
          // the server answered and closed: read the answer below
        }
        if (s.getInputStream().available() > 0 || i == 39)
          a = RawHttp.parse(s.getInputStream().readAllBytes());
      }
      long ms = (System.nanoTime() - t0) / 1_000_000;
      error(a, 408, "body_too_slow", null);
      assertTrue(ms < RequestGuard.GRACE_MILLIS + 4000, "cut after " + ms + " ms");
    }
    // More slow uploads than the bound: the ones past it are refused with 503 at once, and a
    // normal search is answered meanwhile.
    int n = RequestGuard.DEFAULT_MAX_SLOW_UPLOADS + 8;
    List<Socket> slow = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) slow.add(slowUpload());
      Thread.sleep(1200);
      for (Socket s : slow) {
        s.getOutputStream().write(' ');
        s.getOutputStream().flush();
      }
      Thread.sleep(300);
      int refused = 0;
      for (Socket s : slow) {
        if (s.getInputStream().available() == 0) continue;
        RawHttp.Answer a = RawHttp.parse(s.getInputStream().readAllBytes());
        error(a, 503, "too_many_slow_uploads", null);
        refused++;
      }
      assertEquals(n - RequestGuard.DEFAULT_MAX_SLOW_UPLOADS, refused);
      assertEquals(1, ok(post("/v1/indexes/h/search", "{\"query\": \"t\"}")).get("hits").size());
    } finally {
      for (Socket s : slow) s.close();
    }
  }

  /** A connection that has sent the head of a 10 kB upload and nothing of its body. */
  private static Socket slowUpload() throws Exception {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
    s.setSoTimeout(10_000);
    s.getOutputStream()
        .write(
            ("POST "
                    + DOCS
                    + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 10000\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
    s.getOutputStream().flush();
    return s;
  }

  // ---- 5. disconnects mid-body

  @Test
  void aClientGoneMidBodyIsNotAnErrorInTheLog() throws Exception {
    List<LogRecord> records = new ArrayList<>();
    Handler h =
        new Handler() {
          @Override
          public void publish(LogRecord r) {
            synchronized (records) {
              records.add(r);
            }
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    Logger root = Logger.getLogger("");
    root.addHandler(h);
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      for (int i = 0; i < 20; i++) {
        try (Socket s = slowUpload()) {
          s.getOutputStream().write("[{\"id\": \"x\", \"te".getBytes(StandardCharsets.US_ASCII));
          s.getOutputStream().flush();
          Thread.sleep(20);
          s.setSoLinger(true, 0); // a reset, as a client that crashes
        }
      }
      Thread.sleep(500);
    } finally {
      System.setErr(err);
      root.removeHandler(h);
    }
    String stderr = captured.toString(StandardCharsets.UTF_8);
    synchronized (records) {
      for (LogRecord r : records)
        assertTrue(
            r.getLevel().intValue() < Level.INFO.intValue()
                || !r.getLoggerName().startsWith("dev.latte"),
            "logged at " + r.getLevel() + ": " + r.getMessage());
    }
    assertFalse(stderr.contains("ERROR"), stderr);
    assertFalse(stderr.contains("\tat "), "a stack trace: " + stderr);
    assertEquals(0, ids().size(), "nothing half-written");
    ok(raw("GET", "/v1/health", null));
  }

  // ---- 6. the one JSON error shape on every method

  @Test
  void everyMethodGetsTheJsonErrorEvenFromTheHttpParser() throws Exception {
    for (String method : List.of("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")) {
      // A header line without a colon, a bad escape in the path, an invalid Content-Length.
      byte[][] requests = {
        (method + " /v1/indexes/h HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n").getBytes(),
        (method + " /v1/indexes/%zz/documents/%zz HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(),
        (method + " /v1/indexes/h/documents/x HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n")
            .getBytes(),
      };
      for (byte[] r : requests) {
        RawHttp.Answer a = RawHttp.send(port, r, 10_000);
        assertTrue(a.status() >= 400 && a.status() < 500, method + ": " + a.status());
        error(a, a.status(), null, null);
      }
    }
  }

  // ---- 7. the shape of metadata

  @Test
  void metadataShapeIsBoundedWithClearErrors() throws Exception {
    String huge = manyKeys(5_000); // as many as a 64 kB body holds
    long t0 = System.nanoTime();
    error(
        post(DOCS, "[{\"id\": \"a\", \"text\": \"t\", \"metadata\": " + huge + "}]"),
        400,
        "invalid_metadata",
        "documents[0].metadata");
    assertTrue((System.nanoTime() - t0) / 1e9 < 5, "refused without the work");
    String[] over = {
      manyKeys(InputLimits.MAX_METADATA_KEYS + 1),
      "{\"a\": "
          + "{\"b\": ".repeat(InputLimits.MAX_METADATA_DEPTH)
          + "1"
          + "}".repeat(InputLimits.MAX_METADATA_DEPTH + 1),
      "{\"" + "k".repeat(InputLimits.MAX_METADATA_KEY_CHARS + 1) + "\": 1}",
      "{\"k\": \"" + "v".repeat(InputLimits.MAX_METADATA_STRING_CHARS + 1) + "\"}",
      "{\"k\": 1e999}",
    };
    for (String m : over)
      error(
          post(DOCS, "[{\"id\": \"a\", \"text\": \"t\", \"metadata\": " + m + "}]"),
          400,
          "invalid_metadata",
          null);
    // At every limit exactly: accepted.
    String[] at = {
      manyKeys(InputLimits.MAX_METADATA_KEYS),
      "{\"a\": "
          + "{\"b\": ".repeat(InputLimits.MAX_METADATA_DEPTH - 1)
          + "1"
          + "}".repeat(InputLimits.MAX_METADATA_DEPTH),
      "{\"" + "k".repeat(InputLimits.MAX_METADATA_KEY_CHARS) + "\": 1}",
      "{\"k\": \"" + "v".repeat(InputLimits.MAX_METADATA_STRING_CHARS) + "\"}",
    };
    for (int i = 0; i < at.length; i++)
      ok(post(DOCS, "[{\"id\": \"a" + i + "\", \"text\": \"t\", \"metadata\": " + at[i] + "}]"));
    // A patch that would grow the stored metadata past the limit is refused; the stored stays.
    error(
        raw("PATCH", DOCS + "/a0", "{\"metadata\": {\"one_more\": 1}}"),
        400,
        "invalid_metadata",
        null);
    error(
        post(DOCS + "/update", "[{\"id\": \"a0\", \"metadata\": {\"one_more\": 1}}]"),
        400,
        "invalid_metadata",
        null);
    ok(raw("PATCH", DOCS + "/a0", "{\"metadata\": {\"f0\": null, \"one_more\": 1}}"));
    assertEquals(List.of("a0", "a1", "a2", "a3"), ids());
  }

  private static String manyKeys(int n) {
    StringBuilder b = new StringBuilder("{");
    for (int i = 0; i < n; i++) b.append(i == 0 ? "" : ",").append("\"f").append(i).append("\":1");
    return b.append('}').toString();
  }

  // ---- helpers

  private static byte[] json(String head, byte[] middle, String tail) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(head.getBytes(StandardCharsets.UTF_8));
    b.writeBytes(middle);
    b.writeBytes(tail.getBytes(StandardCharsets.UTF_8));
    return b.toByteArray();
  }

  private static RawHttp.Answer post(String path, String body) throws Exception {
    return send("POST", path, body.getBytes(StandardCharsets.UTF_8), "application/json");
  }

  private static RawHttp.Answer raw(String method, String path, String body) throws Exception {
    return send(
        method,
        path,
        body == null ? null : body.getBytes(StandardCharsets.UTF_8),
        body == null ? null : "application/json");
  }

  private static RawHttp.Answer send(String method, String path, byte[] body, String type)
      throws Exception {
    return RawHttp.send(
        port,
        RawHttp.request(
            method,
            path.getBytes(StandardCharsets.UTF_8),
            type == null ? Map.of() : Map.of("Content-Type", type),
            body,
            body != null),
        20_000);
  }

  private static JsonNode ok(RawHttp.Answer a) throws Exception {
    assertEquals(200, a.status(), a.text());
    return JSON.readTree(a.body());
  }

  /** Checks the one error shape; {@code type} and {@code field} when not null. */
  private static JsonNode error(RawHttp.Answer a, int status, String type, String field)
      throws Exception {
    assertEquals(status, a.status(), a.text());
    JsonNode e = JSON.readTree(a.body()).get("error");
    assertTrue(e != null && e.path("type").isTextual() && e.path("message").isTextual(), a.text());
    if (type != null) assertEquals(type, e.get("type").asText(), a.text());
    if (field != null) assertEquals(field, e.path("field").asText(), a.text());
    assertFalse(a.text().contains("Exception") || a.text().contains("\tat "), a.text());
    return e;
  }

  /** The ids the index holds, sorted. */
  private static List<String> ids() throws Exception {
    StringBuilder q = new StringBuilder("[[1");
    for (int c = 1; c < DIM; c++) q.append(",0");
    JsonNode r =
        ok(
            post(
                "/v1/indexes/h/search",
                "{\"query_vectors\": " + q + "]], \"k\": 1000, \"filter\": {\"match_all\": {}}}"));
    List<String> ids = new ArrayList<>();
    for (JsonNode hit : r.get("hits")) ids.add(hit.get("docid").asText());
    ids.sort(null);
    return ids;
  }

  /** Lines of the metrics exposition that are series (not comments). */
  private static int series() throws Exception {
    int n = 0;
    for (String l : raw("GET", "/metrics", null).text().split("\n"))
      if (!l.isEmpty() && !l.startsWith("#") && l.startsWith("latte_http")) n++;
    return n;
  }
}
