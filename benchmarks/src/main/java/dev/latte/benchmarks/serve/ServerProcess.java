package dev.latte.benchmarks.serve;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./latte serve --data DIR} as a child process, restartable on the same DIR: the benchmark
 * drives the command users run, as a black box over HTTP on loopback, so this module needs no
 * dependency on the CLI. The script {@code exec}s its JVM, so the child is the server itself and a
 * SIGKILL reaches it directly (exit code 137).
 */
final class ServerProcess implements AutoCloseable {
  final Path data;
  final Path log;
  final Path tmp;
  final Path latte;
  final String model;
  final String key = UUID.randomUUID().toString();
  Process process;
  ApiClient client;
  double lastStartMillis;
  private final Thread hook;

  ServerProcess(Path work, Path latte, String model) {
    this.data = work.resolve("data");
    this.log = work.resolve("server.log");
    this.tmp = work.resolve("tmp");
    this.latte = latte;
    this.model = model;
    this.hook =
        new Thread(
            () -> {
              Process p = process;
              if (p != null) p.destroyForcibly();
            });
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** The command line of one start, on {@code port}. */
  List<String> command(int port) {
    List<String> cmd = new ArrayList<>();
    cmd.add(latte.toString());
    cmd.addAll(
        List.of(
            "serve",
            "--data",
            data.toString(),
            "--host",
            "127.0.0.1",
            "--port",
            Integer.toString(port),
            "--model",
            model));
    return cmd;
  }

  void start() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    ProcessBuilder pb = new ProcessBuilder(command(port));
    pb.environment().put("LATTE_API_KEY", key);
    String home = System.getProperty("latte.home");
    if (home != null) pb.environment().put("LATTE_HOME", home);
    // Native libraries are unpacked under java.io.tmpdir; a killed server cannot clean them up, so
    // they go to the work folder, deleted at the end (a later -D wins over the script's own).
    Files.createDirectories(tmp);
    String opts = pb.environment().getOrDefault("LATTE_JAVA_OPTS", "");
    pb.environment().put("LATTE_JAVA_OPTS", (opts + " -Djava.io.tmpdir=" + tmp).strip());
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    long t0 = System.nanoTime();
    process = pb.start();
    client = new ApiClient(URI.create("http://127.0.0.1:" + port), key);
    long deadline = t0 + 180_000_000_000L;
    while (true) {
      if (!process.isAlive())
        throw new IllegalStateException(
            "the server exited with " + process.exitValue() + "; see " + log);
      if (client.healthy()) break;
      if (System.nanoTime() > deadline)
        throw new IllegalStateException("the server did not answer within 180 s; see " + log);
      Thread.sleep(50);
    }
    lastStartMillis = (System.nanoTime() - t0) / 1e6;
  }

  /** SIGTERM and wait (a clean shutdown), SIGKILL if that takes over 30 s. */
  void stop() throws InterruptedException {
    if (process == null || !process.isAlive()) return;
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor();
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // shutting down
    }
  }

  /** Checks that {@code latte} is the project's launcher before anything is started. */
  static Path launcher(Path latte) throws IOException {
    Path p = latte.toAbsolutePath().normalize();
    if (!Files.isExecutable(p))
      throw new IllegalArgumentException(
          "--latte "
              + latte
              + ": no executable launcher there; run from the project root or pass --latte"
              + " path/to/latte");
    return p;
  }
}
