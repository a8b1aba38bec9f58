package dev.latte.web;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.core.codec.TokenCodec;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.datasets.Document;
import dev.latte.encoders.TokenEncoder;
import dev.latte.indexer.IndexMismatchException;
import dev.latte.indexer.IndexOptions;
import dev.latte.searcher.LatteSearcher;
import dev.latte.searcher.firststage.FirstStage;
import dev.latte.searcher.firststage.FirstStages;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.json.JavalinJackson;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.apache.lucene.search.Query;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.handler.GracefulHandler;

/**
 * The HTTP API over the live indexes of a data folder ({@link IndexRegistry}); JSON in and out,
 * snake_case.
 *
 * <ul>
 *   <li>{@code GET /} → a search page (one self-contained HTML file, no external resources) over
 *       this API: pick an index and method, search with explanations, see the matched spans
 *       highlighted and a per-document query × document token alignment heatmap
 *   <li>{@code GET /v1/health} → {@code {"status": "ok", "indexes": N, "model", "models",
 *       "kernel"}}: {@code model} is the default model of new indexes, {@code models} all loaded
 *   <li>{@code GET /v1/indexes} → {@code {"indexes": [STATS...]}}, where STATS is {@code {"name",
 *       "model", "codec", "pool_factor", "dimension", "documents", "tokens", "token_bytes",
 *       "bytes_on_disk", "segments", "read_only"}}
 *   <li>{@code POST /v1/indexes} {@code {"name", "model"?, "codec": "float32", "pool_factor": 1}} →
 *       201 STATS; 409 if the name is taken. {@code model} names one of the server's models
 *       (default: the first); the index encodes its documents and queries with it for good.
 *   <li>{@code GET /v1/indexes/{name}} → STATS; {@code DELETE /v1/indexes/{name}} → {@code
 *       {"deleted": true}} (closes the index and deletes its folder) or 404
 *   <li>{@code POST /v1/indexes/{name}/documents}: a JSON array, or NDJSON with {@code
 *       Content-Type: application/x-ndjson}, of {@code {"id", "title"?, "text", "metadata"?}} →
 *       {@code {"indexed": n, "took_ms"}}. Documents replace those with the same id. The whole
 *       batch is validated first (400 naming the item and field; nothing written), then encoded
 *       with the index's model, written and committed.
 *   <li>{@code PATCH /v1/indexes/{name}/documents/{id}} {@code {"metadata": PATCH}} → {@code {"id",
 *       "metadata", "took_ms"}} (the new metadata; null when none is left), 404 for an unknown id;
 *       {@code POST /v1/indexes/{name}/documents/update} {@code [{"id", "metadata": PATCH}...]} →
 *       {@code {"updated": n, "not_found": [ids], "took_ms"}}: unknown ids are listed, not failed,
 *       and the others are updated. PATCH is a JSON Merge Patch (RFC 7386) of the metadata object:
 *       objects merge recursively, {@code null} removes a key, anything else replaces; a PATCH of
 *       {@code null} removes all metadata. The document is re-added from its stored title, text and
 *       token matrix bytes (bit-identical, never re-encoded) with the new metadata indexed for
 *       filters; title and text cannot be patched (they are encoded: add the document again). A
 *       batch is validated whole first (400 naming the item and field; nothing written); updates of
 *       one id apply in order. Like any replacement, an update counts in BM25's statistics until
 *       merged.
 *   <li>{@code DELETE /v1/indexes/{name}/documents/{id}} → {@code {"deleted": true|false}}; {@code
 *       POST /v1/indexes/{name}/documents/delete} {@code {"ids": [...]}} (ids that are awkward in a
 *       URL) or {@code {"filter": {...}}} (every document a metadata filter matches, in the filter
 *       shapes of search; {@code {"match_all": {}}} deletes all), exactly one of them → {@code
 *       {"deleted": n, "took_ms"}}; an invalid filter is 400 {@code invalid_filter}
 *   <li>{@code POST /v1/indexes/{name}/search} {@code {"query" | "query_vectors", "k": 10,
 *       "method": "maxsim-exact", "explain": false, "filter", "from": 0, "include"}} → {@code
 *       {"hits": [{"docid", "score", "rank", "title", "text", "metadata", "explain"?}], "method",
 *       "took_ms", "encode_ms", "search_ms", "first_stage_ms", "rescore_ms", "candidates_scored"}}.
 *       With {@code "explain": true} each hit carries {@code {"score", "matches": [{"query_token",
 *       "doc_token", "field", "start", "end", "similarity", "query_row", "doc_row"}]}}: per query
 *       token its best document token, that token's span in the hit's {@code field} ("title" or
 *       "text"; -1 when unknown) and its contribution to the MaxSim score (see {@link
 *       dev.latte.searcher.Explanation}; non-MaxSim methods are explained by MaxSim too)
 *   <li>{@code POST /v1/search}: the same, on the server's only index (the first slice's route,
 *       kept for {@code serve --index}); 400 when the server holds none or several
 *   <li>{@code POST /v1/indexes/{name}/search/batch} {@code {"searches": [SEARCH...]}}, each SEARCH
 *       what {@code /search} takes, at most {@value #MAX_BATCH_SEARCHES} → {@code {"responses":
 *       [RESPONSE...], "took_ms"}}, each RESPONSE what {@code /search} answers for that SEARCH. All
 *       are validated before any runs (400 naming {@code searches[i]} and the problem, with {@code
 *       "item": i}) and all are answered from one snapshot of the index (a consistent view, even
 *       while writes land). Queries are encoded one by one, as {@code /search} does, so each
 *       response equals that of {@code /search}: the encoders have no query batch API, and the
 *       bundled int8 model quantizes activations per encoder batch, so batching could shift scores.
 *   <li>{@code POST /v1/indexes/{name}/merge} {@code {"max_segments": 1}} → {@code {"segments",
 *       "took_ms"}}: merges away deleted and replaced documents, which still count in BM25's term
 *       statistics until merged (so BM25 scores of a live index drift slightly from those of a
 *       fresh build of the same documents until then)
 * </ul>
 *
 * <p><b>Durability and visibility.</b> Every write answers only after a Lucene commit (the data is
 * on disk; a crash afterwards loses nothing) and after the index was refreshed: once a client has
 * its 200, every search that starts afterwards, its own or anyone's, sees the write. A write that
 * fails answers an error and leaves the index at its previous commit. A scheduled refresh (default
 * every second) additionally picks up commits made by another process to an index served read-only.
 * Adds replace by id and deletes of absent ids are no-ops, so retrying a write whose answer was
 * lost is safe.
 *
 * <p><b>First stages.</b> An index maintains the first stages it was created with ({@code
 * "first_stages": ["xtr", ...] | "all"}) or that {@code POST /v1/indexes/{name}/first-stages} adds
 * (which also retrains them now); {@code DELETE /v1/indexes/{name}/first-stages/{stage}} drops one.
 * Their parameters (centroids, projections) are trained in the background once the index holds
 * {@code train_after_documents} documents (default 1000); from then on every write brings them in
 * step before it is answered (see {@link LiveIndex}). Until a stage is trained, and for stages an
 * index does not maintain, its methods answer 409 {@code first_stage_unavailable} saying why; the
 * methods that need no first stage ({@link LatteSearcher#methodsWithoutFirstStage()}) always work.
 * STATS carries {@code first_stages}: per stage its {@code state} (waiting, training, ready,
 * retraining, out_of_step, failed), {@code trained_on_documents} and, when it cannot answer, the
 * message. Write answers carry {@code first_stages_ms}, the time the write spent keeping them in
 * step.
 *
 * <p><b>Timeouts and shutdown.</b> A connection that sends or reads nothing for the idle timeout
 * (default 30 s; a client stalled mid-request included) is closed; a request whose handler is busy
 * (encoding a large batch, say) is not cut off by it. {@link #close()} stops gracefully: the server
 * stops accepting connections at once, requests already in flight run to completion and get their
 * answer (a write in flight commits), new requests on open connections get 503 {@code
 * shutting_down}, and after the stop timeout (default 30 s) the connections still open are closed
 * and their handlers interrupted (an unfinished write rolls back to the last commit). Both timeouts
 * are {@link Options}.
 *
 * <p><b>Limits.</b> A write request holds at most {@value DocumentBatch#MAX_ITEMS} documents,
 * metadata updates or ids (413 {@code batch_too_large}); bodies over the configured limit get 413
 * {@code body_too_large}.
 *
 * <p><b>Access.</b> With an API key, writes need {@code Authorization: Bearer KEY} (else 401);
 * reads too if so configured; health is always open. Bodies over the configured limit get 413.
 * Errors are {@code {"error": {"type", "message"}}}; 500s carry a generic message only.
 */
