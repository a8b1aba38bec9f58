package dev.latte.cli;

import dev.latte.encoders.OnnxTokenEncoder;
import dev.latte.encoders.TokenEncoder;
import dev.latte.web.IndexRegistry;
import dev.latte.web.LatteService;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Serve over HTTP either one index, read-only (--index: POST /v1/search, GET /v1/health), or"
          + " every index of a data folder, live (--data: create, list and delete indexes, add,"
          + " replace and delete documents (by id or filter), update their metadata without"
          + " re-encoding, search each, one query or a batch; see dev.latte.web.LatteService).",
      "With --data a write answers only after it is committed (durable) and refreshed (every"
          + " search that starts afterwards sees it). Writes need 'Authorization: Bearer KEY'"
          + " when a key is set ($LATTE_API_KEY or --api-key-file)."
    })
final class ServeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  static final class Target {
    @Option(
        names = "--index",
        description =
            "One index folder, served read-only with the whole search API and the page (also at"
                + " POST /v1/search).")
    Path index;

    @Option(
        names = "--data",
        paramLabel = "DIR",
        description =
            "Data folder (created if missing): each sub-folder holding a Latte index is served"
                + " live under its name, and indexes can be created over HTTP.")
    Path data;
  }

  @ArgGroup(multiplicity = "1")
  Target target;

  @Option(
      names = "--name",
      description =
          "--index: the name the index is served under, /v1/indexes/NAME (default: its folder's"
              + " name, made valid).")
  String name;

  @Option(
      names = "--port",
      defaultValue = "8080",
      description = "Port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--host",
      defaultValue = "127.0.0.1",
      description = "Address to bind (default: ${DEFAULT-VALUE}, loopback only).")
  String host;

  @Option(
      names = "--model",
      paramLabel = "FOLDER|default",
      description =
          "The model: 'default' (the bundled one) or a folder with model.onnx, tokenizer.json and"
              + " latte-model.json. With --data it may be repeated: the server loads every model"
              + " given, serves each index with the model it was built with, and new indexes take"
              + " the first unless they name another (default: default).")
  List<String> models = new ArrayList<>();

  @Option(
      names = "--refresh-ms",
      defaultValue = "1000",
      description =
          "Period of the scheduled refresh that swaps in new snapshots, in ms; 0 turns it"
              + " off (writes still refresh before they answer) (default: ${DEFAULT-VALUE}).")
  long refreshMillis;

  @Option(
      names = "--api-key-file",
      paramLabel = "FILE",
      description =
          "File holding the key writes need (overrides $LATTE_API_KEY); without either,"
              + " writes are open.")
  Path apiKeyFile;

  @Option(
      names = "--api-key-required-for-reads",
      description = "Listing, stats and search need the key too.")
  boolean keyForReads;

  @Option(
      names = "--max-body-mb",
      defaultValue = "10",
      description = "Largest request body in MiB (default: ${DEFAULT-VALUE}).")
  int maxBodyMb;

  @Option(
      names = "--idle-timeout-s",
      defaultValue = "30",
      description =
          "Close a connection idle this many seconds, also a client stalled mid-request;"
              + " a busy request is not cut off (default: ${DEFAULT-VALUE}).")
  int idleTimeoutSeconds;

  @Option(
      names = "--stop-timeout-s",
      defaultValue = "30",
      description =
          "On stop (Ctrl-C, SIGTERM) refuse new requests and let those in flight finish"
              + " for at most this many seconds; 0 stops at once (default: ${DEFAULT-VALUE}).")
  int stopTimeoutSeconds;

  @Option(
      names = "--batch-size",
      defaultValue = "16",
      description = "--data: documents per encoder batch when writing (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Override
  public Integer call() throws Exception {
    if (target.index != null) {
      if (models.size() > 1)
        throw new ParameterException(
            spec.commandLine(), "--index serves one index: give at most one --model");
      if (name != null && !IndexRegistry.isValidName(name))
        throw new ParameterException(
            spec.commandLine(),
            "--name " + name + " is not valid: names match " + IndexRegistry.NAME_RULE);
    } else if (name != null) {
      throw new ParameterException(
          spec.commandLine(), "--name applies to --index (with --data, folders are the names)");
    }
    if (refreshMillis < 0 || maxBodyMb < 1 || batchSize < 1)
      throw new ParameterException(
          spec.commandLine(), "--refresh-ms must be >= 0, --max-body-mb and --batch-size >= 1");
    if (idleTimeoutSeconds < 1 || stopTimeoutSeconds < 0)
      throw new ParameterException(
          spec.commandLine(), "--idle-timeout-s must be >= 1 and --stop-timeout-s >= 0");
    String key = apiKey();
    if (keyForReads && key == null)
      throw new ParameterException(
          spec.commandLine(),
          "--api-key-required-for-reads needs a key: set $LATTE_API_KEY or --api-key-file");
    LatteService.Options options =
        new LatteService.Options(key, keyForReads, (long) maxBodyMb << 20)
            .withTimeouts(idleTimeoutSeconds * 1000L, stopTimeoutSeconds * 1000L);
    if (target.index != null) {
      serveIndex(
          target.index,
          name != null ? name : nameOf(target.index),
          models.isEmpty() ? "default" : models.getFirst(),
          host,
          port,
          null,
          options,
          refreshMillis);
    } else {
      serveData(target.data, options);
    }
    return 0;
  }

  private String apiKey() throws Exception {
    String key;
    if (apiKeyFile != null) {
      if (!Files.isRegularFile(apiKeyFile))
        throw new ParameterException(
            spec.commandLine(), "--api-key-file: no such file " + apiKeyFile);
      key = Files.readString(apiKeyFile, StandardCharsets.UTF_8).strip();
      if (key.isEmpty())
        throw new ParameterException(
            spec.commandLine(), "--api-key-file " + apiKeyFile + " is empty");
    } else {
      key = System.getenv("LATTE_API_KEY");
      if (key != null) key = key.strip();
      if (key != null && key.isEmpty()) key = null;
    }
    return key;
  }

  private void serveData(Path data, LatteService.Options options) throws Exception {
    CountDownLatch closed = new CountDownLatch(1);
    List<String> wanted = models.isEmpty() ? List.of("default") : models;
    List<TokenEncoder> encoders = new ArrayList<>();
    try (AutoCloseable closeModels = () -> encoders.forEach(TokenEncoder::close)) {
      for (String m : wanted) encoders.add(Common.encoder(m, Common.CORES));
      serveData(data, options, encoders, closed);
    } finally {
      closed.countDown();
    }
  }

  private void serveData(
      Path data, LatteService.Options options, List<TokenEncoder> encoders, CountDownLatch closed)
      throws Exception {
    String key = options.apiKey();
    try (IndexRegistry registry =
            new IndexRegistry(data, encoders, Common.CORES, batchSize, refreshMillis);
        LatteService service = new LatteService(registry, options).start(host, port)) {
      String url = url(host, service.port());
      System.out.println(
          "Serving "
              + registry.names().size()
              + " index(es) of "
              + registry.data()
              + " at "
              + url
              + (registry.names().isEmpty() ? "" : ": " + String.join(", ", registry.names())));
      System.out.println(
          "Models: "
              + String.join(", ", registry.modelNames())
              + (registry.encoders().size() > 1 ? " (new indexes take the first)" : ""));
      if (key == null) {
        System.out.println(
            "No API key ($LATTE_API_KEY or --api-key-file): writes are open to anyone who can"
                + " reach "
                + url);
      } else {
        System.out.println(
            "Writes need the header 'Authorization: Bearer KEY'"
                + (keyForReads ? "; so do reads" : "; reads are open"));
      }
      String keyRef =
          apiKeyFile == null ? "$LATTE_API_KEY" : "$(cat " + apiKeyFile.toAbsolutePath() + ")";
      String auth = key == null ? "" : " -H \"Authorization: Bearer " + keyRef + "\"";
      System.out.println(
          "Try:  curl -s -X POST "
              + url
              + "/v1/indexes -H 'Content-Type: application/json'"
              + auth
              + " -d '{\"name\": \"notes\"}'");
      System.out.println(
          "      curl -s -X POST "
              + url
              + "/v1/indexes/notes/documents -H 'Content-Type: application/json'"
              + auth
              + " -d '[{\"id\": \"1\", \"text\": \"Statins lower LDL cholesterol.\"}]'");
      System.out.println(
          "      curl -s -X POST "
              + url
              + "/v1/indexes/notes/search -H 'Content-Type: application/json'"
              + (keyForReads ? auth : "")
              + " -d '{\"query\": \"cholesterol drugs\", \"k\": 5}'");
      System.out.println("Health: " + url + "/v1/health    (Ctrl-C to stop)");
      awaitShutdown(closed, stopTimeoutSeconds);
    } finally {
      closed.countDown();
    }
  }

  /**
   * Serves one index read-only ({@code --index}, and {@code ./latte demo}): prints how to reach it
   * and blocks until the JVM is asked to stop.
   */
  static void serveIndex(
      Path index,
      String name,
      String model,
      String host,
      int port,
      String exampleQuery,
      LatteService.Options options,
      long refreshMillis)
      throws Exception {
    CountDownLatch closed = new CountDownLatch(1);
    try (OnnxTokenEncoder encoder = Common.encoder(model, Common.CORES);
        IndexRegistry registry =
            IndexRegistry.serving(index, name, List.of(encoder), refreshMillis);
        LatteService service = new LatteService(registry, options).start(host, port)) {
      String url = url(host, service.port());
      System.out.println(
          "Serving "
              + index.toAbsolutePath().normalize()
              + " read-only as index \""
              + name
              + "\" at "
              + url
              + "  (model "
              + encoder.config().name()
              + ")");
      String q = exampleQuery == null ? "what does this collection say about cancer" : exampleQuery;
      String auth =
          options.keyRequiredForReads() ? " -H \"Authorization: Bearer $LATTE_API_KEY\"" : "";
      System.out.println("Search page: " + url + "/");
      System.out.println(
          "Try:  curl -s -X POST "
              + url
              + "/v1/indexes/"
              + name
              + "/search -H 'Content-Type: application/json'"
              + auth
              + " -d '{\"query\": \""
              + q
              + "\", \"k\": 5, \"method\": \"maxsim-exact\"}'");
      System.out.println(
          "API: " + url + "/openapi.json    Health: " + url + "/v1/health    (Ctrl-C to stop)");
      awaitShutdown(closed, (int) (options.stopTimeoutMillis() / 1000));
    } finally {
      closed.countDown();
    }
  }

  /** A valid index name from a folder's name: lowercase, other characters turned into '-'. */
  static String nameOf(Path index) {
    Path f = index.toAbsolutePath().normalize().getFileName();
    String n = f == null ? "" : f.toString().toLowerCase(java.util.Locale.ROOT);
    n = n.replaceAll("[^a-z0-9_-]", "-").replaceAll("^[^a-z0-9]+", "");
    if (n.length() > 64) n = n.substring(0, 64);
    return IndexRegistry.isValidName(n) ? n : "index";
  }

  private static String url(String host, int port) {
    return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  /**
   * Blocks until the JVM is asked to stop; the shutdown hook then waits for {@code closed}, counted
   * down once the server and its indexes are closed: up to the server's graceful stop timeout
   * ({@code stopSeconds}) plus 10 s to close the indexes.
   */
  private static void awaitShutdown(CountDownLatch closed, int stopSeconds)
      throws InterruptedException {
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stop.countDown();
                  try {
                    closed.await(stopSeconds + 10L, java.util.concurrent.TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                }));
    stop.await();
  }
}
