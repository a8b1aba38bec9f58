package dev.latte.web;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Refuses a request whose declared body ({@code Content-Length}) is over the limit with a 413 JSON
 * error, and makes sure the client gets to read it:
 *
 * <ul>
 *   <li>a client that asked {@code Expect: 100-continue} is answered at once, without the go-ahead,
 *       so it never uploads the body (the servlet layer would send the go-ahead as soon as it
 *       read);
 *   <li>a client already uploading has its body read and discarded (up to {@value #DRAIN_CAP}
 *       bytes) before the answer: closing the connection under an upload makes the client's socket
 *       reset, and the reset can destroy the 413 before the client reads it.
 * </ul>
 *
 * Then the connection is closed. Bodies of unknown length are cut at the limit while they are read.
 */
final class BodyLimitHandler extends Handler.Wrapper {
  /** Largest refused body still read to the end so that its sender sees the 413. */
  static final long DRAIN_CAP = 64L << 20;

  private final long maxBytes;

  BodyLimitHandler(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    long length = request.getLength();
    if (length <= maxBytes) return super.handle(request, response, callback);
    boolean expectsContinue =
        request.getHeaders().contains(HttpHeader.EXPECT, HttpHeaderValue.CONTINUE.asString());
    if (expectsContinue || length > DRAIN_CAP) {
      refuse(response, callback);
    } else {
      Content.Source.consumeAll(
          request,
          Callback.from(() -> refuse(response, callback), failure -> refuse(response, callback)));
    }
    return true;
  }

  private void refuse(Response response, Callback callback) {
    response.setStatus(413);
    JsonErrorHandler.writeClosing(response, "body_too_large", message(maxBytes), callback);
  }

  /** The 413's message, the same wherever the limit is enforced. */
  static String message(long maxBytes) {
    return "request body over " + maxBytes + " bytes";
  }
}
