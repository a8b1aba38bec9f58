package dev.latte.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.latte.encoders.BundledModel;
import dev.latte.encoders.OnnxTokenEncoder;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server's connection lifecycle: idle connections are closed after the idle timeout while busy
 * requests are not, and {@link LatteService#close()} lets a write in flight finish and answer
 * before the server stops, within the stop timeout.
 */
class ServerLifecycleTest {
  @TempDir static Path tmp;
  static OnnxTokenEncoder model;
  static final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void load() throws Exception {
    model = OnnxTokenEncoder.load(BundledModel.folder(), 1, 2);
  }

  @AfterAll
  static void unload() {
    if (model != null) model.close();
  }

  static HttpRequest request(int port, String method, String path, String body) {
    return TestHttp.request(port, method, path, body, "application/json", null);
  }

  static HttpResponse<String> send(
      HttpClient http, int port, String method, String path, String body) throws Exception {
    return TestHttp.send(http, request(port, method, path, body));
  }

  /** {@code n} documents of some length, to give the encoder real work. */
  static String documents(int n) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < n; i++) {
      if (i > 0) b.append(',');
      b.append("{\"id\": \"doc-")
          .append(i)
          .append("\", \"text\": \"")
          .append(("statins lower cholesterol in trial " + i + " of heart disease ").repeat(8))
          .append("\"}");
    }
    return b.append(']').toString();
  }

  /** Sends a GET on a raw connection and returns what the server answers first ("" on EOF). */
  static String exchange(Socket s, String path) throws IOException {
    s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes());
    s.getOutputStream().flush();
    byte[] buf = new byte[8192];
    int got = s.getInputStream().read(buf);
    return got < 0 ? "" : new String(buf, 0, got, StandardCharsets.UTF_8);
  }

  @Test
  void closeLetsAnInFlightWriteFinishAndAnswerWhileRefusingNewWork() throws Exception {
    Path data = tmp.resolve("graceful");
    CountingEncoder encoder = new CountingEncoder(model);
    int n = 24;
    HttpClient http = HttpClient.newHttpClient();
    try (IndexRegistry registry = new IndexRegistry(data, encoder, 1, 1, 0)) {
      LatteService service =
          new LatteService(registry, LatteService.Options.open().withTimeouts(30_000, 30_000))
              .start("127.0.0.1", 0);
      int port = service.port();
      AtomicLong closeMillis = new AtomicLong(-1);
      Thread closer =
          new Thread(
              () -> {
                long t0 = System.nanoTime();
                service.close();
                closeMillis.set((System.nanoTime() - t0) / 1_000_000);
              });
      try (Socket kept = new Socket("127.0.0.1", port)) {
        kept.setSoTimeout(10_000);
        assertEquals(
            201, send(http, port, "POST", "/v1/indexes", "{\"name\": \"w\"}").statusCode());
        assertTrue(exchange(kept, "/v1/health").startsWith("HTTP/1.1 200"), "kept alive");
        // One document per encoder batch and 100 ms each on top: the write takes over 2.4 s.
        encoder.delayMillis = 100;
        encoder.documentsStarted = new CountDownLatch(1);
        CompletableFuture<HttpResponse<String>> write =
            http.sendAsync(
                request(port, "POST", "/v1/indexes/w/documents", documents(n)),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(encoder.documentsStarted.await(30, TimeUnit.SECONDS), "the write started");

        closer.start();
        // While the write still runs, new connections are refused ...
        long deadline = System.nanoTime() + 10_000_000_000L;
        boolean refused = false;
        while (!refused && System.nanoTime() < deadline) {
          try (Socket probe = new Socket("127.0.0.1", port)) {
            Thread.sleep(10);
          } catch (ConnectException e) {
            refused = true;
          }
        }
        assertTrue(refused, "new connections are refused once close() runs");
        assertFalse(write.isDone(), "refused while the write was still in flight");
        // ... and a new request on a connection already open gets a JSON 503.
        String busy = exchange(kept, "/v1/health");
        assertTrue(busy.startsWith("HTTP/1.1 503"), busy);
        assertTrue(busy.contains("\"shutting_down\""), busy);

        // The write in flight finishes, commits and is answered.
        HttpResponse<String> answer = write.get(30, TimeUnit.SECONDS);
        assertEquals(200, answer.statusCode(), answer.body());
        assertEquals(n, json.readTree(answer.body()).get("indexed").asInt(), answer.body());
        assertEquals(n, encoder.documents.get());
      } finally {
        if (closer.getState() == Thread.State.NEW) service.close();
        closer.join();
      }
      assertTrue(closeMillis.get() >= 1_000, "close waited for the write: " + closeMillis + " ms");
      HttpClient fresh = HttpClient.newHttpClient();
      assertThrows(IOException.class, () -> send(fresh, port, "GET", "/v1/health", null));
    }
    try (IndexRegistry reopened = new IndexRegistry(data, model, 1, 1, 0)) {
      assertEquals((long) n, IndexJson.describe(reopened.get("w")).get("documents"));
    }
  }

  @Test
  void theStopTimeoutBoundsHowLongCloseWaits() throws Exception {
    Path data = tmp.resolve("bounded");
    CountingEncoder encoder = new CountingEncoder(model);
    int n = 40;
    HttpClient http = HttpClient.newHttpClient();
    CompletableFuture<HttpResponse<String>> write;
    try (IndexRegistry registry = new IndexRegistry(data, encoder, 1, 1, 0)) {
      LatteService service =
          new LatteService(registry, LatteService.Options.open().withTimeouts(30_000, 300))
              .start("127.0.0.1", 0);
      int port = service.port();
      long closeMillis;
      try {
        assertEquals(
            201, send(http, port, "POST", "/v1/indexes", "{\"name\": \"b\"}").statusCode());
        encoder.delayMillis = 200; // the write needs 8 s or more
        encoder.documentsStarted = new CountDownLatch(1);
        write =
            http.sendAsync(
                request(port, "POST", "/v1/indexes/b/documents", documents(n)),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(encoder.documentsStarted.await(30, TimeUnit.SECONDS), "the write started");
      } finally {
        long t0 = System.nanoTime();
        service.close();
        closeMillis = (System.nanoTime() - t0) / 1_000_000;
      }
      // An unbounded wait would take the rest of the write's 8 s or more.
      assertTrue(
          closeMillis < 6_000, "close gave up after the stop timeout: " + closeMillis + " ms");
      // The abandoned write either never answered or failed; it is all or nothing on disk.
      try {
        HttpResponse<String> r = write.get(30, TimeUnit.SECONDS);
        assertTrue(r.statusCode() != 200 || encoder.documents.get() == n, r.body());
      } catch (java.util.concurrent.ExecutionException expected) {
        assertTrue(expected.getCause() instanceof IOException, expected.toString());
      }
    }
    try (IndexRegistry reopened = new IndexRegistry(data, model, 1, 1, 0)) {
      long docs = (long) IndexJson.describe(reopened.get("b")).get("documents");
      assertTrue(docs == 0 || docs == n, docs + " documents");
    }
  }

  @Test
  void idleConnectionsAreClosedButBusyRequestsAreNot() throws Exception {
    CountingEncoder encoder = new CountingEncoder(model);
    try (IndexRegistry registry = new IndexRegistry(tmp.resolve("idle"), encoder, 1, 1, 0);
        LatteService service =
            new LatteService(registry, LatteService.Options.open().withTimeouts(500, 5_000))
                .start("127.0.0.1", 0)) {
      int port = service.port();
      // A client that sends half a request and goes quiet is disconnected after the idle timeout.
      for (String partial :
          new String[] {
            "GET /v1/health HTTP/1.1\r\nHost: x\r\n",
            "POST /v1/indexes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: 100\r\n\r\n{\"name\": "
          }) {
        try (Socket s = new Socket("127.0.0.1", port)) {
          s.setSoTimeout(10_000);
          s.getOutputStream().write(partial.getBytes(StandardCharsets.US_ASCII));
          s.getOutputStream().flush();
          long t0 = System.nanoTime();
          InputStream in = s.getInputStream();
          byte[] buf = new byte[4096];
          try {
            while (in.read(buf) >= 0) {
              // an error answer may come first; wait for the close
            }
          } catch (java.net.SocketException reset) {
            // closed by the server
          }
          long millis = (System.nanoTime() - t0) / 1_000_000;
          assertTrue(millis >= 400 && millis < 8_000, partial.lines().findFirst() + ": " + millis);
        }
      }
      // A request busy longer than the idle timeout (4 documents, 300 ms each) still gets its
      // answer.
      HttpClient http = HttpClient.newHttpClient();
      assertEquals(201, send(http, port, "POST", "/v1/indexes", "{\"name\": \"i\"}").statusCode());
      encoder.delayMillis = 300;
      long t0 = System.nanoTime();
      HttpResponse<String> r = send(http, port, "POST", "/v1/indexes/i/documents", documents(4));
      long millis = (System.nanoTime() - t0) / 1_000_000;
      assertEquals(200, r.statusCode(), r.body());
      assertTrue(millis > 1_000, "the request outlasted the idle timeout: " + millis + " ms");
      assertEquals(4L, IndexJson.describe(registry.get("i")).get("documents"));
    }
  }

  @Test
  void errorsOfTheHttpLayerSayTheyCloseTheConnection() throws Exception {
    // Jetty rejects this URI before any route; it then may close the connection, and a client that
    // reused it for its next request got no answer at all: the error must say Connection: close.
    try (IndexRegistry registry = new IndexRegistry(tmp.resolve("http-errors"), model, 1, 1, 0);
        LatteService service =
            new LatteService(registry, LatteService.Options.open()).start("127.0.0.1", 0);
        Socket s = new Socket("127.0.0.1", service.port())) {
      s.setSoTimeout(10_000);
      String answer = exchange(s, "/v1/indexes/a%00b");
      assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
      assertTrue(answer.contains("\"bad_request\""), answer);
      assertTrue(answer.toLowerCase(java.util.Locale.ROOT).contains("connection: close"), answer);
      assertEquals(-1, s.getInputStream().read(), "the server closed the connection");
    }
  }
}
