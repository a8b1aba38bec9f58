package dev.latte.cli;

import dev.latte.core.codec.TokenCodec;
import dev.latte.datasets.BundledSample;
import dev.latte.encoders.OnnxTokenEncoder;
import dev.latte.eval.BeirEvaluator;
import dev.latte.eval.EvalReport;
import dev.latte.eval.EvalRow;
import dev.latte.eval.QueryVariant;
import dev.latte.eval.SuiteEvaluator;
import dev.latte.eval.SuiteReport;
import dev.latte.indexer.IndexOptions;
import dev.latte.searcher.QueryTokens;
import dev.latte.searcher.SearchSettings;
import dev.latte.searcher.firststage.FirstStages;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "eval",
    mixinStandardHelpOptions = true,
    description =
        "Index a BEIR collection (or reuse its index), run every method, print trec_eval metrics and latencies.")
final class EvalCommand implements Callable<Integer> {
  @Option(names = "--dataset", description = "BEIR folder (default: the bundled SciFact sample).")
  Path dataset;

  @Option(
      names = "--suite",
      description =
          "Folder of BEIR collections: evaluate every one that has the split's judgments (one row"
              + " per collection x method, means, p-value vs exact MaxSim); the table is also"
              + " written as Markdown.")
  Path suite;

  @Option(
      names = "--markdown",
      description =
          "With --suite: where to write the Markdown table (default:"
              + " $LATTE_HOME/runs/suite-<split>.md).")
  Path markdown;

  @Option(
      names = "--model",
      defaultValue = "default",
      description = "Model folder or 'default' (default: ${DEFAULT-VALUE}).")
  String model;

  @Option(
      names = "--index",
      description =
          "Index folder (default: a cached index per dataset and model under $LATTE_HOME).")
  Path index;

  @Option(
      names = "--split",
      defaultValue = "test",
      description = "Qrels split (default: ${DEFAULT-VALUE}).")
  String split;

  @Option(
      names = "--method",
      defaultValue = "all",
      split = ",",
      completionCandidates = MethodNames.class,
      description =
          "Methods, comma-separated, or 'all' (default: ${DEFAULT-VALUE}): ${COMPLETION-CANDIDATES}.")
  List<String> methods;

  @Option(
      names = "--codec",
      split = ",",
      description =
          "Token codec(s): float32, float16, int8, bit, residual-1, residual-2, residual-4"
              + " (default: float32; several with --sweep).")
  List<String> codecs;

  @Option(
      names = "--pool-factor",
      split = ",",
      description = "Token pooling factor(s) (default: 1 = none; several with --sweep).")
  List<Integer> poolFactors;

  @Option(
      names = "--sweep",
      description =
          "Every codec x pool factor {1,2,3,4} (or those given) on the same token vectors, re-coded from one float32 index.")
  boolean sweep;

  @Option(
      names = "--fusion-weight",
      description =
          "Weight of MaxSim in hybrid-linear, 0..1 (default: the one chosen on SciFact train).")
  Float fusionWeight;

  @Option(
      names = "--query-tokens",
      description =
          "Experiment: weight or drop the query token rows of every late-interaction method:"
              + " comma-separated idf, no-inserted, no-punct, no-stop (rows named method~variant).")
  String queryTokens;

  @Option(
      names = "--query-mask-length",
      description =
          "Experiment: pad every late-interaction query with [MASK] up to this many word pieces"
              + " (ColBERT's query augmentation; rows named method~maskN).")
  Integer queryMaskLength;

  @Option(
      names = "--rescore-depth",
      description =
          "Candidates each first stage's methods hand to exact MaxSim rescoring (default: 100).")
  Integer rescoreDepth;

  @Option(
      names = "--stage-param",
      paramLabel = "STAGE.NAME=VALUE",
      completionCandidates = StageParameterNames.class,
      description =
          "A first stage's search parameter, repeatable (e.g. --stage-param xtr.probes=16)."
              + " Parameters: ${COMPLETION-CANDIDATES}.")
  Map<String, Integer> stageParameters = new LinkedHashMap<>();

  @Option(
      names = "--k",
      defaultValue = "1000",
      description = "Depth of each run (default: ${DEFAULT-VALUE}).")
  int k;

  @Option(
      names = "--threads",
      defaultValue = "1",
      description =
          "Queries run concurrently (default: ${DEFAULT-VALUE}: latencies comparable across methods).")
  int threads;

  @Option(
      names = "--encode-threads",
      description = "Encoder threads when indexing (default: cores).")
  Integer encodeThreads;

  @Option(names = "--json", description = "Also write the table as a JSON array to this file.")
  Path json;

  @Option(
      names = "--run-dir",
      description = "Folder for the TREC run files (default: $LATTE_HOME/runs/<dataset>-<split>).")
  Path runDir;

