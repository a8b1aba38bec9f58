package dev.latte.web;

import com.fasterxml.jackson.databind.JsonNode;
import dev.latte.indexer.IndexMismatchException;
import dev.latte.searcher.LatteSearcher;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Searches: {@code /v1/indexes/{name}/search}, its batch form (validated whole, answered from one
 * snapshot), and {@code /v1/search} on the server's only index (the first slice's route, kept for
 * {@code serve --index}).
 */
final class SearchRoutes {
  /** Most searches one {@code POST /v1/indexes/{name}/search/batch} may hold. */
  static final int MAX_BATCH_SEARCHES = 64;

  static final Set<String> SEARCH_FIELDS =
      Set.of("query", "query_vectors", "k", "method", "explain", "filter", "from", "include");

  private final IndexRegistry registry;
  private final ApiKeyAuth auth;
  private final RequestBodies bodies;
  private final ServerMetrics metrics;

  SearchRoutes(IndexRegistry registry, ApiKeyAuth auth, RequestBodies bodies, ServerMetrics m) {
    this.registry = registry;
    this.auth = auth;
    this.bodies = bodies;
    this.metrics = m;
  }

  void register(RouteTable routes) {
    routes.add("POST", "/v1/search", this::searchOnlyIndex);
    routes.add("POST", "/v1/indexes/{name}/search", this::search);
    routes.add("POST", "/v1/indexes/{name}/search/batch", this::searchBatch);
  }

  private void search(Context ctx) throws Exception {
    auth.authorize(ctx, false);
    search(ctx, registry.get(ClientInput.pathParam(ctx, "name")));
  }

  private void searchOnlyIndex(Context ctx) throws Exception {
    auth.authorize(ctx, false);
    List<String> names = registry.names();
    if (names.size() != 1)
      throw Refusal.invalid(
          "invalid_request",
          "POST /v1/search searches the server's only index, but it serves "
              + names.size()
              + (names.isEmpty() ? "" : " (" + String.join(", ", names) + ")")
              + "; use POST /v1/indexes/{name}/search");
    search(ctx, registry.get(names.getFirst()));
  }

  private void search(Context ctx, LiveIndex li) throws Exception {
    JsonNode body = bodies.object(ctx, SEARCH_FIELDS);
    IndexSnapshot s = li.acquire();
    try {
      ctx.json(run(li, s.searcher, request(li, s.searcher, body)));
    } finally {
      s.release();
    }
  }

  /**
   * Up to {@value #MAX_BATCH_SEARCHES} search bodies, all validated before any runs, then answered
   * from one snapshot (so every response sees the same documents).
   */
  private void searchBatch(Context ctx) throws Exception {
    auth.authorize(ctx, false);
    LiveIndex li = registry.get(ClientInput.pathParam(ctx, "name"));
    JsonNode searches = bodies.object(ctx, Set.of("searches")).get("searches");
    if (searches == null || !searches.isArray() || searches.isEmpty())
      throw Refusal.invalid(
          "invalid_request",
          "\"searches\" must be a non-empty array of search bodies, each what POST"
              + " /v1/indexes/{name}/search takes");
    if (searches.size() > MAX_BATCH_SEARCHES)
      throw Refusal.invalid(
          "invalid_request",
          "\"searches\" holds "
              + searches.size()
              + " searches; the limit is "
              + MAX_BATCH_SEARCHES
              + ": split the batch");
    long t0 = System.nanoTime();
    IndexSnapshot s = li.acquire();
    try {
      List<SearchRequest> requests = new ArrayList<>();
      for (int i = 0; i < searches.size(); i++) {
        try {
          JsonNode item = searches.get(i);
          if (!item.isObject())
            throw Refusal.invalid(
                "invalid_request",
                "must be a JSON object (a search body), not "
                    + DocumentBatch.firstLine(item.toString()));
          RequestBodies.checkFields(item, SEARCH_FIELDS);
          requests.add(request(li, s.searcher, item));
        } catch (Refusal e) {
          throw e.inItem("searches[" + i + "]", i);
        }
      }
      List<Map<String, Object>> responses = new ArrayList<>();
      for (int i = 0; i < requests.size(); i++) {
        try {
          responses.add(run(li, s.searcher, requests.get(i)));
        } catch (Refusal e) {
          throw e.inItem("searches[" + i + "]", i);
        }
      }
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("responses", responses);
      out.put("took_ms", RequestBodies.millisSince(t0));
      ctx.json(out);
    } finally {
      s.release();
    }
  }

  /** A validated search body, checked against the snapshot's methods and dimension. */
  private static SearchRequest request(LiveIndex li, LatteSearcher searcher, JsonNode body) {
    SearchRequest q = SearchRequest.of(body, searcher.methods());
    int dim = searcher.index().metadata().dimension();
    if (q.vectors() != null && q.vectors().dim() != dim)
      throw Refusal.invalid(
          "invalid_request",
          "\"query_vectors\" are "
              + q.vectors().dim()
              + "-d; index \""
              + li.name
              + "\" holds "
              + dim
              + "-d vectors of model "
              + searcher.index().metadata().modelName());
    return q;
  }

  /** Runs one validated search on {@code searcher}; the response body of {@code /search}. */
  private Map<String, Object> run(LiveIndex li, LatteSearcher searcher, SearchRequest q)
      throws IOException {
    LatteSearcher.SearchResponse r;
    try {
      if (q.vectors() != null) {
        try {
          r =
              searcher.searchVectors(
                  q.method(), q.query(), q.vectors(), q.from() + q.k(), q.filter(), q.explain());
        } catch (IllegalArgumentException e) {
          throw Refusal.invalid("invalid_request", e.getMessage());
        }
      } else {
        r = searcher.search(q.method(), q.query(), q.from() + q.k(), q.filter(), q.explain());
      }
      if (q.from() > 0) {
        var page = r.hits().subList(Math.min(q.from(), r.hits().size()), r.hits().size());
        r =
            new LatteSearcher.SearchResponse(
                r.method(),
                List.copyOf(page),
                r.encodeMillis(),
                r.firstStageMillis(),
                r.rescoreMillis(),
                r.candidatesScored(),
                r.stepsMillis());
      }
      metrics.search(
          r.method(),
          r.encodeMillis(),
          r.firstStageMillis(),
          r.rescoreMillis(),
          r.candidatesScored());
    } catch (IndexMismatchException e) {
      throw Refusal.conflict(
          "first_stage_unavailable",
          "method "
              + q.method()
              + " cannot answer: "
              + DocumentBatch.firstLine(e.getMessage())
                  .replace(li.path.toString(), "\"" + li.name + "\"")
              + " ("
              + String.join(", ", LatteSearcher.methodsWithoutFirstStage())
              + " need no first stage)");
    }
    return SearchRequest.response(r, q.include());
  }
}
