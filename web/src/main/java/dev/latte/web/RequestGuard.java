package dev.latte.web;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The handler before Javalin: what a hostile client could do to the server before any route runs.
 *
 * <ul>
 *   <li><b>Methods.</b> Only the HTTP methods the API knows reach Javalin (it keeps every method
 *       name it sees in a map, and metrics would label by it): others are 405 {@code
 *       method_not_allowed}.
 *   <li><b>Slow bodies.</b> A request body is read here, without holding a thread while waiting for
 *       bytes (Jetty calls back when data arrives), and the route runs only once the whole body is
 *       in. A body must arrive at {@value #MIN_BYTES_PER_SECOND} bytes/s on average once it has
 *       taken {@value #GRACE_MILLIS} ms (408 {@code body_too_slow}); at most {@link
 *       #maxSlowUploads} bodies may be slow (still incomplete after {@value #SLOW_AFTER_MILLIS} ms)
 *       at once, the next is refused with 503 {@code too_many_slow_uploads}. So trickling clients
 *       cost a connection each, never a thread, and searches keep being answered. Jetty's own
 *       {@code MinimumDataRateHandler} measures the rate over all requests of the handler together,
 *       not per request, so it cannot tell one slow client among many fast ones.
 *   <li><b>Disconnects.</b> A client that goes away mid-body is logged once, in one line, at DEBUG:
 *       it is the client's fault and must not fill the log.
 * </ul>
 *
 * Bodies over the size limit are {@link BodyLimitHandler}'s (declared length) and are cut here when
 * their length was not declared.
 */
final class RequestGuard extends Handler.Wrapper {
  private static final System.Logger LOG = System.getLogger(RequestGuard.class.getName());

  /** The HTTP methods passed on (the API's, and those Jetty and browsers use by themselves). */
  static final Set<String> METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");

  static final long MIN_BYTES_PER_SECOND = 1024;
  static final long GRACE_MILLIS = 5000;
  static final long SLOW_AFTER_MILLIS = 1000;
  static final int DEFAULT_MAX_SLOW_UPLOADS = 64;

  private final long maxBodyBytes;
  private final int maxSlowUploads;
  private final AtomicInteger slowUploads = new AtomicInteger();

  RequestGuard(long maxBodyBytes, int maxSlowUploads) {
    this.maxBodyBytes = maxBodyBytes;
    this.maxSlowUploads = maxSlowUploads;
  }

  /** Slow uploads in progress (tests and metrics). */
  int slowUploads() {
    return slowUploads.get();
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    String method = request.getMethod();
    if (!METHODS.contains(method)) {
      response.setStatus(405);
      JsonErrorHandler.writeClosing(
          response,
          "method_not_allowed",
          "the HTTP method "
              + (method.length() > 20 ? method.substring(0, 20) + "…" : method)
                  .replaceAll("[^\\x21-\\x7e…]", "?")
              + " is not served; the API uses "
              + String.join(", ", METHODS.stream().sorted().toList()),
          callback);
      return true;
    }
    boolean hasBody =
        request.getLength() > 0
            || request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING)
            || (request.getLength() < 0
                && request.getHeaders().contains(HttpHeader.CONTENT_LENGTH));
    if (!hasBody) return super.handle(request, response, callback);
    new Upload(request, response, callback).run();
    return true;
  }

  /** Reads one body as its bytes arrive; then hands the request on with the body buffered. */
  private final class Upload implements Runnable {
    private final Request request;
    private final Response response;
    private final Callback callback;
    private final long start = System.nanoTime();
    private final ByteArrayOutputStream body;
    private boolean slow;

    Upload(Request request, Response response, Callback callback) {
      this.request = request;
      this.response = response;
      this.callback = callback;
      long declared = request.getLength();
      this.body = new ByteArrayOutputStream((int) Math.clamp(declared, 256, 1 << 20));
    }

    @Override
    public void run() {
      while (true) {
        Content.Chunk chunk = request.read();
        long millis = (System.nanoTime() - start) / 1_000_000;
        if (chunk == null) {
          if (!slow && millis >= SLOW_AFTER_MILLIS) {
            slow = true;
            if (slowUploads.incrementAndGet() > maxSlowUploads) {
              refuse(
                  503,
                  "too_many_slow_uploads",
                  "the server is receiving "
                      + maxSlowUploads
                      + " slow request bodies already; send the body at once, or retry later");
              return;
            }
          }
          request.demand(this);
          return;
        }
        if (Content.Chunk.isFailure(chunk)) {
          Throwable failure = chunk.getFailure();
          chunk.release();
          done();
          LOG.log(
              System.Logger.Level.DEBUG,
              () ->
                  "client went away mid-body after "
                      + body.size()
                      + " bytes ("
                      + request.getMethod()
                      + " "
                      + shortPath(request)
                      + "): "
                      + DocumentBatch.firstLine(String.valueOf(failure.getMessage())));
          callback.failed(failure);
          return;
        }
        ByteBuffer b = chunk.getByteBuffer();
        int n = b.remaining();
        if (body.size() + (long) n > maxBodyBytes) {
          chunk.release();
          refuse(413, "body_too_large", BodyLimitHandler.message(maxBodyBytes));
          return;
        }
        if (b.hasArray()) {
          body.write(b.array(), b.arrayOffset() + b.position(), n);
        } else {
          byte[] copy = new byte[n];
          b.get(copy);
          body.write(copy, 0, copy.length);
        }
        boolean last = chunk.isLast();
        chunk.release();
        if (last) {
          done();
          dispatch();
          return;
        }
        if (millis >= GRACE_MILLIS && body.size() * 1000L < MIN_BYTES_PER_SECOND * millis) {
          refuse(
              408,
              "body_too_slow",
              "the request body arrived at "
                  + (body.size() * 1000L / Math.max(1, millis))
                  + " bytes/s; bodies must arrive at "
                  + MIN_BYTES_PER_SECOND
                  + " bytes/s or more (after the first "
                  + GRACE_MILLIS
                  + " ms)");
          return;
        }
      }
    }

    private void done() {
      if (slow) {
        slow = false;
        slowUploads.decrementAndGet();
      }
    }

    private void refuse(int status, String type, String message) {
      done();
      response.setStatus(status);
      JsonErrorHandler.writeClosing(response, type, message, callback);
    }

    private void dispatch() {
      Request buffered = new BufferedBody(request, body.toByteArray());
      try {
        if (!RequestGuard.super.handle(buffered, response, callback))
          Response.writeError(buffered, response, callback, 404);
      } catch (Throwable t) {
        Response.writeError(buffered, response, callback, t);
      }
    }
  }

  private static String shortPath(Request r) {
    String p = r.getHttpURI().getPath();
    return p == null ? "" : p.length() > 100 ? p.substring(0, 100) + "…" : p;
  }

  /** The request with its whole body already read: reads return it, then the end. */
  private static final class BufferedBody extends Request.Wrapper {
    private Content.Chunk rest;

    BufferedBody(Request request, byte[] body) {
      super(request);
      this.rest = Content.Chunk.from(ByteBuffer.wrap(body), true);
    }

    @Override
    public synchronized Content.Chunk read() {
      Content.Chunk c = rest;
      rest = Content.Chunk.EOF;
      return c;
    }

    @Override
    public void demand(Runnable demandCallback) {
      // Everything is here already: the reader may read at once.
      getContext().execute(demandCallback);
    }

    @Override
    public boolean consumeAvailable() {
      return true;
    }

    @Override
    public String toString() {
      return "BufferedBody[" + getWrapped() + "]";
    }
  }
}
