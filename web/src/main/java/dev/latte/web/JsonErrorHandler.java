package dev.latte.web;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's own error responses — requests its HTTP parser rejects before any route sees them, such
 * as a URI with an encoded NUL, and the 503 for requests arriving while the server stops gracefully
 * — in the API's JSON error shape instead of Jetty's HTML page, with no stack trace.
 */
final class JsonErrorHandler extends ErrorHandler {
  /** Every method gets the JSON error (Jetty's default writes a body for GET and POST only). */
  @Override
  public boolean errorPageForMethod(String method) {
    return true;
  }

  @Override
  protected void generateResponse(
      Request request,
      Response response,
      int code,
      String message,
      Throwable cause,
      Callback callback) {
    String type =
        code == 413
            ? "body_too_large"
            : code == 503 ? "shutting_down" : code >= 500 ? "internal_error" : "bad_request";
    String text =
        code == 503
            ? "the server is shutting down and takes no new requests; retry on a new connection"
            : code >= 500
                ? "the server failed to answer; see its log"
                : "the HTTP layer rejected the request ("
                    + (message == null ? code : message)
                    + ")";
    writeClosing(response, type, text, callback);
  }

  /**
   * Writes {@code {"error": {"type", "message"}}} as the whole response and says the connection
   * closes: Jetty may close it after such an error without saying so, and a client that reused it
   * for its next request would then get no answer at all.
   */
  static void writeClosing(Response response, String type, String text, Callback callback) {
    String body =
        "{\"error\":{\"type\":\""
            + type
            + "\",\"message\":\""
            + text.replace("\\", "\\\\").replace("\"", "\\\"").replaceAll("[\\x00-\\x1f]", " ")
            + "\"}}";
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.getHeaders().put(HttpHeader.CONNECTION, "close");
    response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
  }
}