  @Override
  public Integer call() throws Exception {
    if (k < 1 || threads < 1) throw new IllegalArgumentException("--k and --threads must be >= 1");
    QueryVariant variant = variant(); // bad options fail before the model loads
    FirstStages.DEFAULT.checkParameters(stageParameters);
    if (suite != null) return runSuite(variant);
    if (markdown != null) throw new IllegalArgumentException("--markdown needs --suite");
    Path ds =
        dataset != null
            ? dataset
            : BundledSample.materialize(dev.latte.core.LatteHome.dir().resolve("datasets")).dir();
    int et = encodeThreads == null ? Common.CORES : encodeThreads;
    try (OnnxTokenEncoder encoder = Common.encoder(model, Math.max(et, threads))) {
      BeirEvaluator evaluator = new BeirEvaluator(encoder, System.out).withQueryVariant(variant);
      List<EvalRow> rows = run(evaluator, ds, et);
      List<IndexOptions> storage = indexOptions();
      boolean tradeOff = methods.contains("all");
      System.out.println();
      if (tradeOff) {
        System.out.print(EvalReport.tradeOffTable(rows));
        System.out.println(
            "(/exact, R@100/ex and speedup against exact MaxSim; R@100/ex: share of exact MaxSim's"
                + " top 100 in the method's top 100; latencies per query without query encoding, "
                + threads
                + " query thread(s); extra: derived first stage on disk)");
      }
      if (!tradeOff || storage.size() > 1 || !storage.getFirst().equals(IndexOptions.DEFAULT)) {
        if (tradeOff) System.out.println();
        System.out.print(EvalReport.table(rows));
      }
      if (!evaluator.skipped().isEmpty())
        System.out.println(
            "Skipped for want of a first stage (see above): "
                + String.join(", ", evaluator.skipped()));
      if (json != null) {
        EvalReport.writeJson(rows, json);
        System.out.println("Wrote " + json.toAbsolutePath().normalize());
      }
      System.out.println("Run files: " + Path.of(rows.getFirst().runFile()).getParent());
    }
    return 0;
  }

  private int runSuite(QueryVariant variant) throws Exception {
    if (dataset != null || index != null)
      throw new IllegalArgumentException(
          "--suite evaluates every collection under its folder with their cached indexes: leave"
              + " out --dataset and --index");
    int et = encodeThreads == null ? Common.CORES : encodeThreads;
    try (OnnxTokenEncoder encoder = Common.encoder(model, Math.max(et, threads))) {
      SuiteEvaluator evaluator =
          new SuiteEvaluator(
              new BeirEvaluator(encoder, System.out).withQueryVariant(variant), System.out);
      List<SuiteEvaluator.SuiteRow> rows =
          evaluator.evaluate(
              options(null, et), suite, Common.progressBar("Indexing"), Common::progressBar);
      String table = SuiteReport.markdown(rows);
      System.out.println();
      System.out.print(table);
      String safety = SuiteReport.safety(rows);
      System.out.println();
      System.out.print(safety);
      if (!evaluator.skipped().isEmpty())
        System.out.println(
            "Skipped for want of a first stage: " + String.join(", ", evaluator.skipped()));
      Path md =
          markdown != null
              ? markdown
              : dev.latte.core.LatteHome.dir().resolve("runs").resolve("suite-" + split + ".md");
      if (md.toAbsolutePath().getParent() != null)
        java.nio.file.Files.createDirectories(md.toAbsolutePath().getParent());
      java.nio.file.Files.writeString(md, table + "\n" + safety);
      System.out.println("Wrote " + md.toAbsolutePath().normalize());
      if (json != null) {
        SuiteReport.writeJson(rows, json);
        System.out.println("Wrote " + json.toAbsolutePath().normalize());
      }
    }
    return 0;
  }

  private QueryVariant variant() {
    return new QueryVariant(
        queryTokens == null ? QueryTokens.ALL : QueryTokens.parse(queryTokens),
        queryMaskLength == null ? 0 : queryMaskLength);
  }

  List<IndexOptions> indexOptions() {
    List<TokenCodec> cs =
        codecs == null
            ? (sweep ? List.of(TokenCodec.values()) : List.of(TokenCodec.FLOAT32))
            : codecs.stream().map(TokenCodec::fromName).toList();
    List<Integer> ps =
        poolFactors == null ? (sweep ? List.of(1, 2, 3, 4) : List.of(1)) : poolFactors;
    if (!sweep && (cs.size() > 1 || ps.size() > 1)) {
      throw new IllegalArgumentException("several --codec or --pool-factor values need --sweep");
    }
    List<IndexOptions> out = new java.util.ArrayList<>();
    for (TokenCodec c : cs) for (int p : ps) out.add(new IndexOptions(c, p));
    return out;
  }

  List<EvalRow> run(BeirEvaluator evaluator, Path ds, int et) throws Exception {
    return evaluator.evaluate(options(ds, et), Common.progressBar("Indexing"), Common::progressBar);
  }

  private BeirEvaluator.Options options(Path ds, int et) {
    return new BeirEvaluator.Options(
        ds,
        index,
        split,
        methods,
        indexOptions(),
        k,
        threads,
        et,
        32,
        runDir,
        10,
        SearchSettings.DEFAULT
            .withLinearFusionWeight(
                fusionWeight == null ? SearchSettings.DEFAULT.linearFusionWeight() : fusionWeight)
            .withRescoreDepth(
                rescoreDepth == null ? SearchSettings.DEFAULT.rescoreDepth() : rescoreDepth)
            .withStageParameters(FirstStages.DEFAULT.checkParameters(stageParameters)));
  }
}