public final class LatteService implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(LatteService.class.getName());
  public static final long DEFAULT_MAX_BODY_BYTES = 10L << 20;
  private static final String ERROR_WRITTEN = "latte.error";

  /** Most searches one {@code POST /v1/indexes/{name}/search/batch} may hold. */
  public static final int MAX_BATCH_SEARCHES = 64;

  private static final Set<String> SEARCH_FIELDS =
      Set.of("query", "query_vectors", "k", "method", "explain", "filter", "from", "include");

  public static final long DEFAULT_IDLE_TIMEOUT_MILLIS = 30_000;
  public static final long DEFAULT_STOP_TIMEOUT_MILLIS = 30_000;

  /**
   * @param apiKey the key writes need (null: no key, everything is open)
   * @param keyRequiredForReads reads (listing, stats, search) need the key too
   * @param maxBodyBytes request bodies over this get 413
   * @param idleTimeoutMillis a connection idle this long (no bytes either way, also while the
   *     client is stalled mid-request) is closed
   * @param stopTimeoutMillis how long {@link #close()} lets requests in flight finish (0: none,
   *     connections are closed at once)
   */
  public record Options(
      String apiKey,
      boolean keyRequiredForReads,
      long maxBodyBytes,
      long idleTimeoutMillis,
      long stopTimeoutMillis) {
    public Options {
      if (apiKey != null && apiKey.isBlank()) throw new IllegalArgumentException("empty API key");
      if (keyRequiredForReads && apiKey == null)
        throw new IllegalArgumentException("reads cannot require a key when none is configured");
      if (maxBodyBytes < 1) throw new IllegalArgumentException("body limit must be positive");
      if (idleTimeoutMillis < 1)
        throw new IllegalArgumentException("idle timeout must be positive");
      if (stopTimeoutMillis < 0) throw new IllegalArgumentException("stop timeout must be >= 0");
    }

    /** With the default idle and stop timeouts. */
    public Options(String apiKey, boolean keyRequiredForReads, long maxBodyBytes) {
      this(
          apiKey,
          keyRequiredForReads,
          maxBodyBytes,
          DEFAULT_IDLE_TIMEOUT_MILLIS,
          DEFAULT_STOP_TIMEOUT_MILLIS);
    }

    public static Options open() {
      return new Options(null, false, DEFAULT_MAX_BODY_BYTES);
    }

    /** These options with other timeouts. */
    public Options withTimeouts(long idleTimeoutMillis, long stopTimeoutMillis) {
      return new Options(
          apiKey, keyRequiredForReads, maxBodyBytes, idleTimeoutMillis, stopTimeoutMillis);
    }
  }

  private final IndexRegistry registry;
  private final Options options;
  private final byte[] key;
  private final ObjectMapper mapper =
      new ObjectMapper()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  private final Javalin app;
  private final ServerMetrics metrics = new ServerMetrics();
  private final List<String> routes = new ArrayList<>();
  private Server jetty; // set when Javalin builds its server, at start

  /** The API over {@code registry} (which the caller closes after this). */
  public LatteService(IndexRegistry registry, Options options) {
    this.registry = registry;
    this.options = options;
    this.key = options.apiKey() == null ? null : options.apiKey().getBytes(StandardCharsets.UTF_8);
    this.app =
        Javalin.create(
            cfg -> {
              cfg.jsonMapper(new JavalinJackson(mapper, false));
              cfg.http.maxRequestSize = options.maxBodyBytes();
              cfg.startup.showJavalinBanner = false;
              cfg.jetty.modifyServer(this::configure);
              // Jetty caches the header fields a connection repeats and by default matches a
              // cached value ignoring case, so "Bearer KEY" in capitals could come back as the
              // key itself from an earlier request on the connection: keys must match exactly.
              cfg.jetty.modifyHttpConfiguration(h -> h.setHeaderCacheCaseSensitive(true));
              cfg.events.serverStarting(this::setIdleTimeouts);
              metrics.install(cfg);
              route(cfg, "GET", "/", this::page);
              route(cfg, "GET", "/metrics", metrics::serve);
              route(cfg, "GET", "/openapi.json", this::openApi);
              for (String n : registry.names()) publish(n);
              route(cfg, "GET", "/v1/health", this::health);
              route(cfg, "GET", "/v1/indexes", this::listIndexes);
              route(cfg, "POST", "/v1/indexes", this::createIndex);
              route(cfg, "GET", "/v1/indexes/{name}", this::getIndex);
              route(cfg, "DELETE", "/v1/indexes/{name}", this::deleteIndex);
              route(cfg, "POST", "/v1/indexes/{name}/documents", this::addDocuments);
              route(cfg, "POST", "/v1/indexes/{name}/documents/delete", this::deleteDocuments);
              route(cfg, "POST", "/v1/indexes/{name}/documents/update", this::updateDocuments);
              route(cfg, "DELETE", "/v1/indexes/{name}/documents/<id>", this::deleteDocument);
              route(cfg, "PATCH", "/v1/indexes/{name}/documents/<id>", this::patchDocument);
              route(cfg, "POST", "/v1/search", this::searchOnlyIndex);
              route(cfg, "POST", "/v1/indexes/{name}/search", this::search);
              route(cfg, "POST", "/v1/indexes/{name}/search/batch", this::searchBatch);
              route(cfg, "POST", "/v1/indexes/{name}/merge", this::merge);
              route(cfg, "POST", "/v1/indexes/{name}/first-stages", this::configureFirstStages);
              route(
                  cfg, "DELETE", "/v1/indexes/{name}/first-stages/{stage}", this::removeFirstStage);
              cfg.routes.exception(
                  ApiException.class, (e, ctx) -> respond(ctx, e.status, e.body()));
              cfg.routes.exception(
                  HttpResponseException.class,
                  (e, ctx) -> {
                    switch (e.getStatus()) {
                      case 413 -> error(ctx, 413, "body_too_large", bodyLimitMessage());
                      case 404 ->
                          error(
                              ctx, 404, "not_found", "no route " + ctx.method() + " " + ctx.path());
                      case 405 ->
                          error(
                              ctx,
                              405,
                              "method_not_allowed",
                              ctx.method() + " is not allowed on " + ctx.path());
                      default ->
                          error(
                              ctx,
                              e.getStatus(),
                              e.getStatus() < 500 ? "invalid_request" : "internal_error",
                              e.getMessage());
                    }
                  });
              cfg.routes.exception(
                  Exception.class,
                  (e, ctx) -> {
                    LOG.log(
                        System.Logger.Level.ERROR,
                        "request " + ctx.method() + " " + ctx.path() + " failed",
                        e);
                    error(ctx, 500, "internal_error", "the server failed to answer; see its log");
                  });
              cfg.routes.error(
                  404,
                  ctx -> {
                    if (ctx.attribute(ERROR_WRITTEN) == null)
                      error(ctx, 404, "not_found", "no route " + ctx.method() + " " + ctx.path());
                  });
              cfg.routes.error(
                  405,
                  ctx -> {
                    if (ctx.attribute(ERROR_WRITTEN) == null)
                      error(
                          ctx,
                          405,
                          "method_not_allowed",
                          ctx.method() + " is not allowed on " + ctx.path());
                  });
              cfg.routes.error(
                  413,
                  ctx -> {
                    if (ctx.attribute(ERROR_WRITTEN) == null)
                      error(ctx, 413, "body_too_large", bodyLimitMessage());
                  });
            });
  }

  /**
   * Jetty settings, applied when Javalin builds its server: JSON error pages, and a graceful stop.
   * Jetty 12 stops gracefully only with a {@link GracefulHandler} in the handler tree (it tracks
   * the requests in flight and refuses new ones with 503 once shutting down) and a stop timeout:
   * then {@code Server.stop()} first closes the connectors to new connections, waits up to the
   * timeout for the tracked requests, and only then closes the connections. Javalin wraps its own
   * handler inside whatever is inserted here.
   */
  private void configure(Server server) {
    jetty = server;
    server.setErrorHandler(new JsonErrorHandler());
    server.setStopTimeout(options.stopTimeoutMillis());
    server.insertHandler(new GracefulHandler());
    server.insertHandler(new BodyLimitHandler(options.maxBodyBytes()));
  }

  /** Once Javalin has made its connectors (just before they open): their idle timeout. */
  private void setIdleTimeouts() {
    for (Connector c : jetty.getConnectors())
      if (c instanceof AbstractConnector a) a.setIdleTimeout(options.idleTimeoutMillis());
  }

  /** Starts listening; port 0 picks a free port. */
  public LatteService start(String host, int port) {
    app.start(host, port);
    return this;
  }

  public int port() {
    return app.port();
  }

  private String bodyLimitMessage() {
    return BodyLimitHandler.message(options.maxBodyBytes());
  }

  // ---- routes

  private void health(Context ctx) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", "ok");
    body.put("indexes", registry.names().size());
    body.put("model", registry.encoder().config().name());
    body.put("models", registry.modelNames());
    body.put("kernel", VectorKernel.get().name());
    ctx.json(body);
  }

  private void listIndexes(Context ctx) throws Exception {
    authorize(ctx, false);
    List<Map<String, Object>> out = new ArrayList<>();
    for (LiveIndex li : registry.list()) {
      try {
        out.add(li.describe());
      } catch (ApiException e) {
        // deleted meanwhile
      }
    }
    ctx.json(Map.of("indexes", out));
  }

  private void getIndex(Context ctx) throws Exception {
    authorize(ctx, false);
    ctx.json(registry.get(ctx.pathParam("name")).describe());
  }

  private void createIndex(Context ctx) throws Exception {
    authorize(ctx, true);
    JsonNode body =
        object(
            ctx,
            Set.of(
                "name", "model", "codec", "pool_factor", "first_stages", "train_after_documents"));
    JsonNode n = body.get("name");
    if (n == null || !n.isTextual())
      throw ApiException.badRequest("invalid_request", "\"name\" must be a string");
    String name = IndexRegistry.validName(n.textValue());
    TokenEncoder model = registry.encoder();
    JsonNode mo = body.get("model");
    if (mo != null && !mo.isNull()) {
      if (!mo.isTextual())
        throw ApiException.badRequest(
            "invalid_request",
            "\"model\" must be a string, one of: " + String.join(", ", registry.modelNames()));
      model = registry.model(mo.textValue());
    }
    TokenCodec codec = TokenCodec.FLOAT32;
    JsonNode c = body.get("codec");
    if (c != null && !c.isNull()) {
      if (!c.isTextual())
        throw ApiException.badRequest("invalid_request", "\"codec\" must be a string");
      try {
        codec = TokenCodec.fromName(c.textValue());
      } catch (IllegalArgumentException e) {
        throw ApiException.badRequest("invalid_request", e.getMessage());
      }
    }
    int poolFactor = 1;
    JsonNode p = body.get("pool_factor");
    if (p != null && !p.isNull()) {
      if (!p.isIntegralNumber() || p.asLong() < 1 || p.asLong() > 16)
        throw ApiException.badRequest(
            "invalid_request", "\"pool_factor\" must be an integer from 1 to 16");
      poolFactor = p.asInt();
    }
    FirstStageSettings stages =
        applicable(FirstStageSettings.parse(body, FirstStageSettings.NONE), body, poolFactor);
    LiveIndex li = registry.create(name, model, new IndexOptions(codec, poolFactor), stages);
    publish(name);
    ctx.status(201).header("Location", "/v1/indexes/" + name).json(li.describe());
  }

  private void deleteIndex(Context ctx) throws Exception {
    authorize(ctx, true);
    String name = ctx.pathParam("name");
    if (!registry.delete(name)) throw ApiException.notFound("no index named \"" + name + "\"");
    metrics.removeIndex(name);
    ctx.json(Map.of("deleted", true));
  }

  private void addDocuments(Context ctx) throws Exception {
    authorize(ctx, true);
    LiveIndex li = registry.get(ctx.pathParam("name"));
    long t0 = System.nanoTime();
    List<Document> docs =
        DocumentBatch.parse(mapper, ctx.bodyAsBytes(), DocumentBatch.isNdjson(ctx.contentType()));
    LiveIndex.Written<Integer> w = li.add(docs);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("indexed", w.value());
    out.put("took_ms", millisSince(t0));
    if (w.firstStageMillis() != null)
      out.put("first_stages_ms", Math.round(w.firstStageMillis() * 10) / 10.0);
    ctx.json(out);
  }

  private void deleteDocument(Context ctx) throws Exception {
    authorize(ctx, true);
    LiveIndex li = registry.get(ctx.pathParam("name"));
    String id = ctx.pathParam("id");
    if (id.isBlank()) throw ApiException.badRequest("invalid_request", "the id must not be empty");
    ctx.json(Map.of("deleted", li.delete(List.of(id)) > 0));
  }

  private void deleteDocuments(Context ctx) throws Exception {
    authorize(ctx, true);
    LiveIndex li = registry.get(ctx.pathParam("name"));
    JsonNode body = object(ctx, Set.of("ids", "filter"));
    boolean byIds = body.has("ids");
    if (byIds == body.has("filter"))
      throw ApiException.badRequest(
          "invalid_request",
          (byIds ? "give \"ids\" or \"filter\", not both" : "say which documents to delete")
              + ": {\"ids\": [...]} deletes by id, {\"filter\": {...}} every document a metadata"
              + " filter matches (the filter shapes of search; {\"match_all\": {}} deletes all)");
    List<String> ids = byIds ? ids(body.get("ids")) : null;
    Query filter = byIds ? null : SearchRequest.filter(body.get("filter"));
    long t0 = System.nanoTime();
    int deleted = byIds ? li.delete(ids) : li.deleteMatching(filter);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("deleted", deleted);
    out.put("took_ms", millisSince(t0));
    ctx.json(out);
  }

  private static List<String> ids(JsonNode ids) {
    if (ids == null || !ids.isArray() || ids.isEmpty())
      throw ApiException.badRequest("invalid_request", "\"ids\" must be a non-empty array");
    DocumentBatch.checkSize(ids.size(), "ids");
    List<String> list = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      JsonNode id = ids.get(i);
      if (!id.isTextual() || id.textValue().isBlank())
        throw ApiException.badRequest(
            "invalid_request", "ids[" + i + "] must be a non-empty string");
      list.add(id.textValue());
    }
    return list;
  }

  private void patchDocument(Context ctx) throws Exception {
    authorize(ctx, true);
    LiveIndex li = registry.get(ctx.pathParam("name"));
    String id = ctx.pathParam("id");
    if (id.isBlank()) throw ApiException.badRequest("invalid_request", "the id must not be empty");
    JsonNode patch = MetadataUpdates.single(mapper, ctx.bodyAsBytes());
    long t0 = System.nanoTime();
    Map<String, ObjectNode> updated =
        li.updateMetadata(Map.of(id, MetadataUpdates.change(List.of(patch))));
    if (!updated.containsKey(id))
      throw ApiException.notFound(
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
    out.put("took_ms", millisSince(t0));
    ctx.json(out);
  }

  private void updateDocuments(Context ctx) throws Exception {
    authorize(ctx, true);
    LiveIndex li = registry.get(ctx.pathParam("name"));
    Map<String, List<JsonNode>> patches = MetadataUpdates.batch(mapper, ctx.bodyAsBytes());
    long t0 = System.nanoTime();
    Map<String, UnaryOperator<ObjectNode>> changes = new LinkedHashMap<>();
    patches.forEach((id, p) -> changes.put(id, MetadataUpdates.change(p)));
    Map<String, ObjectNode> updated = li.updateMetadata(changes);
    List<String> notFound = new ArrayList<>();
    for (String id : patches.keySet()) if (!updated.containsKey(id)) notFound.add(id);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("updated", updated.size());
    out.put("not_found", notFound);
    out.put("took_ms", millisSince(t0));
    ctx.json(out);
  }

  private void merge(Context ctx) throws Exception {
    authorize(ctx, true);
    LiveIndex li = registry.get(ctx.pathParam("name"));
    int maxSegments = 1;
    byte[] bytes = ctx.bodyAsBytes();
    if (bytes.length > 0) {
      JsonNode m = object(bytes, Set.of("max_segments")).get("max_segments");
      if (m != null) {
        if (!m.isIntegralNumber() || m.asLong() < 1 || m.asLong() > 1000)
          throw ApiException.badRequest(
              "invalid_request", "\"max_segments\" must be an integer from 1 to 1000");
        maxSegments = m.asInt();
      }
    }
    long t0 = System.nanoTime();
    li.merge(maxSegments);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("segments", li.describe().get("segments"));
    out.put("took_ms", millisSince(t0));
    ctx.json(out);
  }

  private void configureFirstStages(Context ctx) throws Exception {
    authorize(ctx, true);
    LiveIndex li = registry.get(ctx.pathParam("name"));
    JsonNode body = object(ctx, Set.of("first_stages", "train_after_documents", "retrain"));
    FirstStageSettings base = li.firstStageSettings();
    FirstStageSettings given =
        applicable(
            FirstStageSettings.parse(
                body, new FirstStageSettings(List.of(), base.trainAfterDocuments())),
            body,
            li.poolFactor());
    JsonNode r = body.get("retrain");
    if (r != null && !r.isNull() && !r.isBoolean())
      throw ApiException.badRequest("invalid_request", "\"retrain\" must be true or false");
    boolean now = r == null || r.isNull() || r.booleanValue();
    FirstStageSettings next =
        new FirstStageSettings(base.with(given.stages()).stages(), given.trainAfterDocuments());
    List<String> retrain = now ? given.stages() : List.of();
    ctx.status(202).json(Map.of("first_stages", li.configureFirstStages(next, retrain)));
  }

  /**
   * The stages that need every row's word piece ({@link
   * dev.latte.searcher.firststage.FirstStage#needsAnnotations()}, COIL and SLIM): on a pooled index
   * "all" leaves them out and naming one is a 400.
   */
  private static FirstStageSettings applicable(
      FirstStageSettings s, JsonNode body, int poolFactor) {
    if (poolFactor == 1) return s;
    List<String> needRows =
        FirstStages.DEFAULT.all().stream()
            .filter(FirstStage::needsAnnotations)
            .map(FirstStage::name)
            .toList();
    List<String> withoutRows =
        FirstStages.DEFAULT.all().stream()
            .filter(f -> !f.needsAnnotations())
            .map(FirstStage::name)
            .toList();
    if (body.path("first_stages").isTextual())
      return new FirstStageSettings(
          s.stages().stream().filter(n -> !needRows.contains(n)).toList(), s.trainAfterDocuments());
    for (String n : s.stages())
      if (needRows.contains(n))
        throw ApiException.badRequest(
            "invalid_request",
            "the '"
                + n
                + "' first stage needs the word piece of every token row, which an index with"
                + " pool_factor "
                + poolFactor
                + " does not keep; use pool_factor 1, or the "
                + String.join(" and ", withoutRows)
                + " first stages");
    return s;
  }

  private void removeFirstStage(Context ctx) throws Exception {
    authorize(ctx, true);
    LiveIndex li = registry.get(ctx.pathParam("name"));
    String stage = ctx.pathParam("stage");
    if (!dev.latte.searcher.firststage.FirstStages.builders().containsKey(stage))
      throw ApiException.notFound(
          "no first stage named \""
              + (stage.length() > 40 ? stage.substring(0, 40) + "…" : stage)
              + "\"; first stages: "
              + String.join(", ", dev.latte.searcher.firststage.FirstStages.builders().keySet()));
    if (!li.removeFirstStage(stage))
      throw ApiException.notFound(
          "index \"" + li.name + "\" does not maintain the '" + stage + "' first stage");
    ctx.json(Map.of("deleted", true));
  }

  private void search(Context ctx) throws Exception {
    authorize(ctx, false);
    search(ctx, registry.get(ctx.pathParam("name")));
  }

  /**
   * {@code POST /v1/search}, the first slice's route, kept for its clients: a search of the one
   * index the server holds ({@code serve --index}, or a data folder with one index).
   */
  private void searchOnlyIndex(Context ctx) throws Exception {
    authorize(ctx, false);
    List<String> names = registry.names();
    if (names.size() != 1)
      throw ApiException.badRequest(
          "invalid_request",
          "POST /v1/search searches the server's only index, but it serves "
              + names.size()
              + (names.isEmpty() ? "" : " (" + String.join(", ", names) + ")")
              + "; use POST /v1/indexes/{name}/search");
    search(ctx, registry.get(names.getFirst()));
  }

  private void search(Context ctx, LiveIndex li) throws Exception {
    JsonNode body = object(ctx, SEARCH_FIELDS);
    LiveIndex.Snapshot s = li.acquire();
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
    authorize(ctx, false);
    LiveIndex li = registry.get(ctx.pathParam("name"));
    JsonNode searches = object(ctx, Set.of("searches")).get("searches");
    if (searches == null || !searches.isArray() || searches.isEmpty())
      throw ApiException.badRequest(
          "invalid_request",
          "\"searches\" must be a non-empty array of search bodies, each what POST"
              + " /v1/indexes/{name}/search takes");
    if (searches.size() > MAX_BATCH_SEARCHES)
      throw ApiException.badRequest(
          "invalid_request",
          "\"searches\" holds "
              + searches.size()
              + " searches; the limit is "
              + MAX_BATCH_SEARCHES
              + ": split the batch");
    long t0 = System.nanoTime();
    LiveIndex.Snapshot s = li.acquire();
    try {
      List<SearchRequest> requests = new ArrayList<>();
      for (int i = 0; i < searches.size(); i++) {
        try {
          JsonNode item = searches.get(i);
          if (!item.isObject())
            throw ApiException.badRequest(
                "invalid_request",
                "must be a JSON object (a search body), not "
                    + DocumentBatch.firstLine(item.toString()));
          checkFields(item, SEARCH_FIELDS);
          requests.add(request(li, s.searcher, item));
        } catch (ApiException e) {
          throw e.inItem("searches[" + i + "]", i);
        }
      }
      List<Map<String, Object>> responses = new ArrayList<>();
      for (int i = 0; i < requests.size(); i++) {
        try {
          responses.add(run(li, s.searcher, requests.get(i)));
        } catch (ApiException e) {
          throw e.inItem("searches[" + i + "]", i);
        }
      }
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("responses", responses);
      out.put("took_ms", millisSince(t0));
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
      throw ApiException.badRequest(
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
      throws java.io.IOException {
    LatteSearcher.SearchResponse r;
    try {
      if (q.vectors() != null) {
        try {
          r =
              searcher.searchVectors(
                  q.method(), q.query(), q.vectors(), q.from() + q.k(), q.filter(), q.explain());
        } catch (IllegalArgumentException e) {
          throw ApiException.badRequest("invalid_request", e.getMessage());
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
                r.candidatesScored());
      }
      metrics.search(
          r.method(),
          r.encodeMillis(),
          r.firstStageMillis(),
          r.rescoreMillis(),
          r.candidatesScored());
    } catch (IndexMismatchException e) {
      throw ApiException.conflict(
          "first_stage_unavailable",
          "method "
              + q.method()
              + " cannot answer: "
              + DocumentBatch.firstLine(e.getMessage())
                  .replace(li.path.toString(), "\"" + li.name + "\"")
              + " ("
              + String.join(
                  ", ",
                  searcher.methods().stream()
                      .filter(m -> searcher.method(m).firstStage() == null)
                      .toList())
              + " need no first stage)");
    }
    return SearchRequest.response(r, q.include());
  }

  private void route(
      io.javalin.config.JavalinConfig cfg, String method, String path, io.javalin.http.Handler h) {
    switch (method) {
      case "GET" -> cfg.routes.get(path, h);
      case "POST" -> cfg.routes.post(path, h);
      case "DELETE" -> cfg.routes.delete(path, h);
      case "PATCH" -> cfg.routes.patch(path, h);
      default -> throw new IllegalArgumentException(method);
    }
    routes.add(method + " " + path.replace('<', '{').replace('>', '}'));
  }

  /** Every route as "METHOD /path/{param}", as registered (the OpenAPI test compares them). */
  public List<String> routes() {
    return List.copyOf(routes);
  }

  /** The OpenAPI description of this API (a resource checked against the routes by a test). */
  private void openApi(Context ctx) throws java.io.IOException {
    try (var in = LatteService.class.getResourceAsStream("openapi.json")) {
      if (in == null) throw new IllegalStateException("openapi.json missing from the jar");
      ctx.contentType("application/json").result(in.readAllBytes());
    }
  }

  /** The search page: a static resource, open like health (its API calls carry the key). */
  private void page(Context ctx) throws java.io.IOException {
    try (var in = LatteService.class.getResourceAsStream("index.html")) {
      if (in == null) throw new IllegalStateException("index.html missing from the jar");
      ctx.contentType("text/html; charset=utf-8").result(in.readAllBytes());
    }
  }

  /** Index size gauges, read from the current snapshot at scrape time (NaN once it is gone). */
  private void publish(String name) {
    metrics.index(name, () -> describe(name, "documents"), () -> describe(name, "bytes_on_disk"));
  }

  private Number describe(String name, String key) {
    try {
      Object v = registry.get(name).describe().get(key);
      return v instanceof Number n ? n : Double.NaN;
    } catch (Exception e) {
      return Double.NaN;
    }
  }

  // ---- helpers

  /** Fails with 401 unless the request carries the key (when one is configured and needed). */
  private void authorize(Context ctx, boolean write) {
    if (key == null || (!write && !options.keyRequiredForReads())) return;
    String h = ctx.header("Authorization");
    byte[] given = null;
    if (h != null && h.regionMatches(true, 0, "Bearer ", 0, 7))
      given = h.substring(7).strip().getBytes(StandardCharsets.UTF_8);
    if (given == null || !MessageDigest.isEqual(given, key)) {
      ctx.header("WWW-Authenticate", "Bearer realm=\"latte\"");
      throw new ApiException(
          401,
          "unauthorized",
          (write ? "writes" : "requests")
              + " need the header Authorization: Bearer <key>"
              + (h == null ? "" : "; the key given is not valid"));
    }
  }

  /** The body as a JSON object with only {@code allowed} fields. */
  private JsonNode object(Context ctx, Set<String> allowed) {
    return object(ctx.bodyAsBytes(), allowed);
  }

  private JsonNode object(byte[] bytes, Set<String> allowed) {
    JsonNode body = DocumentBatch.readTree(mapper, bytes);
    if (body == null || !body.isObject())
      throw ApiException.badRequest("invalid_request", "request body must be a JSON object");
    checkFields(body, allowed);
    return body;
  }

  /** Fails with a 400 naming the first field of {@code body} that is not {@code allowed}. */
  private void checkFields(JsonNode body, Set<String> allowed) {
    for (var it = body.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!allowed.contains(f)) {
        throw ApiException.badRequest(
            "invalid_request",
            "unknown field \"" + f + "\"; accepted: " + String.join(", ", sorted(allowed)));
      }
    }
  }

  private static List<String> sorted(Set<String> s) {
    List<String> l = new ArrayList<>(s);
    l.sort(null);
    return l;
  }

  private static double millisSince(long t0) {
    return Math.round((System.nanoTime() - t0) / 1000.0) / 1000.0;
  }

  private static void error(Context ctx, int status, String type, String message) {
    respond(ctx, status, new ApiException(status, type, message).body());
  }

  private static void respond(Context ctx, int status, Map<String, Object> body) {
    ctx.attribute(ERROR_WRITTEN, Boolean.TRUE);
    ctx.status(status).json(body);
  }

  /**
   * Stops gracefully (see the class notes): no new connections, requests in flight finish and are
   * answered, for at most the stop timeout. Returns once the server has stopped; the registry stays
   * open (the caller closes it after this).
   */
  @Override
  public void close() {
    try {
      app.stop();
    } catch (RuntimeException e) {
      // Jetty reports the requests it abandoned after the stop timeout; it has stopped anyway.
      LOG.log(
          System.Logger.Level.WARNING,
          "stopped with requests still running after the stop timeout of "
              + options.stopTimeoutMillis()
              + " ms: "
              + DocumentBatch.firstLine(String.valueOf(e.getMessage())));
    }
  }
}
