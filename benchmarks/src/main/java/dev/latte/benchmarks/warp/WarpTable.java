package dev.latte.benchmarks.warp;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A {@link WarpBenchmark} run as one markdown table (what the README and the closing note quote).
 */
final class WarpTable {
  private WarpTable() {}

  static void print(List<WarpBenchmark.Row> rows, Map<String, Object> report) {
    System.out.printf(
        Locale.ROOT,
        "%n%s, %s queries, one thread; %.1f B per encoded token all in; query encoding p50 %.2f ms"
            + " (p95 %.2f)%n%n",
        report.get("split"),
        report.get("queries"),
        ((Number) report.getOrDefault("bytes_per_token_all_in", 0)).doubleValue(),
        ((Number) report.get("encode_ms_p50")).doubleValue(),
        ((Number) report.get("encode_ms_p95")).doubleValue());
    System.out.println(
        "| method | probes:t':depth | nDCG@10 | share of exact | R@k vs exact | p50 ms | p95 ms | p50 incl. encoding"
            + " | p95 incl. encoding | CPU p50 ms | steps p50 ms |");
    System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for (WarpBenchmark.Row r : rows) {
      StringBuilder steps = new StringBuilder();
      r.stepsP50()
          .forEach(
              (k, v) ->
                  steps
                      .append(steps.isEmpty() ? "" : ", ")
                      .append(k)
                      .append(' ')
                      .append(String.format(Locale.ROOT, "%.2f", v)));
      System.out.printf(
          Locale.ROOT,
          "| %s | %s | %.4f | %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f | %s |%n",
          r.method(),
          r.settings(),
          r.ndcg10(),
          r.ratioToExact() == null ? "-" : String.format(Locale.ROOT, "%.4f", r.ratioToExact()),
          r.recallVsExact() == null ? "-" : String.format(Locale.ROOT, "%.3f", r.recallVsExact()),
          r.p50(),
          r.p95(),
          r.p50WithEncoding(),
          r.p95WithEncoding(),
          r.cpuP50(),
          steps);
    }
    if (report.containsKey("throughput_ratio"))
      System.out.printf(
          Locale.ROOT,
          "%nThroughput %s (%s): %.1f q/s on 1 thread, %.2fx with %s%n",
          report.get("throughput_method"),
          report.get("throughput_layout"),
          ((Number) report.get("throughput_qps_1")).doubleValue(),
          ((Number) report.get("throughput_ratio")).doubleValue(),
          report.keySet().stream()
              .filter(k -> k.startsWith("throughput_qps_") && !k.endsWith("_1"))
              .findFirst()
              .map(k -> k.substring("throughput_qps_".length()) + " threads")
              .orElse("more threads"));
  }
}
