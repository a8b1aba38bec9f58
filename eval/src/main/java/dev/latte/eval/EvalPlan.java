package dev.latte.eval;

import dev.latte.datasets.BeirDataset;
import dev.latte.datasets.DatasetException;
import dev.latte.datasets.Query;
import dev.latte.encoders.TokenEncoder;
import dev.latte.eval.metrics.Qrels;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.IndexProgress;
import dev.latte.searcher.ExactMaxSimMethod;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.LatteSearcher;
import dev.latte.searcher.firststage.FirstStages;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * What one evaluation runs: the split's judged queries, the indexes to search (each with its {@link
 * Role}) and, per index, the methods in the order they run, after making sure the first-stage
 * structures they need are there.
 */
final class EvalPlan {

  /** Why an index is searched, which decides the methods it runs and what may be built on it. */
  enum Role {
    /** Latte's cached float32 index without pooling: runs what was asked, builds first stages. */
    CACHED,
    /** The float32 reference of a sweep that did not ask for float32: exact MaxSim only. */
    REFERENCE_ONLY,
    /**
     * A re-coded cached variant: with {@code all}, the methods that scan token matrices and those
     * of the {@link #VARIANT_STAGES} (built on it when missing).
     */
    VARIANT,
    /** A folder the user gave with {@code --index}: nothing is built there. */
    GIVEN
  }

  record IndexRun(IndexOptions options, Path path, Role role) {}

  /**
   * The first stages built on re-coded variants too: WARP's lists are built from the variant's own
   * codes and codebook (its token retrieval as {@code ./latte index} builds it by default), so a
   * compact index is evaluated with its default search path. The others need the float tokens or
   * the token strings (which a pooled index does not keep) and stay on the float32 index.
   */
  static final List<String> VARIANT_STAGES =
      List.of(dev.latte.searcher.firststage.warp.WarpBuilder.NAME);

  private static boolean variantStage(String stage) {
    return stage != null && VARIANT_STAGES.contains(stage);
  }

  private final BeirDataset dataset;
  private final Qrels qrels;
  private final List<Query> queries;
  private final List<IndexRun> indexes;
  private final boolean all;
  private final List<String> requested;
  private final List<String> skipped = new ArrayList<>();

  private EvalPlan(
      BeirDataset dataset,
      Qrels qrels,
      List<Query> queries,
      List<IndexRun> indexes,
      List<String> requested) {
    this.dataset = dataset;
    this.qrels = qrels;
    this.queries = queries;
    this.indexes = indexes;
    this.requested = requested;
    this.all = requested.contains("all");
  }

  /** Reads the split's judged queries and makes sure every index to search exists. */
  static EvalPlan of(BeirEvaluator.Options o, IndexCache cache, IndexProgress progress)
      throws Exception {
    BeirDataset ds = BeirDataset.open(o.dataset());
    if (!ds.splits().contains(o.split())) {
      throw new DatasetException(
          "dataset " + ds.dir() + " has no qrels/" + o.split() + ".tsv; it has " + ds.splits());
    }
    Qrels qrels = Qrels.of(ds.qrels(o.split()));
    Map<String, Query> allQueries = ds.queries();
    List<Query> queries = new ArrayList<>();
    for (String qid : qrels.judgments().keySet()) {
      Query q = allQueries.get(qid);
      if (q != null) queries.add(q);
    }
    if (queries.isEmpty()) {
      throw new DatasetException(
          "no query of qrels/"
              + o.split()
              + ".tsv appears in "
              + ds.dir().resolve("queries.jsonl"));
    }
    // With an explicit --index, that one index as asked; otherwise the cached float32 index
    // (first: the exact reference runs there) plus re-coded variants.
    List<IndexRun> indexes = new ArrayList<>();
    if (o.indexDir() == null) {
      Path base = cache.defaultIndexDir(ds);
      cache.ensureIndex(
          ds, base, true, IndexOptions.DEFAULT, o.encodeThreads(), o.batchSize(), progress);
      boolean asked = o.indexOptions().contains(IndexOptions.DEFAULT);
      indexes.add(
          new IndexRun(IndexOptions.DEFAULT, base, asked ? Role.CACHED : Role.REFERENCE_ONLY));
      for (IndexOptions opt : o.indexOptions())
        if (!opt.equals(IndexOptions.DEFAULT))
          indexes.add(new IndexRun(opt, cache.ensureRecoded(ds, base, opt), Role.VARIANT));
    } else {
      if (o.indexOptions().size() != 1)
        throw new IllegalArgumentException(
            "a sweep needs Latte's cached indexes: leave out --index");
      IndexOptions opt = o.indexOptions().getFirst();
      Path path =
          cache.ensureIndex(
              ds, o.indexDir(), false, opt, o.encodeThreads(), o.batchSize(), progress);
      indexes.add(new IndexRun(opt, path, Role.GIVEN));
    }
    return new EvalPlan(ds, qrels, List.copyOf(queries), List.copyOf(indexes), o.methods());
  }

