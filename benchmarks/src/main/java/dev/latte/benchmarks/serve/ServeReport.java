package dev.latte.benchmarks.serve;

import dev.latte.core.Percentiles;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The report arithmetic of the serve benchmark: Markdown tables and JSON maps of a run. */
final class ServeReport {
  private ServeReport() {}

  /** count, mean, p50, p95, p99, max of latencies in ms. */
  static Map<String, Object> summary(double[] ms) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("count", ms.length);
    m.put("mean_ms", round(Arrays.stream(ms).average().orElse(Double.NaN)));
    m.put("p50_ms", round(Percentiles.nearestRank(ms, 50)));
    m.put("p95_ms", round(Percentiles.nearestRank(ms, 95)));
    m.put("p99_ms", round(Percentiles.nearestRank(ms, 99)));
    m.put("max_ms", round(Arrays.stream(ms).max().orElse(Double.NaN)));
    return m;
  }

  static double round(double v) {
    return Double.isNaN(v) ? v : Math.round(v * 10) / 10.0;
  }

  static Map<String, Object> loadReport(LoadRun.LoadResult r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("mode", "load");
    m.put("dataset", r.dataset());
    m.put("clients", r.clients());
    m.put("duration_s", round(r.seconds()));
    m.put("searches", r.searches());
    m.put("search_errors", r.searchErrors());
    m.put("throughput_per_s", round(r.searches() / r.seconds()));
    m.put("search_latency", summary(r.searchMillis()));
    Map<String, Object> byMethod = new LinkedHashMap<>();
    r.searchMillisByMethod().forEach((k, v) -> byMethod.put(k, summary(v)));
    m.put("search_latency_by_method", byMethod);
    m.put("write_batches", r.writeBatches());
    m.put("write_errors", r.writeErrors());
    m.put("write_latency", summary(r.writeMillis()));
    if (r.firstStageMillis().length > 0)
      m.put("write_first_stage_sync", summary(r.firstStageMillis()));
    m.put("documents_indexed_during_load", r.documentsIndexed());
    m.put("documents_at_end", r.documentsAtEnd());
    m.put("error_samples", r.errorSamples());
    m.put("pass", r.searchErrors() == 0 && r.writeErrors() == 0);
    return m;
  }

  static String loadTable(LoadRun.LoadResult r) {
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            Locale.ROOT,
            "| clients | duration s | searches | errors | searches/s | p50 ms | p95 ms | p99 ms |%n"
                + "|---:|---:|---:|---:|---:|---:|---:|---:|%n"
                + "| %d | %.1f | %d | %d | %.1f | %.1f | %.1f | %.1f |%n%n",
            r.clients(),
            r.seconds(),
            r.searches(),
            r.searchErrors(),
            r.searches() / r.seconds(),
            Percentiles.nearestRank(r.searchMillis(), 50),
            Percentiles.nearestRank(r.searchMillis(), 95),
            Percentiles.nearestRank(r.searchMillis(), 99)));
    b.append("| method | searches | p50 ms | p95 ms | p99 ms |\n|---|---:|---:|---:|---:|\n");
    r.searchMillisByMethod()
        .forEach(
            (k, v) ->
                b.append(
                    String.format(
                        Locale.ROOT,
                        "| %s | %d | %.1f | %.1f | %.1f |%n",
                        k,
                        v.length,
                        Percentiles.nearestRank(v, 50),
                        Percentiles.nearestRank(v, 95),
                        Percentiles.nearestRank(v, 99))));
    b.append(
        String.format(
            Locale.ROOT,
            "%n| write batches (8 docs) | write errors | write p50 ms | write p95 ms | docs"
                + " indexed during load | docs in index at end |%n"
                + "|---:|---:|---:|---:|---:|---:|%n"
                + "| %d | %d | %.1f | %.1f | %d | %d |%n",
            r.writeBatches(),
            r.writeErrors(),
            Percentiles.nearestRank(r.writeMillis(), 50),
            Percentiles.nearestRank(r.writeMillis(), 95),
            r.documentsIndexed(),
            r.documentsAtEnd()));
    if (r.firstStageMillis().length > 0)
      b.append(
          String.format(
              Locale.ROOT,
              "%nKeeping the first stages in step, per write batch: p50 %.1f ms, p95 %.1f ms (part"
                  + " of the write latency)%n",
              Percentiles.nearestRank(r.firstStageMillis(), 50),
              Percentiles.nearestRank(r.firstStageMillis(), 95)));
    for (String e : r.errorSamples()) b.append("error: ").append(e).append('\n');
    b.append(r.searchErrors() == 0 && r.writeErrors() == 0 ? "PASS\n" : "FAIL\n");
    return b.toString();
  }

  static Map<String, Object> crashReport(
      List<CrashRun.CrashIteration> its, CrashRun.FinalCheck fin, long seed) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("mode", "crash");
    m.put("seed", seed);
    List<Map<String, Object>> rows = new ArrayList<>();
    for (CrashRun.CrashIteration c : its) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("iteration", c.iteration());
      r.put("kill_after_ms", c.killAfterMs());
      r.put("exit_code", c.exitCode());
      r.put("batches_acknowledged", c.batchesAcked());
      r.put("acknowledged_total", c.acknowledged());
      r.put("in_flight", c.inFlight());
      r.put("in_flight_present", c.inFlightPresent());
      r.put("documents_found", c.documentsFound());
      r.put("sampled", c.sampled());
      r.put("sampled_found", c.sampledFound());
      r.put("missing", c.missing());
      r.put("duplicates", c.duplicates());
      r.put("index_opened", c.indexOpened());
      r.put("searchable", c.searchable());
      r.put("restart_ms", round(c.restartMs()));
      r.put("problems", c.problems());
      r.put("pass", c.pass());
      rows.add(r);
    }
    m.put("iterations", rows);
    Map<String, Object> f = new LinkedHashMap<>();
    if (fin != null) {
      f.put("acknowledged", fin.acknowledged());
      f.put("checked", fin.checked());
      f.put("found", fin.found());
      f.put("duplicates", fin.duplicates());
      f.put("documents", fin.documents());
      f.put("first_stage_answers_after_restarts", fin.firstStageChecks());
      f.put("first_stage_problems", fin.firstStageProblems());
      f.put("pass", fin.pass());
    }
    m.put("final_check", f);
    m.put("restart", summary(restartMillis(its)));
    m.put("pass", crashPassed(its, fin));
    return m;
  }

  /** Latencies in ms of the {@code {method index, ms}} samples of one method (-1: all). */
  static double[] latencies(List<double[]> samples, int method) {
    return samples.stream()
        .filter(a -> method < 0 || a[0] == method)
        .mapToDouble(a -> a[1])
        .toArray();
  }

  static double[] millis(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).toArray();
  }

  static double[] restartMillis(List<CrashRun.CrashIteration> its) {
    return its.stream().mapToDouble(CrashRun.CrashIteration::restartMs).toArray();
  }

  /** Every iteration passed and so did the final check (if there was one). */
  static boolean crashPassed(List<CrashRun.CrashIteration> its, CrashRun.FinalCheck fin) {
    return !its.isEmpty()
        && its.stream().allMatch(CrashRun.CrashIteration::pass)
        && (fin == null || fin.pass());
  }

  static String crashTable(List<CrashRun.CrashIteration> its, CrashRun.FinalCheck fin) {
    StringBuilder b = new StringBuilder();
    b.append(
        "| it | kill ms | exit | acked batches | acked total | in flight (present) | docs found |"
            + " sampled found | missing | dups | restart ms | result |\n"
            + "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for (CrashRun.CrashIteration c : its) {
      b.append(
          String.format(
              Locale.ROOT,
              "| %d | %d | %d | %d | %d | %d (%d) | %d | %d/%d | %d | %d | %.0f | %s |%n",
              c.iteration(),
              c.killAfterMs(),
              c.exitCode(),
              c.batchesAcked(),
              c.acknowledged(),
              c.inFlight(),
              c.inFlightPresent(),
              c.documentsFound(),
              c.sampledFound(),
              c.sampled(),
              c.missing(),
              c.duplicates(),
              c.restartMs(),
              c.pass() ? "pass" : "FAIL: " + String.join("; ", c.problems())));
    }
    if (fin != null)
      b.append(
          String.format(
              Locale.ROOT,
              "%nFinal check: %d/%d acknowledged ids found exactly once (%d duplicates), %d documents"
                  + " in the index%n",
              fin.found(),
              fin.acknowledged(),
              fin.duplicates(),
              fin.documents()));
    double[] restarts = restartMillis(its);
    b.append(
        String.format(
            Locale.ROOT,
            "Restart to healthy: p50 %.0f ms, max %.0f ms%n",
            Percentiles.nearestRank(restarts, 50),
            Arrays.stream(restarts).max().orElse(Double.NaN)));
    b.append(crashPassed(its, fin) ? "PASS\n" : "FAIL\n");
    return b.toString();
  }
}
