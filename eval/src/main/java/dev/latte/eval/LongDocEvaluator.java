package dev.latte.eval;

import dev.latte.datasets.BeirDataset;
import dev.latte.datasets.BooksBuilder;
import dev.latte.datasets.Query;
import dev.latte.encoders.PassagePolicy;
import dev.latte.encoders.TokenEncoder;
import dev.latte.eval.metrics.Evaluation;
import dev.latte.eval.metrics.Qrels;
import dev.latte.eval.metrics.RankedDoc;
import dev.latte.eval.metrics.TrecMetrics;
import dev.latte.eval.metrics.TrecRun;
import dev.latte.indexer.IndexStats;
import dev.latte.indexer.JobState;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.LatteSearcher;
import dev.latte.searcher.MethodResult;
import dev.latte.searcher.PassageScoring;
import dev.latte.searcher.QueryContext;
import dev.latte.searcher.ScoredDoc;
import dev.latte.searcher.SearchMethod;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The long-document report ({@code ./latte eval --long-docs INDEX,...}): each given index, built by
 * {@code ./latte index --long-docs ...} over the dataset's corpus, searched with each passage
 * scoring (union-MaxSim, MaxP) over the judged queries of a split: nDCG@10, R@100, documents,
 * passages and tokens stored, index bytes, and the indexing job's docs/s (from its {@code
 * latte-job.json}). An index over another collection can be evaluated through {@code --map-ids
 * parts.tsv} (e.g. the per-abstract SciFact index on the books built from it): each source
 * document's score goes to its book, a book scoring as its best document.
 */
public final class LongDocEvaluator {
  /** Documents ranked per query before mapping ids (deep, so every book gets its best part). */
  static final int MAPPED_DEPTH = 20_000;

  public record Row(
      String index,
      String layout,
      String scoring,
      String method,
      double ndcgCut10,
      double recall100,
      int queries,
      long documents,
      long passages,
      long tokens,
      long indexBytes,
      Double indexingDocsPerSecond,
      String runFile) {}

  private final TokenEncoder encoder;
  private final PrintStream out;

  public LongDocEvaluator(TokenEncoder encoder, PrintStream out) {
    this.encoder = encoder;
    this.out = out;
  }

  public List<Row> evaluate(
      Path dataset,
      String split,
      List<Path> indexes,
      List<PassageScoring> scorings,
      String method,
      Path mapIds,
      int k,
      Path runDir,
      int maxQueries)
      throws Exception {
    BeirDataset ds = BeirDataset.open(dataset);
    Qrels qrels = Qrels.of(ds.qrels(split));
    Map<String, Query> all = ds.queries();
    List<Query> queries = new ArrayList<>();
    for (String qid : qrels.judgments().keySet())
      if (all.containsKey(qid)) queries.add(all.get(qid));
    if (queries.isEmpty())
      throw new IllegalArgumentException("no query of qrels/" + split + ".tsv is in queries.jsonl");
    if (queries.size() > maxQueries) {
      // The first N judged queries, in qrels order; the metrics average over those alone.
      queries = new ArrayList<>(queries.subList(0, maxQueries));
      Map<String, Map<String, Integer>> kept = new LinkedHashMap<>();
      for (Query q : queries) kept.put(q.id(), qrels.judgments().get(q.id()));
      qrels = Qrels.of(kept);
    }
    Map<String, String> mapping = mapIds == null ? null : readMapping(mapIds);
    boolean selfHits = removeSelfHits(qrels);
    Files.createDirectories(runDir);
    List<Row> rows = new ArrayList<>();
    for (Path path : indexes) {
      try (LatteSearcher searcher = new LatteSearcher(LatteIndex.open(path), encoder)) {
        LatteIndex index = searcher.index();
        PassagePolicy policy = index.passagePolicy();
        String layout = policy == null ? "one passage per document" : policy.label();
        IndexStats stats = index.stats();
        Double docsPerSecond = indexingSpeed(path);
        SearchMethod m = searcher.method(method);
        int depth = mapping == null ? k + 1 : Math.max(k + 1, MAPPED_DEPTH);
        for (PassageScoring scoring : policy == null ? List.of(PassageScoring.UNION) : scorings) {
          Map<String, List<RankedDoc>> rankings = new LinkedHashMap<>();
          for (Query q : queries) {
            QueryContext qc = searcher.query(q.text()).withPassageScoring(scoring);
            MethodResult r = m.search(index, qc, depth);
            List<RankedDoc> ranking = new ArrayList<>(r.docs().size());
            for (ScoredDoc d : r.docs()) ranking.add(new RankedDoc(index.id(d.doc()), d.score()));
            rankings.put(q.id(), mapping == null ? ranking : mapped(ranking, mapping));
          }
          TrecRun run = TrecRun.of(rankings);
          if (selfHits && mapping == null) run = run.withoutSelfHits();
          run = truncate(run, k);
          String label =
              path.getFileName() + "-" + scoring.cliName() + (mapping == null ? "" : "-mapped");
          Path runFile = runDir.resolve(label + ".trec");
          run.writeTo(runFile, "latte-" + label);
          Evaluation e = TrecMetrics.evaluate(qrels, run);
          Row row =
              new Row(
                  path.getFileName().toString(),
                  mapping == null ? layout : layout + ", mapped by " + mapIds.getFileName(),
                  policy == null ? "-" : scoring.cliName(),
                  method,
                  e.mean().ndcgCut10(),
                  e.mean().recall100(),
                  e.mean().queries(),
                  stats.documents(),
                  stats.passages(),
                  stats.tokens(),
                  stats.indexBytes(),
                  docsPerSecond,
                  runFile.toString());
          out.printf(
              Locale.ROOT,
              "  %-24s %-8s nDCG@10 %.4f  R@100 %.4f%n",
              row.index(),
              row.scoring(),
              row.ndcgCut10(),
              row.recall100());
          rows.add(row);
        }
      }
    }
    return rows;
  }

