package dev.latte.web;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.lucene.search.IndexSearcher;

/**
 * The one place where failures become HTTP errors: each {@link Refusal} kind maps to its status,
 * Javalin's own rejections (no route, method not allowed, body too large) and unexpected failures
 * (500, generic message, logged) get the same shape, {@code {"error": {"type", "message", ...}}}.
 * Jetty-level rejections, before any route, are {@link JsonErrorHandler}'s.
 */
final class ErrorResponses {
  private static final System.Logger LOG = System.getLogger(ErrorResponses.class.getName());
  private static final String ERROR_WRITTEN = "latte.error";

  private ErrorResponses() {}

  /** The HTTP status of a refusal. */
  static int status(Refusal r) {
    return switch (r) {
      case Refusal.Invalid i -> 400;
      case Refusal.Unauthorized u -> 401;
      case Refusal.NotFound n -> 404;
      case Refusal.Conflict c -> 409;
      case Refusal.TooLarge t -> 413;
    };
  }

  /** The JSON body of a refusal. */
  static Map<String, Object> body(Refusal r) {
    return body(r.type, r.getMessage(), r.details);
  }

  static Map<String, Object> body(String type, String message, Map<String, Object> details) {
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("type", type);
    error.put("message", message);
    error.putAll(details);
    return Map.of("error", error);
  }

  /** Installs the mapping on a Javalin config; {@code maxBodyBytes} names the body limit. */
  static void install(JavalinConfig cfg, long maxBodyBytes) {
    String bodyLimit = BodyLimitHandler.message(maxBodyBytes);
    cfg.routes.exception(Refusal.class, (e, ctx) -> respond(ctx, status(e), body(e)));
    cfg.routes.exception(
        HttpResponseException.class,
        (e, ctx) -> {
          switch (e.getStatus()) {
            case 413 -> error(ctx, 413, "body_too_large", bodyLimit);
            case 404 -> noRoute(ctx);
            case 405 -> notAllowed(ctx);
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
          if (clientGone(e)) {
            // The client's fault, and it is not listening: one line at a low level, no trace.
            LOG.log(
                System.Logger.Level.DEBUG,
                "client went away during "
                    + ServerMetrics.method(ctx)
                    + " "
                    + DocumentBatch.firstLine(ctx.path())
                    + ": "
                    + DocumentBatch.firstLine(String.valueOf(e.getMessage())));
            error(ctx, 400, "client_gone", "the connection closed before the request was read");
            return;
          }
          if (e instanceof IndexSearcher.TooManyClauses) {
            // Backstop of InputLimits: the query's own terms and the filter together.
            error(
                ctx,
                400,
                "too_many_clauses",
                "the query and filter together make more than "
                    + IndexSearcher.getMaxClauseCount()
                    + " Lucene clauses; shorten the query or simplify the filter");
            return;
          }
          LOG.log(
              System.Logger.Level.ERROR,
              "request " + ctx.method() + " " + ctx.path() + " failed",
              e);
          error(ctx, 500, "internal_error", "the server failed to answer; see its log");
        });
    cfg.routes.error(404, ctx -> unlessWritten(ctx, () -> noRoute(ctx)));
    cfg.routes.error(405, ctx -> unlessWritten(ctx, () -> notAllowed(ctx)));
    cfg.routes.error(
        413, ctx -> unlessWritten(ctx, () -> error(ctx, 413, "body_too_large", bodyLimit)));
  }

  /** True if {@code e} says the client closed the connection (mid-body, or before the answer). */
  static boolean clientGone(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause())
      if (t instanceof org.eclipse.jetty.io.EofException
          || t instanceof java.nio.channels.ClosedChannelException
          || t instanceof java.util.concurrent.TimeoutException) return true;
    return false;
  }

  private static void unlessWritten(Context ctx, Runnable write) {
    if (ctx.attribute(ERROR_WRITTEN) == null) write.run();
  }

  private static void noRoute(Context ctx) {
    error(ctx, 404, "not_found", "no route " + ctx.method() + " " + ctx.path());
  }

  private static void notAllowed(Context ctx) {
    error(ctx, 405, "method_not_allowed", ctx.method() + " is not allowed on " + ctx.path());
  }

  static void error(Context ctx, int status, String type, String message) {
    respond(ctx, status, body(type, message, Map.of()));
  }

  private static void respond(Context ctx, int status, Map<String, Object> body) {
    ctx.attribute(ERROR_WRITTEN, Boolean.TRUE);
    ctx.status(status).json(body);
  }
}
