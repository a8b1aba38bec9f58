package dev.latte.web;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.latte.encoders.BundledModel;
import dev.latte.encoders.OnnxTokenEncoder;
import dev.latte.searcher.LatteSearcher;
import dev.latte.searcher.firststage.FirstStages;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The served {@code /openapi.json} is one that tools accept: Redocly CLI's recommended rules find
 * nothing in it (the pinned CLI in {@code web/openapi-lint}, installed by {@code npm ci} there;
 * {@code .ci/run} does that), every operation has an {@code operationId}, a security requirement
 * and 4xx responses with the error schema, and its method and first-stage lists are the searcher's
 * own. Without the CLI the lint is skipped on a developer's machine and fails under {@code
 * CI=true}.
 */
class OpenApiDocumentTest {
  static final Path LINT_DIR = Path.of(System.getProperty("latte.openapi-lint", "openapi-lint"));
  static final Set<String> OPEN =
      Set.of("GET /", "GET /v1/health", "GET /metrics", "GET /openapi.json");

  @TempDir static Path tmp;
  static OnnxTokenEncoder encoder;
  static IndexRegistry registry;
  static LatteService service;
  static byte[] served;
  static JsonNode spec;
  static final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    encoder = OnnxTokenEncoder.load(BundledModel.folder(), 1, 1);
    registry = new IndexRegistry(tmp.resolve("data"), encoder, 1, 1, 0);
    service = new LatteService(registry, new LatteService.Options("k", true, 1 << 20));
    service.start("127.0.0.1", 0);
    HttpResponse<byte[]> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + service.port() + "/openapi.json"))
                    .build(),
                HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, r.statusCode());
    served = r.body();
    spec = json.readTree(served);
  }

  @AfterAll
  static void stop() throws Exception {
    if (service != null) service.close();
    if (registry != null) registry.close();
    if (encoder != null) encoder.close();
  }

  /** Every operation as "METHOD /path" with its object. */
  static List<java.util.Map.Entry<String, JsonNode>> operations() {
    List<java.util.Map.Entry<String, JsonNode>> out = new ArrayList<>();
    spec.get("paths")
        .properties()
        .forEach(
            p ->
                p.getValue()
                    .properties()
                    .forEach(
                        m -> {
                          if (!m.getKey().equals("parameters"))
                            out.add(
                                java.util.Map.entry(
                                    m.getKey().toUpperCase() + " " + p.getKey(), m.getValue()));
                        }));
    return out;
  }

  @Test
  void servedDocumentIsTheResource() throws Exception {
    try (var in = LatteService.class.getResourceAsStream("openapi.json")) {
      assertArrayEquals(in.readAllBytes(), served);
    }
  }

  @Test
  void everyOperationIsNamedSecuredAndDescribesItsErrors() {
    Set<String> ids = new HashSet<>();
    for (var op : operations()) {
      String name = op.getKey();
      JsonNode o = op.getValue();
      assertTrue(o.hasNonNull("operationId"), name + " has no operationId");
      assertTrue(ids.add(o.get("operationId").asText()), "duplicate operationId in " + name);
      JsonNode security = o.get("security");
      assertTrue(security != null && security.isArray(), name + " declares no security");
      boolean optional = false, bearer = false;
      for (JsonNode s : security) {
        if (s.isEmpty()) optional = true;
        if (s.has("bearer")) bearer = true;
      }
      if (OPEN.contains(name)) {
        assertTrue(security.isEmpty(), name + " is always open");
      } else {
        assertTrue(bearer, name + " does not declare the bearer key");
        // Reads need the key only with --api-key-required-for-reads: optional; writes always.
        boolean read = name.startsWith("GET ") || name.contains("/search");
        assertEquals(read, optional, name + ": the key is optional exactly on reads");
        assertTrue(o.get("responses").has("401"), name + " has no 401");
      }
      boolean anyClientError = false;
      for (var r : o.get("responses").properties()) {
        if (!r.getKey().startsWith("4")) continue;
        anyClientError = true;
        assertEquals(
            "#/components/schemas/Error",
            r.getValue().at("/content/application~1json/schema/$ref").asText(),
            name + " " + r.getKey() + " does not answer the error schema");
      }
      assertTrue(anyClientError, name + " has no 4xx response");
    }
    assertFalse(spec.get("servers").isEmpty(), "servers");
    assertTrue(spec.at("/info/license/identifier").isTextual(), "license");
    assertTrue(spec.at("/info/contact/name").isTextual(), "contact");
  }

  @Test
  void openRoutesAnswerTheirDocumented413() throws Exception {
    // The body limit is enforced before routing, so even GET /v1/health has a 4xx to document.
    for (String path : List.of("/v1/health", "/openapi.json")) {
      HttpResponse<String> r =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + path))
                      .method("GET", HttpRequest.BodyPublishers.ofString("x".repeat((1 << 20) + 1)))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertEquals(413, r.statusCode(), path);
      assertEquals("body_too_large", json.readTree(r.body()).at("/error/type").asText(), path);
    }
  }

  @Test
  void methodAndFirstStageListsAreTheSearchersOwn() {
    List<String> methods = new ArrayList<>();
    spec.at("/components/schemas/SearchRequest/properties/method/enum")
        .forEach(m -> methods.add(m.asText()));
    assertEquals(LatteSearcher.methodNames(), methods);
    Set<String> stages = new TreeSet<>(FirstStages.builders().keySet());
    for (String pointer :
        List.of(
            "/components/schemas/IndexSettings/properties/first_stages/oneOf/0/items/enum",
            "/paths/~1v1~1indexes~1{name}~1first-stages/post/requestBody/content/application~1json"
                + "/schema/properties/first_stages/oneOf/0/items/enum",
            "/paths/~1v1~1indexes~1{name}~1first-stages~1{stage}/parameters/1/schema/enum")) {
      Set<String> listed = new TreeSet<>();
      JsonNode e = spec.at(pointer);
      assertTrue(e.isArray(), pointer);
      e.forEach(s -> listed.add(s.asText()));
      assertEquals(stages, listed, pointer);
    }
  }

  @Test
  void redoclyRecommendedRulesFindNothing() throws Exception {
    Path cli = LINT_DIR.resolve("node_modules/.bin/redocly");
    if (!Files.isExecutable(cli)) {
      String why =
          "Redocly CLI is not installed at "
              + cli.toAbsolutePath()
              + ": run `npm ci` in web/openapi-lint (node >= 20.19; .ci/run does it)";
      if ("true".equals(System.getenv("CI"))) fail(why);
      Assumptions.abort("skipped: " + why);
    }
    Path doc = tmp.resolve("served-openapi.json");
    Files.write(doc, served);
    ProcessBuilder pb =
        new ProcessBuilder(
                cli.toAbsolutePath().toString(),
                "lint",
                "--config",
                LINT_DIR.resolve("redocly.yaml").toAbsolutePath().toString(),
                "--format=json",
                doc.toString())
            .redirectError(tmp.resolve("redocly.stderr").toFile());
    // No telemetry or update check: CI has no internet, and the lint must not wait for it.
    pb.environment().put("REDOCLY_TELEMETRY", "off");
    pb.environment().put("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true");
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "redocly lint did not finish");
    String report = new String(out, StandardCharsets.UTF_8);
    JsonNode result;
    try {
      result = json.readTree(report);
    } catch (Exception e) {
      throw new AssertionError(
          "redocly printed no JSON report (exit "
              + p.exitValue()
              + "): "
              + report
              + Files.readString(tmp.resolve("redocly.stderr")),
          e);
    }
    // Warnings count too: every one the recommended rules raise is fixable in this document.
    assertEquals(0, result.at("/totals/errors").asInt(), report);
    assertEquals(0, result.at("/totals/warnings").asInt(), report);
    assertEquals(0, p.exitValue(), report);
  }
}