  BeirDataset dataset() {
    return dataset;
  }

  Qrels qrels() {
    return qrels;
  }

  List<Query> queries() {
    return queries;
  }

  List<IndexRun> indexes() {
    return indexes;
  }

  /** Rows are named {@code method@codec-pN} when several storage settings are compared. */
  boolean labelsByStorage() {
    return indexes.size() > 1;
  }

  /** Methods left out for want of a first stage, as {@code method[@codec-pN]}. */
  List<String> skipped() {
    return List.copyOf(skipped);
  }

  /**
   * Whether a query's own id is removed from its results. BEIR does so because in some of its
   * collections (ArguAna, Quora) the query text is itself a document. Classic collections converted
   * to BEIR's layout number queries and documents independently, so query 1 is not document 1: when
   * the judgments mark some query's own id relevant, ids are unrelated and nothing is removed.
   */
  boolean removeSelfHits() {
    for (var e : qrels.judgments().entrySet()) {
      Integer grade = e.getValue().get(e.getKey());
      if (grade != null && grade > 0) return false;
    }
    return true;
  }

  /**
   * The methods to run on {@code run}'s index, in the order of their rows ({@link #runOrder} is the
   * order they run in); methods that read text only ({@code bm25}) are left out once {@code
   * textDone}, since their ranking does not depend on the storage settings. Fails before any work
   * on an unknown name.
   */
  List<String> methodsFor(
      LatteSearcher searcher,
      IndexRun run,
      boolean textDone,
      TokenEncoder encoder,
      PrintStream out,
      Function<String, IndexProgress> stageProgress)
      throws IOException {
    List<String> methods;
    if (run.role() == Role.REFERENCE_ONLY) {
      methods = List.of(ExactMaxSimMethod.NAME);
    } else if (all) {
      methods = searcher.methods();
      if (run.role() == Role.VARIANT)
        methods =
            methods.stream()
                .filter(m -> scansTokenMatrices(m) || variantStage(firstStageOf(m)))
                .toList();
    } else {
      methods =
          requested.stream()
              .filter(m -> !m.equals(ExactMaxSimMethod.HAMMING) || searcher.methods().contains(m))
              .toList();
      for (String name : methods) searcher.method(name);
    }
    methods = prepareFirstStages(searcher, methods, run, encoder, out, stageProgress);
    if (!textDone) return methods;
    return methods.stream().filter(m -> searcher.method(m).needsQueryMatrix()).toList();
  }

  /** The order to run {@code methods} in: exact MaxSim first, so the others compare with it. */
  static List<String> runOrder(List<String> methods) {
    List<String> order = new ArrayList<>(methods);
    if (order.remove(ExactMaxSimMethod.NAME)) order.addFirst(ExactMaxSimMethod.NAME);
    return order;
  }

  /** Methods that scan the token matrices only: no text, no first stage. */
  private static boolean scansTokenMatrices(String method) {
    return method.equals(ExactMaxSimMethod.NAME) || method.equals(ExactMaxSimMethod.HAMMING);
  }

