package dev.latte.benchmarks.serve;

import dev.latte.core.FileTrees;
import dev.latte.core.Percentiles;
import dev.latte.encoders.WordHashEncoder;
import dev.latte.web.IndexRegistry;
import dev.latte.web.LatteService;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The slow-body attack of issue 13 against an in-process server on loopback: {@code --connections}
 * clients each announce a {@code --body-bytes} body and send one byte every {@code
 * --byte-interval-ms} (reconnecting at once when the server cuts them off), while one normal client
 * searches back to back. Prints the normal client's search latency idle and under attack (p50, p99,
 * max, timeouts) and what the attackers got. Loopback only, and bounded in connections and time.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.latte.benchmarks.serve.SlowBodyBenchmark \
 *     --connections 400 --seconds 30
 * </pre>
 */
@Command(
    name = "slow-body-benchmark",
    mixinStandardHelpOptions = true,
    description = "Search latency of a normal client while many clients trickle request bodies.")
public final class SlowBodyBenchmark implements java.util.concurrent.Callable<Integer> {
  @Option(
      names = "--connections",
      description = "Slow clients at once (1-2000, default ${DEFAULT-VALUE}).",
      defaultValue = "400")
  int connections;

  @Option(
      names = "--seconds",
      description = "Length of each phase, idle and attacked (1-300, default ${DEFAULT-VALUE}).",
      defaultValue = "30")
  int seconds;

  @Option(
      names = "--byte-interval-ms",
      description = "Each slow client sends one body byte this often (default ${DEFAULT-VALUE}).",
      defaultValue = "500")
  long byteIntervalMillis;

  @Option(
      names = "--body-bytes",
      description = "Body length each slow client announces (default ${DEFAULT-VALUE}).",
      defaultValue = "100000")
  int bodyBytes;

  @Option(
      names = "--docs",
      description = "Documents in the searched index (default ${DEFAULT-VALUE}).",
      defaultValue = "2000")
  int docs;

  @Option(
      names = "--timeout-ms",
      description =
          "A search not answered within this counts as timed out (default ${DEFAULT-VALUE}).",
      defaultValue = "5000")
  long timeoutMillis;

  /** The server's log, counted by level instead of printed (the access log is off). */
  private static final java.util.logging.Logger ROOT_LOG = java.util.logging.Logger.getLogger("");

  private static final java.util.logging.Logger ACCESS_LOG =
      java.util.logging.Logger.getLogger("dev.latte.web.access");

  private static final Map<String, LongAdder> SERVER_LOG = new ConcurrentHashMap<>();

  private static final Map<String, String> FIRST_LOG_LINE = new ConcurrentHashMap<>();

