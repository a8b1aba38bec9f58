package dev.latte.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.core.TokenMatrix;
import dev.latte.encoders.BundledModel;
import dev.latte.encoders.ModelConfig;
import dev.latte.encoders.OnnxTokenEncoder;
import dev.latte.encoders.TokenEncoder;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One server, several models: each index encodes its documents and queries with the model it was
 * created with, for good, and is served again with that model after a restart (or skipped if the
 * server no longer loads it). The second model is the bundled ONNX network under ColBERT's
 * conventions (query/document markers, [MASK] augmentation to 32 query tokens, [CLS]/[SEP] rows
 * kept), declared in its own folder's {@code latte-model.json}, as a user's export would be.
 */
class MultiModelTest {
  static final String COLBERT = "bge-small-colbert-conventions";
  static final ObjectMapper json = new ObjectMapper();
  static final HttpClient http = HttpClient.newHttpClient();
  @TempDir static Path tmp;
  static OnnxTokenEncoder plain;
  static OnnxTokenEncoder colbert;

  @BeforeAll
  static void load() throws IOException {
    Path bundled = BundledModel.folder();
    plain = OnnxTokenEncoder.load(bundled, 1, 2);
    Path folder = Files.createDirectories(tmp.resolve("colbert-model"));
    for (String f : new String[] {"model.onnx", "tokenizer.json"}) {
      try {
        Files.createSymbolicLink(folder.resolve(f), bundled.resolve(f));
      } catch (UnsupportedOperationException | IOException e) {
        Files.copy(bundled.resolve(f), folder.resolve(f));
      }
    }
    ObjectNode cfg = (ObjectNode) json.readTree(bundled.resolve(ModelConfig.FILE_NAME).toFile());
    cfg.put("name", COLBERT)
        .put("query_marker", "[unused0]")
        .put("document_marker", "[unused1]")
        .put("query_max_length", 32)
        .put("query_augmentation", true)
        .put("mask_token", "[MASK]")
        .put("keep_special_tokens", true);
    json.writeValue(folder.resolve(ModelConfig.FILE_NAME).toFile(), cfg);
    colbert = OnnxTokenEncoder.load(folder, 1, 2);
  }

  @AfterAll
  static void close() {
    if (plain != null) plain.close();
    if (colbert != null) colbert.close();
  }

