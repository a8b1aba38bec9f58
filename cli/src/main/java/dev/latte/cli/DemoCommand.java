package dev.latte.cli;

import dev.latte.core.LatteHome;
import dev.latte.datasets.BeirDataset;
import dev.latte.datasets.BundledSample;
import dev.latte.encoders.OnnxTokenEncoder;
import dev.latte.eval.BeirEvaluator;
import dev.latte.eval.EvalReport;
import dev.latte.eval.EvalRow;
import dev.latte.web.LatteService;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description =
        "Index the bundled SciFact sample with the bundled model, print the evaluation table, then serve it over HTTP.")
final class DemoCommand implements Callable<Integer> {
  @Option(
      names = "--port",
      defaultValue = "8080",
      description = "Port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--no-serve", description = "Stop after the evaluation table.")
  boolean noServe;

  @Override
  public Integer call() throws Exception {
    BeirDataset sample = BundledSample.materialize(LatteHome.dir().resolve("datasets"));
    System.out.println(
        "Bundled sample: "
            + sample.dir()
            + " (BEIR SciFact, CC BY 4.0 / ODC-By; see ATTRIBUTION.md there)");
    Path indexDir;
    try (OnnxTokenEncoder encoder = Common.encoder("default", Common.CORES)) {
      BeirEvaluator evaluator = new BeirEvaluator(encoder, System.out);
      indexDir = evaluator.defaultIndexDir(sample);
      var options =
          new BeirEvaluator.Options(
              sample.dir(),
              null,
              "test",
              List.of("all"),
              List.of(),
              1000,
              1,
              Common.CORES,
              32,
              null,
              10,
              null);
      List<EvalRow> rows = evaluator.evaluate(options, Common.progressBar("Indexing"));
      System.out.println();
      System.out.print(EvalReport.tradeOffTable(rows));
      System.out.println(
          "(SciFact test, "
              + rows.getFirst().queries()
              + " queries; latencies per query on 1 thread)");
      System.out.println();
    }
    if (!noServe) {
      ServeCommand.serveIndex(
          indexDir,
          "scifact",
          "default",
          "127.0.0.1",
          port,
          "do statins reduce cardiovascular risk",
          new LatteService.Options(null, false, 10L << 20),
          1000);
    }
    return 0;
  }
}
