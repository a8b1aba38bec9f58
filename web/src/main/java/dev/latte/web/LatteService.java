package dev.latte.web;

import io.javalin.Javalin;
import io.javalin.json.JavalinJackson;
import java.util.List;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.handler.GracefulHandler;

/**
 * The HTTP API over the live indexes of a data folder ({@link IndexRegistry}): JSON in and out,
 * snake_case. The routes, their bodies, answers and errors are specified in one place, the OpenAPI
 * document {@code openapi.json} beside this class (served at {@code GET /openapi.json}; a test
 * checks it against {@link #routes()}). This class wires Jetty and Javalin: the route classes per
 * resource ({@link ServiceRoutes}, {@link IndexRoutes}, {@link DocumentRoutes}, {@link
 * SearchRoutes}, {@link FirstStageRoutes}), the API key check ({@link ApiKeyAuth}), the one mapping
 * of failures to JSON errors ({@link ErrorResponses}, {@link JsonErrorHandler}) and metrics ({@link
 * ServerMetrics}).
 *
 * <p><b>Durability and visibility.</b> Every write answers only after a Lucene commit and a refresh
 * ({@link LiveIndex}): once a client has its 200, the write is on disk and every search that starts
 * afterwards sees it. A write that fails leaves the index at its previous commit.
 *
 * <p><b>Timeouts and shutdown.</b> A connection that sends or reads nothing for the idle timeout is
 * closed; a request whose handler is busy is not cut off by it. {@link #close()} stops gracefully:
 * no new connections, requests in flight run to completion and get their answer, new requests on
 * open connections get 503 {@code shutting_down}, and after the stop timeout the connections still
 * open are closed and their handlers interrupted (an unfinished write rolls back to the last
 * commit).
 */
public final class LatteService implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(LatteService.class.getName());
  public static final long DEFAULT_MAX_BODY_BYTES = 10L << 20;
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

  private final Options options;
  private final Javalin app;
  private RouteTable routes;
  private Server jetty; // set when Javalin builds its server, at start

  /** The API over {@code registry} (which the caller closes after this). */
  public LatteService(IndexRegistry registry, Options options) {
    this.options = options;
    ApiKeyAuth auth = new ApiKeyAuth(options.apiKey(), options.keyRequiredForReads());
    RequestBodies bodies = new RequestBodies();
    ServerMetrics metrics = new ServerMetrics();
    this.app =
        Javalin.create(
            cfg -> {
              cfg.jsonMapper(new JavalinJackson(bodies.mapper, false));
              cfg.http.maxRequestSize = options.maxBodyBytes();
              cfg.startup.showJavalinBanner = false;
              cfg.jetty.modifyServer(this::configure);
              // Jetty caches the header fields a connection repeats and by default matches a
              // cached value ignoring case, so "Bearer KEY" in capitals could come back as the
              // key itself from an earlier request on the connection: keys must match exactly.
              cfg.jetty.modifyHttpConfiguration(h -> h.setHeaderCacheCaseSensitive(true));
              cfg.events.serverStarting(this::setIdleTimeouts);
              metrics.install(cfg);
              routes = new RouteTable(cfg);
              new ServiceRoutes(registry, metrics).register(routes);
              new IndexRoutes(registry, auth, bodies, metrics).register(routes);
              new DocumentRoutes(registry, auth, bodies).register(routes);
              new SearchRoutes(registry, auth, bodies, metrics).register(routes);
              new FirstStageRoutes(registry, auth, bodies).register(routes);
              ErrorResponses.install(cfg, options.maxBodyBytes());
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
    // Outermost first: BodyLimitHandler refuses a declared oversized body before anything reads
    // it (no 100-continue go-ahead), GracefulHandler tracks the request from then on (uploads
    // included), RequestGuard reads the body without holding a thread, then Javalin runs.
    server.insertHandler(
        new RequestGuard(options.maxBodyBytes(), RequestGuard.DEFAULT_MAX_SLOW_UPLOADS));
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

  /** Every route as "METHOD /path/{param}", as registered (the OpenAPI test compares them). */
  public List<String> routes() {
    return routes.routes();
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
