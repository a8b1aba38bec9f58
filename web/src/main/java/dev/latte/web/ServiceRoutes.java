package dev.latte.web;

import dev.latte.core.kernel.VectorKernel;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** The routes about the server itself: the search page, the OpenAPI document, health, metrics. */
final class ServiceRoutes {
  private final IndexRegistry registry;
  private final ServerMetrics metrics;

  ServiceRoutes(IndexRegistry registry, ServerMetrics metrics) {
    this.registry = registry;
    this.metrics = metrics;
  }

  void register(RouteTable routes) {
    routes.add("GET", "/", this::page);
    routes.add("GET", "/metrics", metrics::serve);
    routes.add("GET", "/openapi.json", this::openApi);
    routes.add("GET", "/v1/health", this::health);
  }

  /** Open like the page: status, index count, the models loaded and the MaxSim kernel in use. */
  private void health(Context ctx) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", "ok");
    body.put("indexes", registry.names().size());
    body.put("model", registry.encoder().config().name());
    body.put("models", registry.modelNames());
    body.put("kernel", VectorKernel.get().name());
    ctx.json(body);
  }

  /** The OpenAPI description of this API (a resource checked against the routes by a test). */
  private void openApi(Context ctx) throws IOException {
    ctx.contentType("application/json").result(resource("openapi.json"));
  }

  /** The search page: a static resource, open like health (its API calls carry the key). */
  private void page(Context ctx) throws IOException {
    ctx.contentType("text/html; charset=utf-8").result(resource("index.html"));
  }

  private static byte[] resource(String name) throws IOException {
    try (var in = LatteService.class.getResourceAsStream(name)) {
      if (in == null) throw new IllegalStateException(name + " missing from the jar");
      return in.readAllBytes();
    }
  }
}
