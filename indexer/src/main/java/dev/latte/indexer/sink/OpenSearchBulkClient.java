package dev.latte.indexer.sink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The few OpenSearch REST calls the bulk sink makes, over {@code java.net.http}, with
 * back-pressure: a whole request answered 429 (or 502/503/504, or a broken connection) is sent
 * again after a growing pause, and so are the items of a {@code _bulk} answered 429 one by one;
 * items refused for their content (4xx other than 429) are returned to the caller, never retried.
 */
public final class OpenSearchBulkClient implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();

  /** One document of a bulk request: its id and its source JSON. */
  public record BulkItem(String id, String source) {}

  /** An item OpenSearch refused for its content. */
  public record Rejected(String id, int status, String reason) {}

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final URI base;
  private final int maxRetries;
  private final long firstPauseMillis;
  private long retries;

  /**
   * @param url the cluster, e.g. {@code http://127.0.0.1:9200}
   * @param maxRetries attempts after the first before giving up on a request
   * @param firstPauseMillis the first pause; each further one doubles, up to 30 s
   */
  public OpenSearchBulkClient(String url, int maxRetries, long firstPauseMillis) {
    this.base = URI.create(url.endsWith("/") ? url : url + "/");
    if (base.getScheme() == null || !base.getScheme().startsWith("http"))
      throw new IllegalArgumentException("--url must be http://host:port or https://…, got " + url);
    this.maxRetries = maxRetries;
    this.firstPauseMillis = firstPauseMillis;
  }

  /**
   * Requests sent again because of back-pressure or transient failures, over this client's life.
   */
  public long retries() {
    return retries;
  }

  /** The answer's status and body. */
  public record Answer(int status, String body) {}

  /** One request, retried on 429/502/503/504 and on I/O failures. */
  public Answer send(String method, String path, String body) throws IOException {
    long pause = firstPauseMillis;
    for (int attempt = 0; ; attempt++) {
      try {
        HttpRequest.Builder b =
            HttpRequest.newBuilder(base.resolve(path))
                .timeout(Duration.ofMinutes(2))
                .header("Content-Type", "application/json");
        b.method(
            method,
            body == null
                ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        int s = r.statusCode();
        if (!(s == 429 || s == 502 || s == 503 || s == 504) || attempt == maxRetries) {
          return new Answer(s, r.body());
        }
      } catch (IOException e) {
        if (attempt == maxRetries)
          throw new IOException(method + " " + base.resolve(path) + " failed: " + e, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
      retries++;
      pause(pause);
      pause = Math.min(30_000, pause * 2);
    }
  }

  /**
   * Indexes every item into {@code index} (replacing documents with the same id), sending the items
   * answered 429 again until none is left or the retries are spent (then an IOException). Returns
   * the items refused for their content.
   */
  public List<Rejected> bulk(String index, List<BulkItem> items) throws IOException {
    List<Rejected> rejected = new ArrayList<>();
    List<BulkItem> pending = items;
    long pause = firstPauseMillis;
    for (int attempt = 0; !pending.isEmpty(); attempt++) {
      StringBuilder body = new StringBuilder();
      for (BulkItem it : pending) {
        body.append("{\"index\":{\"_index\":")
            .append(JSON.writeValueAsString(index))
            .append(",\"_id\":")
            .append(JSON.writeValueAsString(it.id()))
            .append("}}\n")
            .append(it.source())
            .append('\n');
      }
      Answer a = send("POST", "_bulk", body.toString());
      if (a.status() != 200) {
        throw new IOException("_bulk answered " + a.status() + ": " + abbreviate(a.body()));
      }
      JsonNode answer = JSON.readTree(a.body());
      List<BulkItem> again = new ArrayList<>();
      JsonNode results = answer.get("items");
      for (int i = 0; i < pending.size(); i++) {
        JsonNode r = results.get(i).elements().next();
        int status = r.get("status").asInt();
        if (status == 429 || status >= 500) {
          again.add(pending.get(i));
        } else if (status >= 300) {
          rejected.add(new Rejected(pending.get(i).id(), status, reason(r.get("error"))));
        }
      }
      if (!again.isEmpty()) {
        if (attempt == maxRetries)
          throw new IOException(
              again.size()
                  + " bulk items still refused with 429/5xx after "
                  + maxRetries
                  + " retries");
        retries++;
        pause(pause);
        pause = Math.min(30_000, pause * 2);
      }
      pending = again;
    }
    return rejected;
  }

  /** Stops the HTTP client's threads. */
  @Override
  public void close() {
    http.close();
  }

  private static String reason(JsonNode error) {
    if (error == null) return "unknown";
    JsonNode cause = error.path("caused_by").path("reason");
    String r = error.path("reason").asText(error.toString());
    return cause.isMissingNode() ? r : r + ": " + cause.asText();
  }

  static String abbreviate(String s) {
    return s.length() > 500 ? s.substring(0, 500) + "…" : s;
  }

  private static void pause(long millis) throws IOException {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
