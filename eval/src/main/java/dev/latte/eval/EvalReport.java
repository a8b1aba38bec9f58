package dev.latte.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.latte.indexer.IndexStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** How evaluation rows are shown: the plain table, the trade-off table and the JSON file. */
public final class EvalReport {
  private EvalReport() {}

  /** The table, one line per method and storage setting. */
  public static String table(List<EvalRow> rows) {
    StringBuilder sb = new StringBuilder();
    String header =
        String.format(
            Locale.ROOT,
            "%-28s %8s %7s %8s %8s %8s %9s %9s %10s %9s %9s %10s %10s",
            "method",
            "nDCG@10",
            "/exact",
            "R@100",
            "MRR@10",
            "MAP",
            "p50 ms",
            "p95 ms",
            "p50+enc",
            "B/token",
            "B/doc",
            "index",
            "B/tok all");
    sb.append(header).append('\n').append("-".repeat(header.length())).append('\n');
    for (EvalRow r : rows) {
      sb.append(
          String.format(
              Locale.ROOT,
              "%-28s %8.4f %7s %8.4f %8.4f %8.4f %9.2f %9.2f %10.2f %9s %9s %10s %10s%n",
              r.name(),
              r.ndcgCut10(),
              r.ndcgRatioToExact() == null
                  ? "-"
                  : String.format(Locale.ROOT, "%.3f", r.ndcgRatioToExact()),
              r.recall100(),
              r.recipRank10(),
              r.map(),
              r.latencyP50(),
              r.latencyP95(),
              r.latencyWithEncodingP50(),
              r.bytesPerToken() == null
                  ? "-"
                  : String.format(Locale.ROOT, "%.1f", r.bytesPerToken()),
              r.bytesPerDoc() == null ? "-" : String.format(Locale.ROOT, "%.0f", r.bytesPerDoc()),
              IndexStats.human(r.indexBytes()),
              r.bytesPerEncodedTokenAllIn() == null
                  ? "-"
                  : String.format(Locale.ROOT, "%.1f", r.bytesPerEncodedTokenAllIn())));
    }
    return sb.toString();
  }

  /**
   * The trade-off of each method against exact MaxSim, one line per method: quality (nDCG@10, its
   * ratio to exact, trec recall@100, recall of exact's top 100), search latency per query without
   * query encoding (median first stage, median rescoring, median and 95th percentile of the whole
   * search), speedup over exact, candidates scored per query and the extra bytes of the derived
   * structure searched.
   */
  public static String tradeOffTable(List<EvalRow> rows) {
    StringBuilder sb = new StringBuilder();
    String header =
        String.format(
            Locale.ROOT,
            "%-28s %8s %7s %7s %9s %9s %9s %9s %9s %8s %9s %10s",
            "method",
            "nDCG@10",
            "/exact",
            "R@100",
            "R@100/ex",
            "p50 1st",
            "p50 resc",
            "p50 ms",
            "p95 ms",
            "speedup",
            "cand/q",
            "extra");
    sb.append(header).append('\n').append("-".repeat(header.length())).append('\n');
    for (EvalRow r : rows) {
      sb.append(
          String.format(
              Locale.ROOT,
              "%-28s %8.4f %7s %7.4f %9s %9.2f %9.2f %9.2f %9.2f %8s %9.0f %10s%n",
              r.name(),
              r.ndcgCut10(),
              format("%.3f", r.ndcgRatioToExact()),
              r.recall100(),
              format("%.4f", r.recall100VsExact()),
              r.firstStageP50(),
              r.rescoreP50(),
              r.latencyP50(),
              r.latencyP95(),
              r.speedupVsExact() == null ? "-" : format("%.1f", r.speedupVsExact()) + "x",
              r.candidatesPerQuery(),
              r.extraIndexBytes() == 0 ? "-" : IndexStats.human(r.extraIndexBytes())));
    }
    return sb.toString();
  }

  private static String format(String pattern, Double value) {
    return value == null ? "-" : String.format(Locale.ROOT, pattern, value);
  }

  public static void writeJson(List<EvalRow> rows, Path file) throws IOException {
    if (file.toAbsolutePath().getParent() != null)
      Files.createDirectories(file.toAbsolutePath().getParent());
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), rows);
  }
}
