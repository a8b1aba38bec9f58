package dev.latte.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./latte index --sink opensearch}: its options fail with one-line errors, and a run over
 * precomputed vectors (no model to load) bulk-loads every record into a stand-in for the cluster's
 * REST API, then a second run of the same command does nothing.
 */
class IndexSinkCommandTest {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  @Test
  void sinkOptionsAreChecked() throws IOException {
    Path input = Files.writeString(tmp.resolve("d.jsonl"), "{\"_id\": \"a\", \"text\": \"x\"}\n");
    var r = LatteCommandLineTest.run("index", "--input", input.toString(), "--sink", "opensearch");
    assertEquals(1, r.exit());
    assertTrue(r.err().contains("--url"), r.err());
    r = LatteCommandLineTest.run("index", "--input", input.toString(), "--sink", "solr");
    assertEquals(1, r.exit());
    assertTrue(r.err().contains("--sink is local or opensearch"), r.err());
  }

  @Test
  void precomputedVectorsAreBulkLoadedOnceAndTheRerunDoesNothing() throws Exception {
    StringBuilder jsonl = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      jsonl
          .append(
              JSON.writeValueAsString(
                  Map.of(
                      "_id",
                      "v" + i,
                      "text",
                      "doc " + i,
                      "vectors",
                      List.of(List.of(1.0, i), List.of(0.5, 0.5)))))
          .append('\n');
    }
    Path input = Files.writeString(tmp.resolve("vectors.jsonl"), jsonl);
    List<String> bulkIds = new CopyOnWriteArrayList<>();
    List<String> created = new CopyOnWriteArrayList<>();
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        ex -> {
          String path = ex.getRequestURI().getPath();
          String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          if (path.endsWith("/_mapping")) {
            reply(ex, 404, "{}");
          } else if (path.equals("/_bulk")) {
            StringBuilder items = new StringBuilder();
            String[] lines = body.split("\n");
            for (int i = 0; i < lines.length; i += 2) {
              String id = JSON.readTree(lines[i]).get("index").get("_id").asText();
              bulkIds.add(id);
              items.append(items.isEmpty() ? "" : ",").append("{\"index\": {\"status\": 201}}");
            }
            reply(ex, 200, "{\"errors\": false, \"items\": [" + items + "]}");
          } else {
            if (ex.getRequestMethod().equals("PUT")) created.add(body);
            reply(ex, 200, "{\"acknowledged\": true}");
          }
        });
    server.start();
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort();
      String[] args = {
        "index",
        "--input",
        input.toString(),
        "--sink",
        "opensearch",
        "--url",
        url,
        "--sink-index",
        "vec",
        "--sink-state",
        tmp.resolve("state.json").toString(),
        "--codec",
        "int8"
      };
      var r = LatteCommandLineTest.run(args);
      assertEquals(0, r.exit(), r.err());
      assertTrue(r.out().contains("40 sent to " + url + "/vec"), r.out());
      assertEquals(40, bulkIds.size());
      assertEquals(1, created.size());
      var mapping = JSON.readTree(created.getFirst()).at("/mappings/properties/tokens");
      assertEquals("latte_tokens", mapping.get("type").asText());
      assertEquals(2, mapping.get("dims").asInt());
      assertEquals("int8", mapping.get("codec").asText());
      r = LatteCommandLineTest.run(args);
      assertEquals(0, r.exit(), r.err() + r.out());
      assertTrue(r.out().contains("already complete"), r.out());
      assertEquals(40, bulkIds.size(), "the finished job sent nothing again");
    } finally {
      server.stop(0);
    }
  }

  static void reply(HttpExchange ex, int status, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(status, b.length);
    ex.getResponseBody().write(b);
    ex.close();
  }
}