  /** The table of {@code rows} in Markdown. */
  public static String table(List<Row> rows) {
    StringBuilder b = new StringBuilder();
    b.append(
        "| index | passages | scoring | nDCG@10 | R@100 | documents | passages stored | tokens stored | index bytes | indexing docs/s |\n");
    b.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Row r : rows)
      b.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s | %.4f | %.4f | %,d | %,d | %,d | %s | %s |%n",
              r.index(),
              r.layout(),
              r.scoring(),
              r.ndcgCut10(),
              r.recall100(),
              r.documents(),
              r.passages(),
              r.tokens(),
              IndexStats.human(r.indexBytes()),
              r.indexingDocsPerSecond() == null
                  ? "-"
                  : String.format(Locale.ROOT, "%.2f", r.indexingDocsPerSecond())));
    return b.toString();
  }

  /** A document scores as the best of the source documents mapped to it. */
  static List<RankedDoc> mapped(List<RankedDoc> ranking, Map<String, String> mapping) {
    Map<String, Float> best = new HashMap<>();
    for (RankedDoc d : ranking) {
      String to = mapping.get(d.docId());
      if (to == null)
        throw new IllegalArgumentException("document " + d.docId() + " is not in the id mapping");
      best.merge(to, d.score(), Math::max);
    }
    List<RankedDoc> out = new ArrayList<>(best.size());
    best.forEach((id, s) -> out.add(new RankedDoc(id, s)));
    out.sort(RankedDoc.TREC_EVAL_ORDER);
    return out;
  }

  static Map<String, String> readMapping(Path file) {
    Path folder = Files.isDirectory(file) ? file : file.getParent();
    if (Files.isDirectory(file) || file.getFileName().toString().equals(BooksBuilder.PARTS_FILE))
      return BooksBuilder.parts(folder);
    throw new IllegalArgumentException(
        "--map-ids takes the " + BooksBuilder.PARTS_FILE + " of a books folder, not " + file);
  }

  /** As {@link EvalPlan#removeSelfHits()}: unless some query's own id is judged relevant. */
  static boolean removeSelfHits(Qrels qrels) {
    for (var e : qrels.judgments().entrySet()) {
      Integer grade = e.getValue().get(e.getKey());
      if (grade != null && grade > 0) return false;
    }
    return true;
  }

  /** Documents indexed per second by the job that built the index, over all its runs. */
  static Double indexingSpeed(Path index) {
    Path file = index.resolve(JobState.FILE);
    if (!Files.isRegularFile(file)) return null;
    try {
      var state =
          new com.fasterxml.jackson.databind.ObjectMapper().readTree(file.toFile()).path("state");
      double seconds = state.path("seconds").asDouble();
      return seconds <= 0 ? null : state.path("counters").path("indexed").asLong() / seconds;
    } catch (IOException e) {
      return null;
    }
  }

  private static TrecRun truncate(TrecRun run, int k) {
    Map<String, List<RankedDoc>> out = new LinkedHashMap<>();
    run.rankings().forEach((q, r) -> out.put(q, r.size() > k ? r.subList(0, k) : r));
    return TrecRun.of(out);
  }
}
