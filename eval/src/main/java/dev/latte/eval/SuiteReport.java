package dev.latte.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.eval.SuiteEvaluator.SuiteRow;
import dev.latte.searcher.Bm25Method;
import dev.latte.searcher.ExactMaxSimMethod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How a suite is shown: a Markdown table with one row per collection × method and a mean row per
 * method, a safety summary (each method against the better of its two inputs, BM25 and exact
 * MaxSim, per collection), and the JSON file (the evaluation rows plus {@code dataset} and {@code
 * p_value_vs_exact}, then the mean rows).
 */
public final class SuiteReport {
  private SuiteReport() {}

  /** A method's means over the collections it ran on. */
  public record MeanRow(
      String method,
      int collections,
      double ndcgCut10,
      double recall100,
      Double ndcgRatioToExact,
      double latencyP50) {}

  public static List<MeanRow> means(List<SuiteRow> rows) {
    Map<String, List<EvalRow>> byName = new LinkedHashMap<>();
    for (SuiteRow r : rows)
      byName.computeIfAbsent(r.row().name(), k -> new ArrayList<>()).add(r.row());
    List<MeanRow> out = new ArrayList<>();
    byName.forEach(
        (name, rs) -> {
          boolean ratios = rs.stream().allMatch(r -> r.ndcgRatioToExact() != null);
          out.add(
              new MeanRow(
                  name,
                  rs.size(),
                  rs.stream().mapToDouble(EvalRow::ndcgCut10).average().orElseThrow(),
                  rs.stream().mapToDouble(EvalRow::recall100).average().orElseThrow(),
                  ratios
                      ? rs.stream().mapToDouble(EvalRow::ndcgRatioToExact).average().orElseThrow()
                      : null,
                  rs.stream().mapToDouble(EvalRow::latencyP50).average().orElseThrow()));
        });
    return out;
  }

  /** The Markdown table: collections in order, methods in run order, then the means. */
  public static String markdown(List<SuiteRow> rows) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        "| collection | method | nDCG@10 | R@100 | / exact | p vs exact | p50 ms | queries |\n");
    sb.append("|---|---|---:|---:|---:|---:|---:|---:|\n");
    for (SuiteRow s : rows) {
      EvalRow r = s.row();
      sb.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %.4f | %.4f | %s | %s | %.1f | %d |%n",
              s.dataset(),
              r.name(),
              r.ndcgCut10(),
              r.recall100(),
              format("%.3f", r.ndcgRatioToExact()),
              pValue(s.pValueVsExact()),
              r.latencyP50(),
              r.queries()));
    }
    for (MeanRow m : means(rows)) {
      sb.append(
          String.format(
              Locale.ROOT,
              "| **mean** (%d) | %s | %.4f | %.4f | %s | – | %.1f | |%n",
              m.collections(),
              m.method(),
              m.ndcgCut10(),
              m.recall100(),
              format("%.3f", m.ndcgRatioToExact()),
              m.latencyP50()));
    }
    return sb.toString();
  }

  /**
   * For each method other than the two inputs, its worst nDCG@10 relative to the better of BM25 and
   * exact MaxSim over the collections, and whether its mean beats both inputs' means; empty when
   * either input did not run.
   */
  public static String safety(List<SuiteRow> rows) {
    Map<String, Map<String, Double>> ndcg = new LinkedHashMap<>(); // collection -> name -> nDCG
    for (SuiteRow s : rows)
      ndcg.computeIfAbsent(s.dataset(), k -> new LinkedHashMap<>())
          .put(s.row().name(), s.row().ndcgCut10());
    Map<String, MeanRow> means = new LinkedHashMap<>();
    for (MeanRow m : means(rows)) means.put(m.method(), m);
    MeanRow bm25 = means.get(Bm25Method.NAME), exact = means.get(ExactMaxSimMethod.NAME);
    if (bm25 == null || exact == null) return "";
    StringBuilder sb = new StringBuilder();
    for (MeanRow m : means.values()) {
      if (m == bm25 || m == exact) continue;
      double worst = Double.POSITIVE_INFINITY;
      String where = null;
      for (var c : ndcg.entrySet()) {
        Double v = c.getValue().get(m.method());
        Double b = c.getValue().get(Bm25Method.NAME), e = c.getValue().get(ExactMaxSimMethod.NAME);
        if (v == null || b == null || e == null) continue;
        double rel = v / Math.max(b, e) - 1;
        if (rel < worst) {
          worst = rel;
          where = c.getKey();
        }
      }
      if (where == null) continue;
      sb.append(
          String.format(
              Locale.ROOT,
              "%s: worst %+.2f%% vs the better of bm25 and maxsim-exact (%s); mean %+.4f vs"
                  + " maxsim-exact, %+.4f vs bm25%n",
              m.method(),
              100 * worst,
              where,
              m.ndcgCut10() - exact.ndcgCut10(),
              m.ndcgCut10() - bm25.ndcgCut10()));
    }
    return sb.toString();
  }

  public static void writeJson(List<SuiteRow> rows, Path file) throws IOException {
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ArrayNode array = json.createArrayNode();
    for (SuiteRow s : rows) {
      ObjectNode node = json.createObjectNode();
      node.put("dataset", s.dataset());
      node.setAll((ObjectNode) json.valueToTree(s.row()));
      if (s.pValueVsExact() == null) node.putNull("p_value_vs_exact");
      else node.put("p_value_vs_exact", s.pValueVsExact());
      array.add(node);
    }
    for (MeanRow m : means(rows)) {
      ObjectNode node = json.createObjectNode();
      node.put("dataset", "mean");
      node.put("name", m.method());
      node.put("collections", m.collections());
      node.put("ndcg_cut_10", m.ndcgCut10());
      node.put("recall_100", m.recall100());
      if (m.ndcgRatioToExact() == null) node.putNull("ndcg_ratio_to_exact");
      else node.put("ndcg_ratio_to_exact", m.ndcgRatioToExact());
      node.put("latency_ms_p50", m.latencyP50());
      array.add(node);
    }
    if (file.toAbsolutePath().getParent() != null)
      Files.createDirectories(file.toAbsolutePath().getParent());
    json.writeValue(file.toFile(), array);
  }

  private static String pValue(Double p) {
    if (p == null) return "–";
    return p < 0.001 ? "<0.001" : String.format(Locale.ROOT, "%.3f", p);
  }

  private static String format(String pattern, Double value) {
    return value == null ? "–" : String.format(Locale.ROOT, pattern, value);
  }
}
