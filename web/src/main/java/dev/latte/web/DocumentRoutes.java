package dev.latte.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.datasets.Document;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.apache.lucene.search.Query;

/**
 * {@code /v1/indexes/{name}/documents...}: add (JSON array or NDJSON), delete by id or filter, and
 * metadata updates (JSON Merge Patch). Every write answers after its commit and refresh ({@link
 * LiveIndex}).
 */
final class DocumentRoutes {
  private final IndexRegistry registry;
  private final ApiKeyAuth auth;
  private final RequestBodies bodies;

  DocumentRoutes(IndexRegistry registry, ApiKeyAuth auth, RequestBodies bodies) {
    this.registry = registry;
    this.auth = auth;
    this.bodies = bodies;
  }

  void register(RouteTable routes) {
    routes.add("POST", "/v1/indexes/{name}/documents", this::add);
    routes.add("POST", "/v1/indexes/{name}/documents/delete", this::deleteMany);
    routes.add("POST", "/v1/indexes/{name}/documents/update", this::updateMany);
    routes.add("DELETE", "/v1/indexes/{name}/documents/<id>", this::deleteOne);
    routes.add("PATCH", "/v1/indexes/{name}/documents/<id>", this::patchOne);
  }

  private LiveIndex index(Context ctx) {
    auth.authorize(ctx, true);
    return registry.get(ClientInput.pathParam(ctx, "name"));
  }

  private void add(Context ctx) throws Exception {
    LiveIndex li = index(ctx);
    long t0 = System.nanoTime();
    List<Document> docs =
        DocumentBatch.parse(
            bodies.mapper, ctx.bodyAsBytes(), DocumentBatch.isNdjson(ctx.contentType()));
    LiveIndex.Written<Integer> w = li.writes().add(docs);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("indexed", w.value());
    out.put("took_ms", RequestBodies.millisSince(t0));
    if (w.firstStageMillis() != null)
      out.put("first_stages_ms", Math.round(w.firstStageMillis() * 10) / 10.0);
    ctx.json(out);
  }

  private void deleteOne(Context ctx) throws Exception {
    LiveIndex li = index(ctx);
    String id = ClientInput.pathParam(ctx, "id");
    if (id.isBlank()) throw Refusal.invalid("invalid_request", "the id must not be empty");
    ctx.json(Map.of("deleted", li.writes().delete(List.of(id)) > 0));
  }

  private void deleteMany(Context ctx) throws Exception {
    LiveIndex li = index(ctx);
    JsonNode body = bodies.object(ctx, Set.of("ids", "filter"));
    boolean byIds = body.has("ids");
    if (byIds == body.has("filter"))
      throw Refusal.invalid(
          "invalid_request",
          (byIds ? "give \"ids\" or \"filter\", not both" : "say which documents to delete")
              + ": {\"ids\": [...]} deletes by id, {\"filter\": {...}} every document a metadata"
              + " filter matches (the filter shapes of search; {\"match_all\": {}} deletes all)");
    List<String> ids = byIds ? ids(body.get("ids")) : null;
    Query filter = byIds ? null : SearchRequest.filter(body.get("filter"));
    long t0 = System.nanoTime();
    int deleted = byIds ? li.writes().delete(ids) : li.writes().deleteMatching(filter);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("deleted", deleted);
    out.put("took_ms", RequestBodies.millisSince(t0));
    ctx.json(out);
  }

  private static List<String> ids(JsonNode ids) {
    if (ids == null || !ids.isArray() || ids.isEmpty())
      throw Refusal.invalid("invalid_request", "\"ids\" must be a non-empty array");
    DocumentBatch.checkSize(ids.size(), "ids");
    List<String> list = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      JsonNode id = ids.get(i);
      if (!id.isTextual() || id.textValue().isBlank())
        throw Refusal.invalid("invalid_request", "ids[" + i + "] must be a non-empty string");
      list.add(id.textValue());
    }
    return list;
  }

  private void patchOne(Context ctx) throws Exception {
    LiveIndex li = index(ctx);
    String id = ClientInput.pathParam(ctx, "id");
    if (id.isBlank()) throw Refusal.invalid("invalid_request", "the id must not be empty");
    JsonNode patch = MetadataUpdates.single(bodies.mapper, ctx.bodyAsBytes());
    long t0 = System.nanoTime();
    Map<String, ObjectNode> updated =
        li.writes().updateMetadata(Map.of(id, MetadataUpdates.change(id, List.of(patch))));
    if (!updated.containsKey(id))
      throw Refusal.notFound(
          "no document \""
              + DocumentBatch.firstLine(id)
              + "\" in index \""
              + li.name
              + "\"; add it with POST /v1/indexes/"
              + li.name
              + "/documents");
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", id);
    out.put("metadata", updated.get(id));
    out.put("took_ms", RequestBodies.millisSince(t0));
    ctx.json(out);
  }

  private void updateMany(Context ctx) throws Exception {
    LiveIndex li = index(ctx);
    Map<String, List<JsonNode>> patches = MetadataUpdates.batch(bodies.mapper, ctx.bodyAsBytes());
    long t0 = System.nanoTime();
    Map<String, UnaryOperator<ObjectNode>> changes = new LinkedHashMap<>();
    patches.forEach((id, p) -> changes.put(id, MetadataUpdates.change(id, p)));
    Map<String, ObjectNode> updated = li.writes().updateMetadata(changes);
    List<String> notFound = new ArrayList<>();
    for (String id : patches.keySet()) if (!updated.containsKey(id)) notFound.add(id);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("updated", updated.size());
    out.put("not_found", notFound);
    out.put("took_ms", RequestBodies.millisSince(t0));
    ctx.json(out);
  }
}
