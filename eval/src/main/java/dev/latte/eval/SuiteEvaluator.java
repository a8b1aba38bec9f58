package dev.latte.eval;

import dev.latte.datasets.DatasetException;
import dev.latte.eval.metrics.Evaluation;
import dev.latte.eval.metrics.QueryMetrics;
import dev.latte.indexer.IndexProgress;
import dev.latte.searcher.ExactMaxSimMethod;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Every BEIR-layout collection under one folder, evaluated with the same methods in one go ({@code
 * ./latte eval --suite DIR}): one {@link BeirEvaluator} run per collection (each reusing its cached
 * index), exact MaxSim always among the methods so that every row has its ratio to exact and a
 * paired randomisation test against it ({@link PairedRandomisation}), and a mean row per method
 * ({@link SuiteReport} shows them).
 */
public final class SuiteEvaluator {

  /**
   * One collection × method: the collection's evaluation row and the two-sided p-value of its
   * per-query nDCG@10 against exact MaxSim's (null for exact MaxSim itself).
   */
  public record SuiteRow(String dataset, EvalRow row, Double pValueVsExact) {}

  private final BeirEvaluator evaluator;
  private final PrintStream out;
  private final List<String> skipped = new ArrayList<>();

  public SuiteEvaluator(BeirEvaluator evaluator, PrintStream out) {
    this.evaluator = evaluator;
    this.out = out;
  }

  /**
   * The collections under {@code dir} that have judgments for {@code split}: its sub-folders with a
   * corpus, queries and {@code qrels/<split>.tsv}, by name. Folders without that split are left out
   * (and said so); none at all is an error naming the folder.
   */
  public List<Path> collections(Path dir, String split) throws IOException {
    if (!Files.isDirectory(dir))
      throw new DatasetException(
          "suite folder not found: " + dir + " (give a folder of BEIR collections)");
    List<Path> found = new ArrayList<>();
    List<String> withoutSplit = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path c : s.filter(Files::isDirectory).sorted().toList()) {
        boolean corpus = exists(c, "corpus.jsonl"), queries = exists(c, "queries.jsonl");
        if (!corpus || !queries) continue;
        if (exists(c, "qrels/" + split + ".tsv")) found.add(c);
        else withoutSplit.add(c.getFileName().toString());
      }
    }
    if (!withoutSplit.isEmpty())
      out.println(
          "Leaving out " + String.join(", ", withoutSplit) + ": no qrels/" + split + ".tsv");
    if (found.isEmpty())
      throw new DatasetException(
          "no BEIR collection with qrels/"
              + split
              + ".tsv under "
              + dir
              + " (each sub-folder needs corpus.jsonl, queries.jsonl and qrels/"
              + split
              + ".tsv)");
    return found;
  }

  private static boolean exists(Path dir, String name) {
    return Files.isRegularFile(dir.resolve(name)) || Files.isRegularFile(dir.resolve(name + ".gz"));
  }

  /**
   * Evaluates {@code base} (its dataset ignored) on every collection under {@code dir}. With a run
   * folder given, each collection writes its runs into a sub-folder of it named after the
   * collection.
   */
  public List<SuiteRow> evaluate(
      BeirEvaluator.Options base,
      Path dir,
      IndexProgress progress,
      Function<String, IndexProgress> stageProgress)
      throws Exception {
    if (base.indexDir() != null)
      throw new IllegalArgumentException(
          "--suite keeps one cached index per collection: leave out --index");
    List<String> methods = new ArrayList<>(base.methods());
    if (!methods.contains("all") && !methods.contains(ExactMaxSimMethod.NAME))
      methods.addFirst(ExactMaxSimMethod.NAME); // the reference of the ratio and the p-value
    skipped.clear();
    List<SuiteRow> rows = new ArrayList<>();
    for (Path c : collections(dir, base.split())) {
      String name = c.getFileName().toString();
      out.println();
      out.println("== " + name);
      BeirEvaluator.Options o =
          new BeirEvaluator.Options(
              c,
              null,
              base.split(),
              methods,
              base.indexOptions(),
              base.k(),
              base.queryThreads(),
              base.encodeThreads(),
              base.batchSize(),
              base.runDir() == null ? null : base.runDir().resolve(name),
              base.warmupQueries(),
              base.settings());
      BeirEvaluator.Result result = evaluator.evaluateWithRuns(o, progress, stageProgress);
      for (String m : evaluator.skipped()) skipped.add(name + ":" + m);
      Evaluation exact = exactOf(result);
      for (EvalRow r : result.rows()) {
        Double p =
            exact == null
                    || r.method().equals(ExactMaxSimMethod.NAME) && r.codec().equals("float32")
                ? null
                : PairedRandomisation.pValue(
                    ndcgs(result.evaluations().get(r.name()), exact), ndcgs(exact, exact));
        rows.add(new SuiteRow(name, r, p));
      }
    }
    return rows;
  }

  /** Methods left out for want of a first stage, as {@code collection:method}. */
  public List<String> skipped() {
    return List.copyOf(skipped);
  }

  private static Evaluation exactOf(BeirEvaluator.Result result) {
    for (EvalRow r : result.rows())
      if (r.method().equals(ExactMaxSimMethod.NAME)
          && r.codec().equals("float32")
          && r.poolFactor() == 1) return result.evaluations().get(r.name());
    return null;
  }

  /** Per-query nDCG@10 of {@code e} in the query order of {@code order}. */
  private static double[] ndcgs(Evaluation e, Evaluation order) {
    Map<String, QueryMetrics> per = new LinkedHashMap<>(e.perQuery());
    double[] v = new double[order.perQuery().size()];
    int i = 0;
    for (String q : order.perQuery().keySet()) {
      QueryMetrics m = per.get(q);
      v[i++] = m == null ? 0 : m.ndcgCut10();
    }
    return v;
  }
}
