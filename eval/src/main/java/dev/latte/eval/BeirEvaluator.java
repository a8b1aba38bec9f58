package dev.latte.eval;

import dev.latte.encoders.TokenEncoder;
import dev.latte.eval.metrics.Evaluation;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.IndexProgress;
import dev.latte.searcher.ExactMaxSimMethod;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.LatteSearcher;
import dev.latte.searcher.SearchMethod;
import dev.latte.searcher.SearchSettings;
import dev.latte.searcher.firststage.FirstStages;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * BEIR evaluation: index the collection (or reuse the index built before for the same collection
 * and model; {@link IndexCache}), run each method over the split's judged queries ({@link
 * EvalPlan}, {@link MethodRunner}), write a TREC run per method and compute trec_eval metrics
 * ({@link EvalReport} shows them). A query's own id is removed from its results (BEIR convention)
 * unless the judgments show that query and document ids are unrelated ({@link
 * EvalPlan#removeSelfHits}).
 */
public final class BeirEvaluator {

  /**
   * What to evaluate and how. {@code indexOptions} lists the storage settings to evaluate (several
   * only in a sweep); {@code indexDir} null means Latte's cache, where a float32 index is built
   * once per dataset and model and other settings are re-coded from it.
   */
  public record Options(
      Path dataset,
      Path indexDir,
      String split,
      List<String> methods,
      List<IndexOptions> indexOptions,
      int k,
      int queryThreads,
      int encodeThreads,
      int batchSize,
      Path runDir,
      int warmupQueries,
      SearchSettings settings) {
    public Options {
      if (settings == null) settings = SearchSettings.DEFAULT;
      if (indexOptions == null || indexOptions.isEmpty())
        indexOptions = List.of(IndexOptions.DEFAULT);
    }

    /** The same evaluation of another collection. */
    public Options withDataset(Path other) {
      return new Options(
          other,
          indexDir,
          split,
          methods,
          indexOptions,
          k,
          queryThreads,
          encodeThreads,
          batchSize,
          runDir,
          warmupQueries,
          settings);
    }
  }

  /**
   * The rows of one evaluation and each row's per-query results (by row name), which a suite needs
   * for its significance tests.
   */
  public record Result(List<EvalRow> rows, Map<String, Evaluation> evaluations) {}

  private final TokenEncoder encoder;
  private final PrintStream out;
  private final IndexCache cache;
  private List<String> skipped = List.of();
  private QueryVariant variant = QueryVariant.NONE;

  public BeirEvaluator(TokenEncoder encoder, PrintStream out) {
    this.encoder = encoder;
    this.out = out;
    this.cache = new IndexCache(encoder, out);
  }

  /** Runs every late-interaction method with this query variant (an experiment). Returns this. */
  public BeirEvaluator withQueryVariant(QueryVariant variant) {
    this.variant = variant;
    return this;
  }

  /** Latte's cached float32 index of this collection and model. */
  public Path defaultIndexDir(dev.latte.datasets.BeirDataset ds) {
    return cache.defaultIndexDir(ds);
  }

  /**
   * Latte's cached index of this collection and model with {@code options}: the float32 one, or its
   * re-coding with those options (made by {@link #evaluate} when they are evaluated).
   */
  public Path cachedIndexDir(dev.latte.datasets.BeirDataset ds, IndexOptions options) {
    return IndexCache.recodedDir(cache.defaultIndexDir(ds), options);
  }

  public List<EvalRow> evaluate(Options o, IndexProgress progress) throws Exception {
    return evaluate(o, progress, name -> IndexProgress.NONE);
  }

  /**
   * Evaluates as {@link #evaluate(Options, IndexProgress)}; {@code stageProgress} reports the
   * building of first stages (by task name).
   *
   * <p>Methods that search a first stage derived from the index (xtr, lucene-stock, ...) need it
   * built. On Latte's cached index the missing or stale ones are built before searching, for the
   * float32 index without pooling only, except WARP's lists, which re-coded variants get too (from
   * their own codes); re-coded variants of a sweep run with {@code all} the methods that need no
   * other first stage and read no text ({@code maxsim-exact}, {@code maxsim-hamming}, warp). With
   * an explicit {@code --index} nothing is built: {@code all} skips (and reports) the methods whose
   * structure is missing, and a method named explicitly fails with its own message.
   *
   * <p>Exact MaxSim runs first on each index, so that every row can be compared with it: {@code
   * recall_100_vs_exact} and {@code speedup_vs_exact} (see {@link EvalRow}).
   */
  public List<EvalRow> evaluate(
      Options o, IndexProgress progress, Function<String, IndexProgress> stageProgress)
      throws Exception {
    return evaluateWithRuns(o, progress, stageProgress).rows();
  }

  /** As {@link #evaluate(Options, IndexProgress, Function)}, with each row's per-query results. */
  public Result evaluateWithRuns(
      Options o, IndexProgress progress, Function<String, IndexProgress> stageProgress)
      throws Exception {
    skipped = List.of();
    EvalPlan plan = EvalPlan.of(o, cache, progress);
    String name = plan.dataset().name();
    Path runDir =
        o.runDir() != null
            ? o.runDir()
            : dev.latte.core.LatteHome.dir().resolve("runs").resolve(name + "-" + o.split());
    Files.createDirectories(runDir);
    MethodRunner runner =
        new MethodRunner(
            o.k(), o.queryThreads(), o.warmupQueries(), plan.removeSelfHits(), variant, out);
    out.printf(
        Locale.ROOT,
        "Evaluating %d %s queries of %s, k=%d, %d query thread(s)%n",
        plan.queries().size(),
        o.split(),
        name,
        o.k(),
        o.queryThreads());
    List<EvalRow> rows = new ArrayList<>();
    Map<String, Evaluation> byRow = new HashMap<>();
    boolean textDone = false;
    ExactReference reference = null; // exact float32 MaxSim without pooling, once it ran
    for (EvalPlan.IndexRun run : plan.indexes()) {
      try (LatteIndex index = LatteIndex.open(run.path())) {
        LatteSearcher searcher =
            new LatteSearcher(
                index, encoder, dev.latte.core.kernel.VectorKernel.get(), o.settings());
        List<String> methods =
            plan.methodsFor(searcher, run, textDone, encoder, out, stageProgress);
        Map<String, MethodRunner.Measured> measured = new HashMap<>();
        ExactReference local = null;
        for (String m : EvalPlan.runOrder(methods)) {
          SearchMethod method = searcher.method(m);
          boolean lateInteraction = method.needsQueryMatrix();
          String label =
              plan.labelsByStorage() && lateInteraction ? m + "@" + run.options().label() : m;
          String structure = EvalPlan.firstStageOf(m);
          long extraBytes = structure == null ? 0 : FirstStages.bytes(run.path(), structure);
          MethodRunner.Measured result =
              runner.run(
                  searcher,
                  method,
                  label,
                  run.options(),
                  plan.queries(),
                  plan.qrels(),
                  runDir,
                  extraBytes);
          measured.put(m, result);
          if (!lateInteraction) textDone = true;
          if (m.equals(ExactMaxSimMethod.NAME)) {
            local = ExactReference.of(result);
            if (reference == null && run.options().equals(IndexOptions.DEFAULT)) reference = local;
          }
        }
        ExactReference ref = reference != null ? reference : local;
        for (String m : methods) {
          MethodRunner.Measured result = measured.get(m);
          EvalRow r = result.row();
          r =
              r.withExactComparison(
                  ref == null
                      ? null
                      : MethodRunner.recallVsExact(result.run(), ref.top(), EXACT_DEPTH),
                  ref == null || r.latencyP50() <= 0 ? null : ref.p50() / r.latencyP50());
          rows.add(r);
          byRow.put(r.name(), result.evaluation());
        }
      }
    }
    skipped = plan.skipped();
    // nDCG ratio to exact float32 MaxSim without pooling, when that reference ran.
    Double exactNdcg =
        rows.stream()
            .filter(
                r ->
                    r.method().equals(ExactMaxSimMethod.NAME)
                        && r.codec().equals("float32")
                        && r.poolFactor() == 1)
            .map(EvalRow::ndcgCut10)
            .findFirst()
            .orElse(null);
    List<EvalRow> withRatio =
        rows.stream()
            .map(
                r ->
                    r.withRatio(
                        exactNdcg == null || exactNdcg == 0 ? null : r.ndcgCut10() / exactNdcg))
            .toList();
    return new Result(withRatio, byRow);
  }

  /** Each query's exact top list and exact MaxSim's median latency, to compare the others with. */
  private record ExactReference(Map<String, Set<String>> top, double p50) {
    static ExactReference of(MethodRunner.Measured exact) {
      return new ExactReference(
          MethodRunner.topIds(exact.run(), EXACT_DEPTH), exact.row().latencyP50());
    }
  }

  /** Depth of the exact top list that {@code recall_100_vs_exact} compares with. */
  static final int EXACT_DEPTH = MethodRunner.EXACT_DEPTH;

  /**
   * The methods the last {@code evaluate} left out for want of a first stage (missing, or failed to
   * build), as {@code method} or {@code method@codec-pN}; why was printed when they were skipped.
   */
  public List<String> skipped() {
    return skipped;
  }
}