  private static void countServerLog() {
    ACCESS_LOG.setLevel(java.util.logging.Level.WARNING);
    for (var h : ROOT_LOG.getHandlers()) ROOT_LOG.removeHandler(h);
    ROOT_LOG.addHandler(
        new java.util.logging.Handler() {
          @Override
          public void publish(java.util.logging.LogRecord r) {
            String level = r.getLevel().getName();
            SERVER_LOG.computeIfAbsent(level, k -> new LongAdder()).increment();
            FIRST_LOG_LINE.putIfAbsent(
                level,
                r.getLoggerName()
                    + ": "
                    + String.valueOf(r.getMessage()).lines().findFirst().orElse("")
                    + (r.getThrown() == null
                        ? ""
                        : " (with a stack trace: " + r.getThrown() + ")"));
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        });
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new SlowBodyBenchmark()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (connections < 1 || connections > 2000) throw bad("--connections must be from 1 to 2000");
    if (seconds < 1 || seconds > 300) throw bad("--seconds must be from 1 to 300");
    if (byteIntervalMillis < 1) throw bad("--byte-interval-ms must be positive");
    countServerLog();
    Path dir = Files.createTempDirectory("latte-slow-body");
    try (IndexRegistry registry =
            new IndexRegistry(dir, new WordHashEncoder("word-hash", 64), 1, 256, 0);
        LatteService service =
            new LatteService(registry, LatteService.Options.open()).start("127.0.0.1", 0)) {
      int port = service.port();
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      load(http, port);
      System.out.printf(
          Locale.ROOT,
          "server on 127.0.0.1:%d, %d documents; phases of %d s; %d slow clients, 1 byte per %d"
              + " ms of a %d-byte body%n",
          port,
          docs,
          seconds,
          connections,
          byteIntervalMillis,
          bodyBytes);
      search(http, port, Math.max(1, seconds / 5)); // warm-up
      Latencies idle = search(http, port, seconds);
      System.out.println("idle:         " + idle);
      Attack attack = new Attack(port);
      attack.start();
      Thread.sleep(Math.min(5000, 2 * byteIntervalMillis + 2000)); // let every attacker connect
      Latencies attacked = search(http, port, seconds);
      attack.stop();
      System.out.println("under attack: " + attacked);
      System.out.println("attackers:    " + attack);
      System.out.println("server log:   " + new java.util.TreeMap<>(SERVER_LOG));
      FIRST_LOG_LINE.forEach((level, line) -> System.out.println("  first " + level + ": " + line));
      System.out.printf(
          Locale.ROOT,
          "p50 under attack / idle = %.2f; timeouts under attack: %d%n",
          attacked.p50() / idle.p50(),
          attacked.timeouts);
    } finally {
      FileTrees.deleteRecursively(dir);
    }
    return 0;
  }

  private static IllegalArgumentException bad(String m) {
    return new IllegalArgumentException(m);
  }

  private static final String[] WORDS =
      ("statin cholesterol heart risk trial dose patient cell gene protein virus vaccine immune"
              + " tumor therapy blood pressure insulin glucose brain neuron sleep diet exercise")
          .split(" ");

  private static String words(Random r, int n) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) b.append(i == 0 ? "" : " ").append(WORDS[r.nextInt(WORDS.length)]);
    return b.toString();
  }

  private void load(HttpClient http, int port) throws Exception {
    send(http, port, "/v1/indexes", "{\"name\": \"bench\"}", 201);
    Random r = new Random(1);
    for (int start = 0; start < docs; start += 500) {
      StringBuilder b = new StringBuilder("[");
      for (int i = start; i < Math.min(docs, start + 500); i++)
        b.append(i == start ? "" : ",")
            .append("{\"id\": \"d")
            .append(i)
            .append("\", \"text\": \"")
            .append(words(r, 24))
            .append("\"}");
      send(http, port, "/v1/indexes/bench/documents", b.append(']').toString(), 200);
    }
  }

  private static void send(HttpClient http, int port, String path, String body, int status)
      throws Exception {
    HttpResponse<String> a =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (a.statusCode() != status)
      throw new IllegalStateException(path + " answered " + a.statusCode() + ": " + a.body());
  }

  /** Latencies of back-to-back searches, in ms, with the count that timed out or failed. */
  record Latencies(double[] ms, long timeouts, long failures) {
    double p50() {
      return at(0.5);
    }

    /** The nearest-rank percentile of every report ({@link Percentiles}); q in 0..1. */
    double at(double q) {
      return Percentiles.nearestRank(ms, q * 100);
    }

    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "%d searches, p50 %.2f ms, p99 %.2f ms, max %.2f ms, %d timed out, %d failed",
          ms.length,
          p50(),
          at(0.99),
          ms.length == 0 ? Double.NaN : ms[ms.length - 1],
          timeouts,
          failures);
    }
  }

  private Latencies search(HttpClient http, int port, int forSeconds) {
    Random r = new Random(2);
    List<Double> ms = new ArrayList<>();
    long timeouts = 0;
    long failures = 0;
    long end = System.nanoTime() + forSeconds * 1_000_000_000L;
    URI uri = URI.create("http://127.0.0.1:" + port + "/v1/indexes/bench/search");
    while (System.nanoTime() < end) {
      HttpRequest q =
          HttpRequest.newBuilder(uri)
              .timeout(Duration.ofMillis(timeoutMillis))
              .header("Content-Type", "application/json")
              .POST(
                  HttpRequest.BodyPublishers.ofString(
                      "{\"query\": \""
                          + words(r, 6)
                          + "\", \"k\": 10, \"method\": \"maxsim-exact\"}"))
              .build();
      long t0 = System.nanoTime();
      try {
        HttpResponse<String> a = http.send(q, HttpResponse.BodyHandlers.ofString());
        if (a.statusCode() == 200) ms.add((System.nanoTime() - t0) / 1e6);
        else failures++;
      } catch (HttpTimeoutException e) {
        timeouts++;
      } catch (IOException | InterruptedException e) {
        failures++;
      }
    }
    double[] sorted = ms.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(sorted);
    return new Latencies(sorted, timeouts, failures);
  }

  /** The slow clients: one virtual thread each, reconnecting whenever the server cuts it off. */
  private final class Attack {
    private final int port;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();
    private final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
    private final AtomicLong bytesSent = new AtomicLong();

    Attack(int port) {
      this.port = port;
    }

    void start() {
      for (int i = 0; i < connections; i++) threads.add(Thread.ofVirtual().start(this::trickle));
    }

    void stop() throws InterruptedException {
      running.set(false);
      for (Thread t : threads) t.interrupt();
      for (Thread t : threads) t.join(10_000);
    }

    private void count(String outcome) {
      outcomes.computeIfAbsent(outcome, k -> new LongAdder()).increment();
    }

    private void trickle() {
      byte[] head =
          ("POST /v1/indexes/bench/documents HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  + "Content-Type: application/json\r\nContent-Length: "
                  + bodyBytes
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII);
      while (running.get()) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
          OutputStream out = s.getOutputStream();
          InputStream in = s.getInputStream();
          out.write(head);
          out.flush();
          s.setSoTimeout((int) byteIntervalMillis);
          for (int sent = 0; running.get() && sent < bodyBytes; ) {
            try {
              int b = in.read(); // waits one interval: the server answered or cut us off?
              if (b < 0) {
                count("closed without answer");
              } else {
                byte[] rest = in.readNBytes(12);
                String status =
                    new String(new byte[] {(byte) b}, StandardCharsets.US_ASCII)
                        + new String(rest, StandardCharsets.US_ASCII);
                count(status.length() >= 12 ? "HTTP " + status.substring(9, 12) : status);
              }
              break;
            } catch (SocketTimeoutException e) {
              out.write('[');
              out.flush();
              sent++;
              bytesSent.incrementAndGet();
            }
          }
        } catch (IOException e) {
          if (running.get()) count("connection error");
        }
      }
    }

    @Override
    public String toString() {
      return new java.util.TreeMap<>(outcomes).toString() + ", " + bytesSent + " body bytes sent";
    }
  }
}
