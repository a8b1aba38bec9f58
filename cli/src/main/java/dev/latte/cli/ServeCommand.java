package dev.latte.cli;

import dev.latte.encoders.OnnxTokenEncoder;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.LatteSearcher;
import dev.latte.web.LatteServer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = "Serve an index over HTTP (POST /v1/search, GET /v1/health).")
final class ServeCommand implements Callable<Integer> {
  @Option(names = "--index", required = true, description = "Index folder.")
  Path index;

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
      defaultValue = "default",
      description = "The model that built the index (default: ${DEFAULT-VALUE}).")
  String model;

  @Override
  public Integer call() throws Exception {
    serve(index, model, host, port, null);
    return 0;
  }

  /** Starts the server, prints how to reach it and blocks until the JVM is asked to stop. */
  static void serve(Path index, String model, String host, int port, String exampleQuery)
      throws Exception {
    try (OnnxTokenEncoder encoder = Common.encoder(model, Common.CORES);
        LatteSearcher searcher = new LatteSearcher(LatteIndex.open(index), encoder);
        LatteServer server = new LatteServer(searcher).start(host, port)) {
      String url = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + server.port();
      System.out.println(
          "Serving "
              + searcher.index().stats().documents()
              + " documents of "
              + index.toAbsolutePath().normalize()
              + " at "
              + url);
      String q = exampleQuery == null ? "what does this collection say about cancer" : exampleQuery;
      System.out.println(
          "Try:  curl -s -X POST "
              + url
              + "/v1/search -H 'Content-Type: application/json' -d '{\"query\": \""
              + q
              + "\", \"k\": 5}'");
      System.out.println("Health: " + url + "/v1/health    (Ctrl-C to stop)");
      CountDownLatch stop = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
      stop.await();
    }
  }
}
