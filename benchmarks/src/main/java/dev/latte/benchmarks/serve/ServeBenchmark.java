package dev.latte.benchmarks.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.latte.benchmarks.JsonReports;
import dev.latte.core.FileTrees;
import dev.latte.core.LatteHome;
import dev.latte.datasets.BeirDataset;
import dev.latte.datasets.BundledSample;
import dev.latte.datasets.Document;
import dev.latte.datasets.Query;
import dev.latte.searcher.firststage.FirstStages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The serve benchmark (formerly {@code ./latte bench-serve}): drives {@code ./latte serve --data}
 * (started as a separate process on loopback, over a temporary data folder) with BEIR documents and
 * queries. {@link LoadRun} is the load harness, {@link CrashRun} the SIGKILL harness, {@link
 * ServerProcess} the supervisor, {@link ApiClient} the few HTTP calls, {@link ServeReport} the
 * report arithmetic.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.latte.benchmarks.serve.ServeBenchmark --mode load
 * </pre>
 */
@Command(
    name = "ServeBenchmark",
    mixinStandardHelpOptions = true,
    description = {
      "Benchmark the live-index server (./latte serve --data) started as a separate process on"
          + " loopback over a temporary data folder (the server is the launcher given by --latte).",
      "--mode load: --clients threads search (maxsim-exact and bm25 alternating, k 10) for"
          + " --duration seconds while one writer adds documents in batches of 8.",
      "--mode crash: --iterations times bulk-load documents in batches of 16, SIGKILL the server"
          + " while a batch is in flight, restart it and check every acknowledged document."
    })
public final class ServeBenchmark implements Callable<Integer> {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String INDEX = "bench";

  enum Mode {
    load,
    crash
  }

  @Option(
      names = "--mode",
      defaultValue = "load",
      description = "load or crash (default: ${DEFAULT-VALUE}).")
  Mode mode;

  @Option(
      names = "--dataset",
      paramLabel = "DIR",
      description =
          "BEIR folder (corpus.jsonl, queries.jsonl); default: the bundled SciFact sample.")
  Path dataset;

  @Option(
      names = "--duration",
      defaultValue = "60",
      description = "load: seconds of searching (default: ${DEFAULT-VALUE}).")
  int duration;

  @Option(
      names = "--clients",
      defaultValue = "32",
      description = "load: concurrent search clients (default: ${DEFAULT-VALUE}).")
  int clients;

  @Option(
      names = "--preload",
      defaultValue = "300",
      description = "load: documents indexed before searching starts (default: ${DEFAULT-VALUE}).")
  int preload;

  @Option(
      names = "--iterations",
      defaultValue = "10",
      description = "crash: kill/restart cycles (default: ${DEFAULT-VALUE}).")
  int iterations;

  @Option(
      names = "--kill-after-ms",
      defaultValue = "1500-5000",
      description =
          "crash: the kill comes at a random time in this range after loading starts"
              + " (default: ${DEFAULT-VALUE}).")
  String killAfter;

  @Option(
      names = "--sample",
      defaultValue = "50",
      description =
          "crash: acknowledged ids checked one by one per iteration (default: ${DEFAULT-VALUE}).")
  int sample;

  @Option(
      names = "--seed",
      defaultValue = "42",
      description = "Seed of the kill times and samples (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--model",
      defaultValue = "default",
      description = "Model the server encodes with (default: ${DEFAULT-VALUE}).")
  String model;

  @Option(
      names = "--latte",
      paramLabel = "PATH",
      defaultValue = "./latte",
      description =
          "The launcher that starts the server ('PATH serve --data ...'; default: ${DEFAULT-VALUE},"
              + " the project's script).")
  Path latte;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the report as JSON.")
  Path json;

  @Option(names = "--keep-data", description = "Keep the temporary data folder and server logs.")
  boolean keepData;

  @Option(
      names = "--first-stages",
      paramLabel = "LIST",
      split = ",",
      description =
          "First stages the index maintains (xtr, coil, slim, lucene-stock). Load: trained after"
              + " the preload (waited for), their methods join the search mix, and each write"
              + " reports the time spent keeping them in step. Crash: trained after 32 documents;"
              + " after every restart a trained stage must answer (in step with every commit).")
  List<String> firstStages = List.of();

  /** The method that exercises a first stage in the search mix. */
  static String methodOf(String stage) {
    return FirstStages.get(stage).rescoredMethod();
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new ServeBenchmark()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (duration < 1 || clients < 1 || iterations < 1 || preload < 0 || sample < 0)
      throw new IllegalArgumentException(
          "--duration, --clients, --iterations must be >= 1, --preload and --sample >= 0");
    Path launcher = ServerProcess.launcher(latte);
    BeirDataset ds =
        dataset != null
            ? BeirDataset.open(dataset)
            : BundledSample.materialize(LatteHome.dir().resolve("datasets"));
    List<Document> docs;
    try (Stream<Document> s = ds.corpus()) {
      docs = s.toList();
    }
    List<String> queries = ds.queries().values().stream().map(Query::text).toList();
    if (docs.isEmpty() || queries.isEmpty())
      throw new IllegalArgumentException(ds.dir() + " has no documents or no queries");
    Path work = Files.createTempDirectory("latte-bench-serve");
    System.out.println(
        "Dataset "
            + ds.name()
            + " ("
            + docs.size()
            + " documents, "
            + queries.size()
            + " queries); data folder and server logs in "
            + work);
    try (ServerProcess server = new ServerProcess(work, launcher, model)) {
      Map<String, Object> report;
      boolean pass;
      if (mode == Mode.load) {
        LoadRun.LoadResult r = new LoadRun(this).run(server, docs, queries);
        System.out.println();
        System.out.print(ServeReport.loadTable(r));
        report = ServeReport.loadReport(r);
        pass = r.searchErrors() == 0 && r.writeErrors() == 0;
      } else {
        CrashRun crash = new CrashRun(this);
        List<CrashRun.CrashIteration> its = crash.run(server, docs, queries);
        CrashRun.FinalCheck fin = crash.finalCheck(server, docs);
        System.out.println();
        System.out.print(ServeReport.crashTable(its, fin));
        report = ServeReport.crashReport(its, fin, seed);
        pass = (Boolean) report.get("pass");
      }
      if (json != null) {
        JsonReports.write(json, report);
        System.out.println("JSON report: " + json.toAbsolutePath());
      }
      return pass ? 0 : 1;
    } finally {
      if (!keepData) FileTrees.deleteRecursively(work);
    }
  }
}
