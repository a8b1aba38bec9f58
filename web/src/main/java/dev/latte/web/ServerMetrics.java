package dev.latte.web;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.router.Endpoint;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * The server's Prometheus metrics (Micrometer), scraped at {@code GET /metrics}:
 *
 * <ul>
 *   <li>{@code latte_http_requests_seconds{route, http_method, status}} — every request, by route
 *       template (so {@code /v1/indexes/{name}/search}, not one series per index), with percentiles
 *       0.5 / 0.95 / 0.99;
 *   <li>{@code latte_search_encode_seconds}, {@code latte_search_first_stage_seconds}, {@code
 *       latte_search_rescore_seconds} {@code {method}} — the stages of every search;
 *   <li>{@code latte_search_candidates{method}} — candidates scored per search;
 *   <li>{@code latte_index_documents}, {@code latte_index_bytes} {@code {index}} — per served
 *       index.
 * </ul>
 *
 * Requests that match no route are counted under {@code route="unmatched"}.
 */
public final class ServerMetrics {
  private static final String START = "latte.metrics.start";

  /**
   * Structured access log: one JSON object per request (time, HTTP method, route template, path,
   * status, milliseconds, request bytes) on logger {@code dev.latte.web.access} at INFO, so it can
   * be silenced or routed on its own.
   */
  private static final System.Logger ACCESS = System.getLogger("dev.latte.web.access");

  private static final com.fasterxml.jackson.databind.ObjectMapper LOG_JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  /** Times every request; call from the Javalin config before routes are added. */
  public void install(JavalinConfig cfg) {
    cfg.routes.before(ctx -> ctx.attribute(START, System.nanoTime()));
    cfg.routes.after(this::record);
  }

  /** The {@code GET /metrics} handler. */
  public void serve(Context ctx) {
    ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(scrape());
  }

  private void record(Context ctx) {
    Long t0 = ctx.attribute(START);
    if (t0 == null) return;
    String route = "unmatched";
    try {
      Endpoint e = ctx.endpoints().matchedHttpEndpoint();
      if (e != null) route = e.path;
    } catch (RuntimeException ignored) {
      // no matched endpoint (404, errors before routing)
    }
    Timer.builder("latte_http_requests")
        .description("HTTP requests by route template, method and status")
        .tag("route", route)
        .tag("http_method", method(ctx))
        .tag("status", Integer.toString(ctx.statusCode()))
        .publishPercentiles(0.5, 0.95, 0.99)
        .register(registry)
        .record(Duration.ofNanos(System.nanoTime() - t0));
    if (ACCESS.isLoggable(System.Logger.Level.INFO)) {
      var line = new java.util.LinkedHashMap<String, Object>();
      line.put("ts", java.time.Instant.now().toString());
      line.put("http_method", method(ctx));
      line.put("route", route);
      String path = ctx.path();
      line.put(
          "path",
          path.length() > MAX_LOGGED_PATH ? path.substring(0, MAX_LOGGED_PATH) + "…" : path);
      line.put("status", ctx.statusCode());
      line.put("ms", Math.round((System.nanoTime() - t0) / 1e4) / 100.0);
      line.put("bytes_in", ctx.contentLength());
      try {
        ACCESS.log(System.Logger.Level.INFO, LOG_JSON.writeValueAsString(line));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        // a map of strings and numbers always serialises
      }
    }
  }

  /** Longest path written to the access log (a client chooses it). */
  static final int MAX_LOGGED_PATH = 200;

  /**
   * The method as a label: one of the few the server serves, else "other" — a client chooses the
   * method, and every distinct label value is a new series kept for good.
   */
  static String method(Context ctx) {
    String m = ctx.method().name();
    return RequestGuard.METHODS.contains(m) ? m : "other";
  }

  /** Records the stages of one search. */
  public void search(
      String method, double encodeMs, double firstStageMs, double rescoreMs, long candidates) {
    timer("latte_search_encode", method).record(nanos(encodeMs));
    timer("latte_search_first_stage", method).record(nanos(firstStageMs));
    timer("latte_search_rescore", method).record(nanos(rescoreMs));
    DistributionSummary.builder("latte_search_candidates")
        .description("documents scored by late interaction per search")
        .tag("method", method)
        .register(registry)
        .record(candidates);
  }

  /** Publishes an index's size; the suppliers are read at scrape time. */
  public void index(String name, Supplier<Number> documents, Supplier<Number> bytes) {
    // Strong references: Micrometer holds gauge objects weakly, and these suppliers have no other
    // owner.
    Gauge.builder("latte_index_documents", documents, s -> s.get().doubleValue())
        .strongReference(true)
        .tag("index", name)
        .register(registry);
    Gauge.builder("latte_index_bytes", bytes, s -> s.get().doubleValue())
        .strongReference(true)
        .tag("index", name)
        .register(registry);
  }

  /** Stops publishing an index (after it is deleted). */
  public void removeIndex(String name) {
    registry.getMeters().stream()
        .filter(m -> name.equals(m.getId().getTag("index")))
        .toList()
        .forEach(registry::remove);
  }

  public String scrape() {
    return registry.scrape();
  }

  private Timer timer(String name, String method) {
    return Timer.builder(name)
        .tag("method", method)
        .publishPercentiles(0.5, 0.95)
        .register(registry);
  }

  private static Duration nanos(double ms) {
    return Duration.ofNanos((long) (ms * 1e6));
  }
}
