package dev.latte.cli;

import dev.latte.encoders.OnnxTokenEncoder;
import dev.latte.searcher.Filters;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.LatteSearcher;
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

  @Option(names = "--query", required = true, description = "Query text.")
  String query;

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
      names = "--model",
      defaultValue = "default",
      description = "The model that built the index (default: ${DEFAULT-VALUE}).")
  String model;

  @Override
  public Integer call() throws Exception {
    // Parsed before the model loads, so a malformed filter fails at once.
    org.apache.lucene.search.Query parsedFilter = filter == null ? null : Filters.parse(filter);
    try (OnnxTokenEncoder encoder = Common.encoder(model, 1);
        LatteSearcher searcher = new LatteSearcher(LatteIndex.open(index), encoder)) {
      var r =
          parsedFilter == null
              ? searcher.search(method, query, k)
              : searcher.search(method, query, k, parsedFilter);
      for (var h : r.hits()) {
        String title = h.title().isEmpty() ? h.text() : h.title();
        System.out.printf(
            Locale.ROOT,
            "%3d  %9.4f  %-12s  %s%n",
            h.rank(),
            h.score(),
            h.docid(),
            abbreviate(title, 90));
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
