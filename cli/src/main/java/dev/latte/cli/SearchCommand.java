package dev.latte.cli;

import dev.latte.encoders.OnnxTokenEncoder;
import dev.latte.searcher.Filters;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.LatteSearcher;
import dev.latte.searcher.PassageScoring;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "search",
    mixinStandardHelpOptions = true,
    description = "Search an index and print the top hits.")
final class SearchCommand implements Callable<Integer> {
  @Option(names = "--index", required = true, description = "Index folder.")
  Path index;

  @Option(names = "--query", description = "Query text.")
  String query;

  @Option(
      names = "--query-vectors",
      paramLabel = "FILE",
      description =
          "The query as token vectors instead of text (an index of precomputed vectors takes"
              + " only these): JSON [[float]], {\"vectors\": [[float]], \"tokens\": [..]}, or a"
              + " 2-d .npy. With --query too, bm25 and the hybrids see its text.")
  Path queryVectors;

  @Option(
      names = "--k",
      defaultValue = "10",
      description = "Hits to return (default: ${DEFAULT-VALUE}).")
  int k;

  @Option(
      names = "--method",
      defaultValue = LatteSearcher.DEFAULT_METHOD,
      completionCandidates = MethodNames.class,
      description =
          "One of: ${COMPLETION-CANDIDATES} (maxsim-hamming on a bit index only; the first-stage"
              + " ones need ./latte index --first-stage) (default: ${DEFAULT-VALUE}).")
  String method;

  @Option(
      names = "--filter",
      paramLabel = "JSON",
      description =
          "Only documents whose metadata match this Elasticsearch-style filter, applied before"
              + " scoring, e.g. '{\"bool\": {\"must\": [{\"term\": {\"lang\": \"en\"}},"
              + " {\"range\": {\"year\": {\"gte\": 2020}}}]}}'. Clauses: term, terms, range,"
              + " exists, bool (must, filter, should, must_not), match_all.")
  String filter;

  @Option(
      names = "--passage-scoring",
      defaultValue = "union",
      description =
          "On an index of passages (--long-docs): union (MaxSim over all of a document's"
              + " passages' tokens) or maxp (its best passage) (default: ${DEFAULT-VALUE}).")
  String passageScoring;

  @Option(
      names = "--model",
      defaultValue = "default",
      description = "The model that built the index (default: ${DEFAULT-VALUE}).")
  String model;

  @Override
  public Integer call() throws Exception {
    // Parsed before the model loads, so a malformed filter fails at once.
    org.apache.lucene.search.Query parsedFilter = filter == null ? null : Filters.parse(filter);
    PassageScoring scoring = PassageScoring.fromName(passageScoring);
    if (query == null && queryVectors == null)
      throw new IllegalArgumentException("give --query TEXT or --query-vectors FILE");
    var vectors =
        queryVectors == null ? null : dev.latte.datasets.corpus.QueryVectors.read(queryVectors);
    LatteIndex opened = LatteIndex.open(index);
    // No model is loaded for query vectors, nor for an index of precomputed vectors (it has none).
    boolean needsModel = vectors == null && opened.metadata().hasModel();
    try (OnnxTokenEncoder encoder = needsModel ? Common.encoder(model, 1) : null;
        LatteSearcher searcher = new LatteSearcher(opened, encoder)) {
      String text = query == null ? "" : query;
      var r =
          vectors != null
              ? searcher.searchVectors(
                  method,
                  text,
                  vectors.vectors(),
                  vectors.tokens(),
                  k,
                  parsedFilter,
                  false,
                  scoring)
              : searcher.search(
                  method, searcher.query(text).withPassageScoring(scoring), k, parsedFilter, false);
      for (var h : r.hits()) {
        String title = h.title().isEmpty() ? h.text() : h.title();
        System.out.printf(
            Locale.ROOT,
            "%3d  %9.4f  %-12s  %s%n",
            h.rank(),
            h.score(),
            h.docid(),
            abbreviate(title, 90));
        if (h.passage() != null && h.passage().passages() > 1)
          System.out.printf(
              Locale.ROOT,
              "                 best passage %d of %d (%.4f), characters %d-%d: %s%n",
              h.passage().index() + 1,
              h.passage().passages(),
              h.passage().score(),
              h.passage().start(),
              h.passage().end(),
              abbreviate(h.text().substring(h.passage().start(), h.passage().end()), 80));
        String metadata = searcher.index().metadataById(h.docid());
        if (metadata != null) System.out.println("                 " + abbreviate(metadata, 100));
      }
      System.out.printf(
          Locale.ROOT,
          "%d hits by %s in %.1f ms (encode %.1f ms, first stage %.1f ms, rescoring %.1f ms of %d"
              + " candidates)%n",
          r.hits().size(),
          r.method(),
          r.tookMillis(),
          r.encodeMillis(),
          r.firstStageMillis(),
          r.rescoreMillis(),
          r.candidatesScored());
    }
    return 0;
  }

  static String abbreviate(String s, int max) {
    String one = s.replace('\n', ' ');
    return one.length() <= max ? one : one.substring(0, max - 1) + "…";
  }
}