  /**
   * The first stage a method searches, as the method itself declares it ({@link
   * dev.latte.searcher.SearchMethod#firstStage()}, through the registry); null for methods that
   * need none.
   */
  static String firstStageOf(String method) {
    return FirstStages.stageOfMethod(method);
  }

  /**
   * Makes sure the structures the methods need are there, and returns the methods that can run: on
   * the cached float32 index builds what is missing or stale; elsewhere leaves out (with a note)
   * the methods whose structure is missing, except that a method named explicitly on an explicit
   * index fails with its own message.
   */
  private List<String> prepareFirstStages(
      LatteSearcher searcher,
      List<String> methods,
      IndexRun run,
      TokenEncoder encoder,
      PrintStream out,
      Function<String, IndexProgress> stageProgress)
      throws IOException {
    LatteIndex index = searcher.index();
    Path path = index.path();
    Map<String, Boolean> fresh = new LinkedHashMap<>();
    for (String m : methods) {
      String s = firstStageOf(m);
      if (s != null && !fresh.containsKey(s))
        fresh.put(s, index.isFresh(FirstStages.builders().get(s).format()));
    }
    List<String> stale =
        fresh.entrySet().stream().filter(e -> !e.getValue()).map(Map.Entry::getKey).toList();
    if (stale.isEmpty()) return methods;
    Map<String, String> failed = new LinkedHashMap<>();
    List<String> buildable =
        switch (run.role()) {
          case CACHED -> stale;
          case VARIANT -> stale.stream().filter(EvalPlan::variantStage).toList();
          default -> List.of();
        };
    if (!buildable.isEmpty()) {
      out.println(
          "Building first stage(s) "
              + String.join(", ", buildable)
              + " for "
              + path
              + " (needed by "
              + String.join(
                  ", ", methods.stream().filter(m -> buildable.contains(firstStageOf(m))).toList())
              + "; this can take minutes)");
      // One at a time: with 'all', a structure that fails to build costs only its own methods.
      for (String s : buildable) {
        try {
          FirstStages.build(
              path,
              List.of(s),
              true,
              stageProgress,
              out,
              encoder instanceof dev.latte.encoders.OnnxTokenEncoder o ? o.folder() : null);
          fresh.put(s, true);
        } catch (IOException | RuntimeException e) {
          if (!all) throw e;
          failed.put(s, e.toString());
        }
      }
    }
    List<String> kept = new ArrayList<>();
    Map<String, List<String>> skippedFor = new LinkedHashMap<>(); // reason -> methods
    for (String m : methods) {
      String s = firstStageOf(m);
      if (s == null || fresh.get(s)) {
        kept.add(m);
      } else if (failed.containsKey(s)) {
        skippedFor
            .computeIfAbsent(
                "building its '" + s + "' first stage failed: " + failed.get(s),
                r -> new ArrayList<>())
            .add(m);
      } else if (run.role() == Role.VARIANT) {
        skippedFor
            .computeIfAbsent(
                "on re-coded variants only "
                    + String.join(", ", VARIANT_STAGES)
                    + " is built; the other first stages only for the float32 index without"
                    + " pooling",
                r -> new ArrayList<>())
            .add(m + "@" + run.options().label());
      } else if (all) {
        skippedFor
            .computeIfAbsent(
                "index "
                    + path
                    + " has no up-to-date '"
                    + s
                    + "' first stage (build it with: ./latte index --index "
                    + path
                    + " --first-stage "
                    + s
                    + ")",
                r -> new ArrayList<>())
            .add(m);
      } else {
        // Named explicitly: let the method say what is missing, before any work.
        searcher.method(m).search(index, searcher.query(queries.getFirst().text()), 1);
        kept.add(m);
      }
    }
    skippedFor.forEach(
        (why, ms) -> {
          skipped.addAll(ms);
          out.println("Skipping " + String.join(", ", ms) + ": " + why);
        });
    return kept;
  }
}
