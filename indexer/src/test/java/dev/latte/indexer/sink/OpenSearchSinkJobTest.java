package dev.latte.indexer.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.core.codec.TokenCodec;
import dev.latte.datasets.corpus.Corpus;
import dev.latte.datasets.corpus.FieldMapping;
import dev.latte.encoders.WordHashEncoder;
import dev.latte.indexer.EncodingPipeline;
import dev.latte.indexer.IndexProgress;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenSearch sink against a stand-in for the cluster's REST API on loopback (the real cluster
 * is in the opensearch module's tests): back-pressure is retried (whole requests and single bulk
 * items answered 429), content refusals are reported and not retried, and a job that dies after
 * some windows resumes after the last acknowledged one and ends with every document sent.
 */
class OpenSearchSinkJobTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final int DIM = 8;
  @TempDir Path tmp;
  HttpServer server;

  /** Documents the stand-in holds: id to source. */
  final Map<String, JsonNode> stored = new ConcurrentHashMap<>();

  final AtomicInteger bulkCalls = new AtomicInteger();
  final List<String> requests = new ArrayList<>();

  /**
   * Starts the stand-in; {@code bulkStatus} maps the n-th {@code _bulk} call (0-based) to the HTTP
   * status it answers (200: accept every item whose id does not start with "bad").
   */
  String start(IntUnaryOperator bulkStatus, int itemTooBusyOnCall) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        ex -> {
          String path = ex.getRequestURI().getPath();
          synchronized (requests) {
            requests.add(ex.getRequestMethod() + " " + path);
          }
          byte[] body = ex.getRequestBody().readAllBytes();
          if (path.endsWith("/_mapping")) reply(ex, 404, "{}");
          else if (path.equals("/_bulk")) bulk(ex, body, bulkStatus, itemTooBusyOnCall);
          else reply(ex, 200, "{\"acknowledged\": true}");
        });
    server.start();
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  void bulk(HttpExchange ex, byte[] body, IntUnaryOperator status, int busyCall)
      throws IOException {
    int call = bulkCalls.getAndIncrement();
    int s = status.applyAsInt(call);
    if (s != 200) {
      reply(ex, s, "{\"error\": \"busy\"}");
      return;
    }
    String[] lines = new String(body, StandardCharsets.UTF_8).split("\n");
    StringBuilder items = new StringBuilder();
    for (int i = 0; i + 1 < lines.length; i += 2) {
      String id = JSON.readTree(lines[i]).get("index").get("_id").asText();
      int itemStatus;
      if (id.startsWith("bad")) itemStatus = 400;
      else if (call == busyCall && i == 0) itemStatus = 429; // one item pushed back
      else {
        itemStatus = 201;
        stored.put(id, JSON.readTree(lines[i + 1]));
      }
      if (items.length() > 0) items.append(',');
      items
          .append("{\"index\": {\"_id\": \"")
          .append(id)
          .append("\", \"status\": ")
          .append(itemStatus)
          .append(
              itemStatus == 400
                  ? ", \"error\": {\"reason\": \"failed to parse\", \"caused_by\": {\"reason\":"
                      + " \"row 0 has 3 values\"}}"
                  : "")
          .append("}}");
    }
    reply(ex, 200, "{\"errors\": true, \"items\": [" + items + "]}");
  }

  static void reply(HttpExchange ex, int status, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(status, b.length);
    ex.getResponseBody().write(b);
    ex.close();
  }

  @AfterEach
  void stop() {
    if (server != null) server.stop(0);
  }

  Corpus corpus(int docs, String... badIds) throws IOException {
    return corpus("docs.jsonl", docs, badIds);
  }

  Corpus corpus(String file, int docs, String... badIds) throws IOException {
    Path f = tmp.resolve(file);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < docs; i++) {
      sb.append(
          JSON.writeValueAsString(
              Map.of("_id", "d" + i, "title", "T" + i, "text", "word" + i + " shared text " + i)));
      sb.append('\n');
    }
    for (String bad : badIds) {
      sb.append(JSON.writeValueAsString(Map.of("_id", bad, "text", "refused"))).append('\n');
    }
    Files.writeString(f, sb);
    return Corpus.open(f.toString(), null, FieldMapping.DEFAULT);
  }

  OpenSearchSinkJob job(Corpus corpus, String url, Path state) {
    return new OpenSearchSinkJob(
        corpus,
        new EncodingPipeline(new WordHashEncoder("sink-test", DIM), 2, 2), // windows of 32
        new OpenSearchBulkClient(url, 3, 1),
        "docs",
        "tokens",
        TokenCodec.INT8,
        1,
        state,
        Map.of("model", "sink-test"));
  }

  @Test
  void backPressureIsRetriedAndRefusalsAreReported() throws Exception {
    // Bulk call 0 and 1: whole request 429; call 2: one item 429; then all accepted.
    String url = start(n -> n < 2 ? 429 : 200, 2);
    OpenSearchSinkJob.Result r =
        job(corpus(10, "bad1"), url, tmp.resolve("state.json")).run(IndexProgress.NONE);
    assertEquals(11, r.read());
    assertEquals(1, r.rejected());
    assertEquals(3, r.retries());
    assertTrue(
        r.problems().getFirst().contains("bad1") && r.problems().getFirst().contains("row 0"));
    assertEquals(10, stored.size());
    // What went over the wire is Latte's float32 stored layout of the word-hash vectors.
    WordHashEncoder enc = new WordHashEncoder("sink-test", DIM);
    byte[] sent = Base64.getDecoder().decode(stored.get("d3").get("tokens").asText());
    TokenMatrix expected = enc.encodeQuery("T3 word3 shared text 3").matrix();
    assertEquals(expected, StoredTokenMatrix.decode(sent, 0, sent.length, DIM));
    assertTrue(requests.contains("PUT /docs"), "the missing index is created: " + requests);
  }

  @Test
  void aJobThatDiesResumesAfterItsLastAcknowledgedWindow() throws Exception {
    Corpus corpus = corpus(100); // 4 windows of 32
    Path state = tmp.resolve("state.json");
    // The cluster accepts two bulks (windows 1 and 2), then fails hard.
    String url = start(n -> n < 2 ? 200 : 500, -1);
    assertThrows(IOException.class, () -> job(corpus, url, state).run(IndexProgress.NONE));
    JsonNode s = JSON.readTree(state.toFile());
    assertEquals(64, s.get("position").asLong());
    assertFalse(s.get("done").asBoolean());
    assertEquals(64, stored.size());
    // Another input while unfinished: refused with what to do.
    var other =
        assertThrows(
            IllegalArgumentException.class,
            () -> job(corpus("other.jsonl", 5), url, state).run(IndexProgress.NONE));
    assertTrue(other.getMessage().contains("delete the file"), other.getMessage());

    server.stop(0);
    stored.clear();
    bulkCalls.set(0);
    Corpus again = Corpus.open(tmp.resolve("docs.jsonl").toString(), null, FieldMapping.DEFAULT);
    String healthy = start(n -> 200, -1);
    OpenSearchSinkJob.Result r = job(again, healthy, state).run(IndexProgress.NONE);
    assertEquals(64, r.resumedFrom());
    assertEquals(36, stored.size(), "only the unacknowledged windows are sent again");
    assertTrue(
        stored.containsKey("d99") && !stored.containsKey("d63") && stored.containsKey("d64"));
    assertEquals(100, r.indexed());
    assertTrue(job(again, healthy, state).run(IndexProgress.NONE).alreadyDone());
  }
}
