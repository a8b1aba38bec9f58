package dev.latte.web;

import com.fasterxml.jackson.databind.JsonNode;
import dev.latte.core.codec.TokenCodec;
import dev.latte.encoders.TokenEncoder;
import dev.latte.indexer.IndexOptions;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code /v1/indexes} and {@code /v1/indexes/{name}}: list, create, describe, delete, merge. */
final class IndexRoutes {
  private static final Set<String> CREATE_FIELDS =
      Set.of("name", "model", "codec", "pool_factor", "first_stages", "train_after_documents");

  private final IndexRegistry registry;
  private final ApiKeyAuth auth;
  private final RequestBodies bodies;
  private final ServerMetrics metrics;

  IndexRoutes(IndexRegistry registry, ApiKeyAuth auth, RequestBodies bodies, ServerMetrics m) {
    this.registry = registry;
    this.auth = auth;
    this.bodies = bodies;
    this.metrics = m;
    for (String n : registry.names()) publish(n);
  }

  void register(RouteTable routes) {
    routes.add("GET", "/v1/indexes", this::list);
    routes.add("POST", "/v1/indexes", this::create);
    routes.add("GET", "/v1/indexes/{name}", this::get);
    routes.add("DELETE", "/v1/indexes/{name}", this::delete);
    routes.add("POST", "/v1/indexes/{name}/merge", this::merge);
  }

  private void list(Context ctx) throws Exception {
    auth.authorize(ctx, false);
    List<Map<String, Object>> out = new ArrayList<>();
    for (LiveIndex li : registry.list()) {
      try {
        out.add(IndexJson.describe(li));
      } catch (Refusal.NotFound e) {
        // deleted meanwhile
      }
    }
    ctx.json(Map.of("indexes", out));
  }

  private void get(Context ctx) throws Exception {
    auth.authorize(ctx, false);
    ctx.json(IndexJson.describe(registry.get(ClientInput.pathParam(ctx, "name"))));
  }

  private void create(Context ctx) throws Exception {
    auth.authorize(ctx, true);
    JsonNode body = bodies.object(ctx, CREATE_FIELDS);
    JsonNode n = body.get("name");
    if (n == null || !n.isTextual())
      throw Refusal.invalid("invalid_request", "\"name\" must be a string");
    String name = IndexRegistry.validName(n.textValue());
    TokenEncoder model = registry.encoder();
    JsonNode mo = body.get("model");
    if (mo != null && !mo.isNull()) {
      if (!mo.isTextual())
        throw Refusal.invalid(
            "invalid_request",
            "\"model\" must be a string, one of: " + String.join(", ", registry.modelNames()));
      model = registry.model(mo.textValue());
    }
    TokenCodec codec = TokenCodec.FLOAT32;
    JsonNode c = body.get("codec");
    if (c != null && !c.isNull()) {
      if (!c.isTextual()) throw Refusal.invalid("invalid_request", "\"codec\" must be a string");
      try {
        codec = TokenCodec.fromName(c.textValue());
      } catch (IllegalArgumentException e) {
        throw Refusal.invalid("invalid_request", e.getMessage());
      }
    }
    int poolFactor = 1;
    JsonNode p = body.get("pool_factor");
    if (p != null && !p.isNull()) {
      poolFactor = (int) ClientInput.integer(p, "pool_factor", 1, 16);
    }
    FirstStageSettings stages =
        FirstStageRoutes.applicable(
            FirstStageSettings.parse(body, FirstStageSettings.NONE), body, poolFactor);
    LiveIndex li = registry.create(name, model, new IndexOptions(codec, poolFactor), stages);
    publish(name);
    ctx.status(201).header("Location", "/v1/indexes/" + name).json(IndexJson.describe(li));
  }

  private void delete(Context ctx) throws Exception {
    auth.authorize(ctx, true);
    String name = ClientInput.pathParam(ctx, "name");
    if (!registry.delete(name)) throw Refusal.notFound("no index named \"" + name + "\"");
    metrics.removeIndex(name);
    ctx.json(Map.of("deleted", true));
  }

  private void merge(Context ctx) throws Exception {
    auth.authorize(ctx, true);
    LiveIndex li = registry.get(ClientInput.pathParam(ctx, "name"));
    int maxSegments = 1;
    byte[] bytes = ctx.bodyAsBytes();
    if (bytes.length > 0) {
      JsonNode m = bodies.object(bytes, Set.of("max_segments")).get("max_segments");
      if (m != null) maxSegments = (int) ClientInput.integer(m, "max_segments", 1, 1000);
    }
    long t0 = System.nanoTime();
    li.writes().merge(maxSegments);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("segments", IndexJson.describe(li).get("segments"));
    out.put("took_ms", RequestBodies.millisSince(t0));
    ctx.json(out);
  }

  /** Index size gauges, read from the current snapshot at scrape time (NaN once it is gone). */
  private void publish(String name) {
    metrics.index(name, () -> stat(name, "documents"), () -> stat(name, "bytes_on_disk"));
  }

  private Number stat(String name, String key) {
    try {
      Object v = IndexJson.describe(registry.get(name)).get(key);
      return v instanceof Number n ? n : Double.NaN;
    } catch (Exception e) {
      return Double.NaN;
    }
  }
}
