package dev.latte.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/**
 * The web tests' one way to talk to a test server on loopback: build and send a request, and read
 * its answer as JSON, checking the status and, for errors, the API's one error shape.
 */
final class TestHttp {
  static final HttpClient CLIENT = HttpClient.newHttpClient();
  static final ObjectMapper JSON = new ObjectMapper();

  private TestHttp() {}

  /** A request to {@code 127.0.0.1:port}; null body, content type or key: none sent. */
  static HttpRequest request(
      int port, String method, String path, String body, String contentType, String key) {
    var b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (contentType != null) b.header("Content-Type", contentType);
    if (key != null) b.header("Authorization", "Bearer " + key);
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    return b.build();
  }

  static HttpResponse<String> send(
      int port, String method, String path, String body, String contentType, String key)
      throws Exception {
    return send(CLIENT, request(port, method, path, body, contentType, key));
  }

  static HttpResponse<String> send(HttpClient http, HttpRequest request) throws Exception {
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  /** The same request, asking the server to answer before the body is uploaded (100-continue). */
  static HttpRequest expectingContinue(HttpRequest r) {
    return HttpRequest.newBuilder(r, (name, value) -> true).expectContinue(true).build();
  }

  /** The answer's JSON, after checking its status. */
  static JsonNode ok(HttpResponse<String> r, int status) throws Exception {
    assertEquals(status, r.statusCode(), r.body());
    return JSON.readTree(r.body());
  }

  /**
   * The {@code error} object of an error answer, after checking its status, its type, that it is
   * the API's JSON error shape, and that it carries no stack trace.
   */
  static JsonNode error(HttpResponse<String> r, int status, String type) throws Exception {
    assertEquals(status, r.statusCode(), r.body());
    JsonNode e = JSON.readTree(r.body()).get("error");
    assertNotNull(e, r.body());
    assertEquals(type, e.get("type").asText(), r.body());
    assertTrue(e.path("message").isTextual(), r.body());
    assertFalse(
        r.body().contains("Exception") || r.body().contains("at dev."),
        "no stack traces: " + r.body());
    return e;
  }
}
