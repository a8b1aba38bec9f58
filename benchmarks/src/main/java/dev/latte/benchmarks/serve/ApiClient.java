package dev.latte.benchmarks.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.datasets.Document;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The few calls of the HTTP API the benchmark makes. */
final class ApiClient {
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final URI base;
  private final String key;

  ApiClient(URI base, String key) {
    this.base = base;
    this.key = key;
  }

  private HttpRequest.Builder req(String path, Duration timeout) {
    return HttpRequest.newBuilder(base.resolve(path))
        .timeout(timeout)
        .header("Authorization", "Bearer " + key)
        .header("Content-Type", "application/json");
  }

  private HttpResponse<String> post(String path, Object body, Duration timeout)
      throws IOException, InterruptedException {
    return http.send(
        req(path, timeout)
            .POST(
                HttpRequest.BodyPublishers.ofByteArray(ServeBenchmark.JSON.writeValueAsBytes(body)))
            .build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  boolean healthy() {
    try {
      return http.send(
                  req("/v1/health", Duration.ofSeconds(2)).GET().build(),
                  HttpResponse.BodyHandlers.discarding())
              .statusCode()
          == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  void createIndex(String name, List<String> firstStages, int trainAfter)
      throws IOException, InterruptedException {
    HttpResponse<String> r =
        post(
            "/v1/indexes",
            Map.of("name", name, "first_stages", firstStages, "train_after_documents", trainAfter),
            Duration.ofSeconds(60));
    if (r.statusCode() != 201)
      throw new IllegalStateException("creating the index: " + r.statusCode() + " " + r.body());
  }

  /** The state of a first stage of the index (ready, training, waiting, ...). */
  String firstStageState(String name, String stage) throws IOException, InterruptedException {
    HttpResponse<String> r =
        http.send(
            req("/v1/indexes/" + name, Duration.ofSeconds(30)).GET().build(),
            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    if (r.statusCode() != 200)
      throw new IllegalStateException("index stats: " + r.statusCode() + " " + r.body());
    return ServeBenchmark.JSON
        .readTree(r.body())
        .path("first_stages")
        .path(stage)
        .path("state")
        .asText("none");
  }

  /** Waits until every stage is ready; fails if one fails or the time runs out. */
  void awaitFirstStages(String name, List<String> stages, Duration timeout)
      throws IOException, InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    for (String stage : stages) {
      while (true) {
        String state = firstStageState(name, stage);
        if (state.equals("ready") || state.equals("retraining")) break;
        if (!state.equals("training") && !state.equals("waiting"))
          throw new IllegalStateException("first stage " + stage + " is " + state);
        if (System.nanoTime() > end)
          throw new IllegalStateException("first stage " + stage + " not ready in " + timeout);
        Thread.sleep(500);
      }
    }
  }

  /** Live documents of the index, or -1 if it is not served. */
  long documentsOrMissing(String name) throws IOException, InterruptedException {
    HttpResponse<String> r =
        http.send(
            req("/v1/indexes/" + name, Duration.ofSeconds(30)).GET().build(),
            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    if (r.statusCode() == 404) return -1;
    if (r.statusCode() != 200)
      throw new IllegalStateException("index stats: " + r.statusCode() + " " + r.body());
    return ServeBenchmark.JSON.readTree(r.body()).get("documents").asLong();
  }

  long documents(String name) throws IOException, InterruptedException {
    long n = documentsOrMissing(name);
    if (n < 0) throw new IllegalStateException("index " + name + " is gone");
    return n;
  }

  HttpResponse<String> addDocuments(String name, List<Document> docs)
      throws IOException, InterruptedException {
    ArrayNode arr = ServeBenchmark.JSON.createArrayNode();
    for (Document d : docs) {
      ObjectNode o = arr.addObject();
      o.put("id", d.id());
      if (!d.title().isEmpty()) o.put("title", d.title());
      o.put("text", d.text().isBlank() ? d.title() : d.text());
      o.putObject("metadata").put("doc_id", d.id());
    }
    return post("/v1/indexes/" + name + "/documents", arr, Duration.ofSeconds(300));
  }

  HttpResponse<String> search(String name, String query, String method, int k, JsonNode filter)
      throws IOException, InterruptedException {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("query", query);
    body.put("method", method);
    body.put("k", k);
    if (filter != null) body.put("filter", filter);
    return post("/v1/indexes/" + name + "/search", body, Duration.ofSeconds(120));
  }

  /**
   * How many documents carry {@code doc_id} = d's id: a bm25 search for d's own words filtered on
   * that id (maxsim-exact, which scores every filtered document, if bm25 finds nothing).
   */
  int countById(String name, Document d) throws IOException, InterruptedException {
    ObjectNode filter = ServeBenchmark.JSON.createObjectNode();
    filter.putObject("term").put("doc_id", d.id());
    String q = d.contents();
    if (q.length() > 300) q = q.substring(0, 300);
    int n = -1;
    for (String method : new String[] {"bm25", "maxsim-exact"}) {
      HttpResponse<String> r = search(name, q, method, 10, filter);
      if (r.statusCode() != 200)
        throw new IllegalStateException("filtered search: " + r.statusCode() + " " + r.body());
      n = 0;
      for (JsonNode h : ServeBenchmark.JSON.readTree(r.body()).get("hits")) {
        if (!d.id().equals(h.get("docid").asText()))
          throw new IllegalStateException("filter on " + d.id() + " matched " + h.get("docid"));
        n++;
      }
      if (n > 0) return n;
    }
    return n;
  }

  /** A bm25 and a maxsim-exact search both answer 200 with hits. */
  boolean searchable(String name, String query) throws IOException, InterruptedException {
    for (String m : new String[] {"bm25", "maxsim-exact"}) {
      HttpResponse<String> r = search(name, query, m, 10, null);
      if (r.statusCode() != 200 || ServeBenchmark.JSON.readTree(r.body()).get("hits").isEmpty())
        return false;
    }
    return true;
  }
}
