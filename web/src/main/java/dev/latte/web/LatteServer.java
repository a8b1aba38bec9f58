package dev.latte.web;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.latte.searcher.LatteSearcher;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.javalin.json.JavalinJackson;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The HTTP search API over one index.
 *
 * <ul>
 *   <li>{@code POST /v1/search} {@code {"query": "...", "k": 10, "method": "maxsim-exact",
 *       "explain": false}} → {@code {"hits": [{"docid", "score", "rank", "title", "text"}],
 *       "method", "took_ms", "encode_ms", "search_ms", "first_stage_ms", "rescore_ms",
 *       "candidates_scored"}}. With {@code "explain": true} each hit also carries {@code "explain":
 *       {"score", "matches": [{"query_token", "doc_token", "field", "start", "end", "similarity",
 *       "query_row", "doc_row"}]}}: per query token its best document token, the span of that token
 *       in the hit's {@code field} ("title" or "text"; null with start/end -1 when unknown) and its
 *       contribution to the MaxSim score (see {@link dev.latte.searcher.Explanation}; for
 *       non-MaxSim methods it still explains MaxSim)
 *   <li>{@code GET /v1/health} → {@code {"status": "ok", "documents": N, ...}}
 * </ul>
 *
 * Every error is {@code {"error": {"type": "...", "message": "..."}}} with a 4xx status, or 500
 * with a generic message (details go to the log, never to the client).
 */
public final class LatteServer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(LatteServer.class.getName());
  public static final int MAX_K = 1000;
  public static final int MAX_QUERY_CHARS = 10_000;
  public static final long MAX_BODY_BYTES = 1 << 20;

  private final LatteSearcher searcher;
  private final ObjectMapper mapper =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  private final Javalin app;

  public LatteServer(LatteSearcher searcher) {
    this.searcher = searcher;
    this.app =
        Javalin.create(
            cfg -> {
              cfg.jsonMapper(new JavalinJackson(mapper, false));
              cfg.http.maxRequestSize = MAX_BODY_BYTES;
              cfg.startup.showJavalinBanner = false;
              cfg.routes.get("/v1/health", this::health);
              cfg.routes.post("/v1/search", this::search);
              cfg.routes.exception(
                  BadRequest.class,
                  (e, ctx) -> error(ctx, HttpStatus.BAD_REQUEST, e.type, e.getMessage()));
              cfg.routes.exception(
                  Exception.class,
                  (e, ctx) -> {
                    LOG.log(
                        System.Logger.Level.ERROR,
                        "request " + ctx.method() + " " + ctx.path() + " failed",
                        e);
                    error(
                        ctx,
                        HttpStatus.INTERNAL_SERVER_ERROR,
                        "internal_error",
                        "the server failed to answer; see its log");
                  });
              cfg.routes.error(
                  404,
                  ctx ->
                      error(
                          ctx,
                          HttpStatus.NOT_FOUND,
                          "not_found",
                          "no route " + ctx.method() + " " + ctx.path()));
              cfg.routes.error(
                  405,
                  ctx ->
                      error(
                          ctx,
                          HttpStatus.METHOD_NOT_ALLOWED,
                          "method_not_allowed",
                          ctx.method() + " is not allowed on " + ctx.path()));
              cfg.routes.error(
                  413,
                  ctx ->
                      error(
                          ctx,
                          HttpStatus.CONTENT_TOO_LARGE,
                          "body_too_large",
                          "request body over " + MAX_BODY_BYTES + " bytes"));
            });
  }

  /** Starts listening; port 0 picks a free port. */
  public LatteServer start(String host, int port) {
    app.start(host, port);
    return this;
  }

  public int port() {
    return app.port();
  }

  private void health(Context ctx) {
    var stats = searcher.index().stats();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", "ok");
    body.put("documents", stats.documents());
    body.put("tokens", stats.tokens());
    body.put("model", searcher.index().metadata().modelName());
    body.put("methods", searcher.methods());
    body.put("kernel", searcher.kernel().name());
    ctx.json(body);
  }

  private void search(Context ctx) throws Exception {
    JsonNode body;
    try {
      body = mapper.readTree(ctx.bodyAsBytes());
    } catch (Exception e) {
      throw new BadRequest(
          "invalid_json", "request body is not valid JSON: " + firstLine(e.getMessage()));
    }
    if (body == null || !body.isObject())
      throw new BadRequest("invalid_request", "request body must be a JSON object");
    for (var it = body.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!List.of("query", "k", "method", "explain").contains(f)) {
        throw new BadRequest(
            "invalid_request", "unknown field \"" + f + "\"; accepted: query, k, method, explain");
      }
    }
    JsonNode q = body.get("query");
    if (q == null || !q.isTextual())
      throw new BadRequest("invalid_request", "\"query\" must be a string");
    String query = q.asText();
    if (query.isBlank()) throw new BadRequest("invalid_request", "\"query\" must not be blank");
    if (query.length() > MAX_QUERY_CHARS) {
      throw new BadRequest(
          "invalid_request",
          "\"query\" has " + query.length() + " characters; the limit is " + MAX_QUERY_CHARS);
    }
    int k = 10;
    JsonNode kn = body.get("k");
    if (kn != null) {
      if (!kn.isIntegralNumber() || kn.asLong() < 1 || kn.asLong() > MAX_K) {
        throw new BadRequest("invalid_request", "\"k\" must be an integer from 1 to " + MAX_K);
      }
      k = kn.asInt();
    }
    String method = LatteSearcher.DEFAULT_METHOD;
    JsonNode mn = body.get("method");
    if (mn != null) {
      if (!mn.isTextual() || !searcher.methods().contains(mn.asText())) {
        throw new BadRequest("invalid_request", "\"method\" must be one of " + searcher.methods());
      }
      method = mn.asText();
    }
    boolean explain = false;
    JsonNode en = body.get("explain");
    if (en != null) {
      if (!en.isBoolean())
        throw new BadRequest("invalid_request", "\"explain\" must be a boolean (true or false)");
      explain = en.booleanValue();
    }
    LatteSearcher.SearchResponse r = searcher.search(method, query, k, explain);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("hits", r.hits());
    out.put("method", r.method());
    out.put("took_ms", round(r.tookMillis()));
    out.put("encode_ms", round(r.encodeMillis()));
    out.put("search_ms", round(r.searchMillis()));
    out.put("first_stage_ms", round(r.firstStageMillis()));
    out.put("rescore_ms", round(r.rescoreMillis()));
    out.put("candidates_scored", r.candidatesScored());
    ctx.json(out);
  }

  private static double round(double ms) {
    return Math.round(ms * 1000) / 1000.0;
  }

  private static String firstLine(String s) {
    if (s == null) return "";
    int nl = s.indexOf('\n');
    String line = nl < 0 ? s : s.substring(0, nl);
    return line.length() > 200 ? line.substring(0, 200) : line;
  }

  private static void error(Context ctx, HttpStatus status, String type, String message) {
    ctx.status(status).json(Map.of("error", Map.of("type", type, "message", message)));
  }

  @Override
  public void close() {
    app.stop();
  }

  /** A request the client must fix; answered 400. */
  static final class BadRequest extends RuntimeException {
    final String type;

    BadRequest(String type, String message) {
      super(message);
      this.type = type;
    }
  }
}