  @Test
  void eachIndexEncodesWithItsOwnModelAcrossRestarts() throws Exception {
    Path data = tmp.resolve("data");
    String plainName = plain.config().name();
    try (IndexRegistry registry = new IndexRegistry(data, List.of(plain, colbert), 1, 2, 0);
        LatteService service =
            new LatteService(registry, new LatteService.Options(null, false, 1 << 20))
                .start("127.0.0.1", 0)) {
      JsonNode health = send(service, "GET", "/v1/health", null, 200);
      assertEquals(plainName, health.get("model").asText());
      assertEquals(List.of(plainName, COLBERT), texts(health.get("models")));

      JsonNode a = send(service, "POST", "/v1/indexes", "{\"name\": \"a\"}", 201);
      assertEquals(plainName, a.get("model").asText(), "the first model is the default");
      JsonNode b =
          send(
              service,
              "POST",
              "/v1/indexes",
              "{\"name\": \"b\", \"model\": \"" + COLBERT + "\"}",
              201);
      assertEquals(COLBERT, b.get("model").asText());
      JsonNode unknown =
          send(service, "POST", "/v1/indexes", "{\"name\": \"c\", \"model\": \"colbertv2\"}", 400);
      assertEquals("unknown_model", unknown.get("error").get("type").asText());
      String message = unknown.get("error").get("message").asText();
      assertTrue(message.contains(plainName) && message.contains(COLBERT), message);
      send(service, "POST", "/v1/indexes", "{\"name\": \"c\", \"model\": 5}", 400);
      assertEquals(2, send(service, "GET", "/v1/indexes", null, 200).get("indexes").size());

      String docs =
          "[{\"id\": \"1\", \"title\": \"Statins\", \"text\": \"Statins lower LDL cholesterol"
              + " and the risk of heart attacks.\"},"
              + " {\"id\": \"2\", \"text\": \"Espresso is brewed by forcing hot water through"
              + " finely ground coffee.\"},"
              + " {\"id\": \"3\", \"text\": \"Beta blockers slow the heart rate.\"}]";
      send(service, "POST", "/v1/indexes/a/documents", docs, 200);
      send(service, "POST", "/v1/indexes/b/documents", docs, 200);

      // Documents: the ColBERT conventions keep [CLS], marker and [SEP] rows: 3 more per document.
      long tokensA = send(service, "GET", "/v1/indexes/a", null, 200).get("tokens").asLong();
      long tokensB = send(service, "GET", "/v1/indexes/b", null, 200).get("tokens").asLong();
      assertEquals(tokensA + 3 * 3, tokensB);

      // Queries: a text query on each index equals a search with that model's query matrix.
      String q = "drugs that lower cholesterol";
      for (String[] c : new String[][] {{"a", "plain"}, {"b", "colbert"}}) {
        TokenEncoder model = c[1].equals("plain") ? plain : colbert;
        JsonNode byText =
            send(
                service,
                "POST",
                "/v1/indexes/" + c[0] + "/search",
                "{\"query\": \"" + q + "\", \"k\": 3, \"explain\": true}",
                200);
        JsonNode byVectors =
            send(
                service,
                "POST",
                "/v1/indexes/" + c[0] + "/search",
                "{\"query_vectors\": " + vectors(model.encodeQuery(q).matrix()) + ", \"k\": 3}",
                200);
        assertEquals(ids(byText), ids(byVectors), c[0]);
        for (int i = 0; i < byText.get("hits").size(); i++)
          assertEquals(
              byText.get("hits").get(i).get("score").asDouble(),
              byVectors.get("hits").get(i).get("score").asDouble(),
              1e-4,
              c[0] + " hit " + i);
        assertEquals("1", ids(byText).getFirst(), c[0] + ": " + byText);
        List<String> queryTokens = new ArrayList<>();
        for (JsonNode m : byText.get("hits").get(0).get("explain").get("matches"))
          queryTokens.add(m.get("query_token").asText());
        assertEquals(c[0].equals("b"), queryTokens.contains("[marker]"), queryTokens.toString());
        assertEquals(c[0].equals("b"), queryTokens.contains("[MASK]"), queryTokens.toString());
        assertEquals(List.of(model.encodeQuery(q).tokens()), queryTokens);
        if (c[0].equals("b")) assertEquals(32, queryTokens.size(), queryTokens.toString());
      }
    }

    // Restart without the second model: its index is skipped (logged), the other is served.
    try (IndexRegistry registry = new IndexRegistry(data, List.of(plain), 1, 2, 0)) {
      assertEquals(List.of("a"), registry.names());
    }
    // Restart with both, the other first: each index keeps its model; new ones take the first.
    try (IndexRegistry registry = new IndexRegistry(data, List.of(colbert, plain), 1, 2, 0);
        LatteService service =
            new LatteService(registry, new LatteService.Options(null, false, 1 << 20))
                .start("127.0.0.1", 0)) {
      assertEquals(List.of("a", "b"), registry.names());
      assertEquals(
          plainName, send(service, "GET", "/v1/indexes/a", null, 200).get("model").asText());
      assertEquals(COLBERT, send(service, "GET", "/v1/indexes/b", null, 200).get("model").asText());
      assertEquals(
          COLBERT,
          send(service, "POST", "/v1/indexes", "{\"name\": \"c\"}", 201).get("model").asText());
      send(service, "POST", "/v1/indexes/a/documents", "[{\"id\": \"4\", \"text\": \"LDL\"}]", 200);
      assertEquals(4, send(service, "GET", "/v1/indexes/a", null, 200).get("documents").asInt());
    }
  }

  @Test
  void twoModelsWithOneNameAreRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new IndexRegistry(tmp.resolve("dup"), List.of(plain, plain), 1, 2, 0));
    assertTrue(e.getMessage().contains(plain.config().name()), e.getMessage());
    assertFalse(Files.exists(tmp.resolve("dup").resolve("x")));
  }

  private static JsonNode send(LatteService s, String method, String path, String body, int status)
      throws Exception {
    HttpResponse<String> r = TestHttp.send(s.port(), method, path, body, "application/json", null);
    assertEquals(status, r.statusCode(), method + " " + path + " -> " + r.body());
    return json.readTree(r.body());
  }

  private static String vectors(TokenMatrix m) {
    ArrayNode rows = json.createArrayNode();
    for (int i = 0; i < m.rows(); i++) {
      ArrayNode row = rows.addArray();
      for (int d = 0; d < m.dim(); d++) row.add(m.get(i, d));
    }
    return rows.toString();
  }

  private static List<String> ids(JsonNode r) {
    List<String> out = new ArrayList<>();
    for (JsonNode h : r.get("hits")) out.add(h.get("docid").asText());
    return out;
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    for (JsonNode n : array) out.add(n.asText());
    return out;
  }
}
