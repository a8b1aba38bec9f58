package dev.latte.benchmarks.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.latte.core.Percentiles;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The report arithmetic of the serve benchmark on fixed numbers (no server). */
class ServeBenchmarkTest {

  @Test
  void nearestRankPercentiles() {
    double[] v = new double[100];
    for (int i = 0; i < 100; i++) v[i] = 100 - i; // 100..1, unsorted on purpose
    assertEquals(50, Percentiles.nearestRank(v, 50));
    assertEquals(95, Percentiles.nearestRank(v, 95));
    assertEquals(99, Percentiles.nearestRank(v, 99));
    assertEquals(100, Percentiles.nearestRank(v, 100));
    assertEquals(1, Percentiles.nearestRank(v, 0));
    assertEquals(100, v[0], "the input is not sorted in place");

    double[] five = {10, 40, 20, 50, 30};
    assertEquals(30, Percentiles.nearestRank(five, 50)); // rank ceil(2.5) = 3
    assertEquals(50, Percentiles.nearestRank(five, 95)); // rank ceil(4.75) = 5
    assertEquals(20, Percentiles.nearestRank(five, 40)); // rank 2 exactly
    assertEquals(7, Percentiles.nearestRank(new double[] {7}, 99));
    assertTrue(Double.isNaN(Percentiles.nearestRank(new double[0], 50)));
  }

  @Test
  void latenciesAreSplitByMethod() {
    List<double[]> samples =
        List.of(new double[] {0, 5}, new double[] {1, 7}, new double[] {0, 9}, new double[] {2, 1});
    org.junit.jupiter.api.Assertions.assertArrayEquals(
        new double[] {5, 7, 9, 1}, ServeReport.latencies(samples, -1));
    org.junit.jupiter.api.Assertions.assertArrayEquals(
        new double[] {5, 9}, ServeReport.latencies(samples, 0));
    org.junit.jupiter.api.Assertions.assertArrayEquals(
        new double[0], ServeReport.latencies(samples, 3));
    org.junit.jupiter.api.Assertions.assertArrayEquals(
        new double[] {2.5, 1}, ServeReport.millis(List.of(2.5, 1.0)));
  }

  @Test
  void loadReportFromFixedNumbers() {
    double[] search = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100};
    Map<String, double[]> byMethod = new LinkedHashMap<>();
    byMethod.put("maxsim-exact", new double[] {60, 70, 80, 90, 100});
    byMethod.put("bm25", new double[] {10, 20, 30, 40, 50});
    var r =
        new LoadRun.LoadResult(
            "scifact",
            32,
            4.0,
            10,
            0,
            search,
            byMethod,
            3,
            0,
            new double[] {300, 100, 200},
            new double[] {12, 10, 11},
            24,
            324,
            List.of());
    Map<String, Object> m = ServeReport.loadReport(r);
    assertEquals(10L, m.get("searches"));
    assertEquals(2.5, m.get("throughput_per_s")); // 10 searches / 4 s
    @SuppressWarnings("unchecked")
    Map<String, Object> lat = (Map<String, Object>) m.get("search_latency");
    assertEquals(10, lat.get("count"));
    assertEquals(50.0, lat.get("p50_ms"));
    assertEquals(100.0, lat.get("p95_ms"));
    assertEquals(100.0, lat.get("p99_ms"));
    assertEquals(55.0, lat.get("mean_ms"));
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> bm =
        (Map<String, Map<String, Object>>) m.get("search_latency_by_method");
    assertEquals(80.0, bm.get("maxsim-exact").get("p50_ms"));
    assertEquals(30.0, bm.get("bm25").get("p50_ms"));
    @SuppressWarnings("unchecked")
    Map<String, Object> w = (Map<String, Object>) m.get("write_latency");
    assertEquals(200.0, w.get("p50_ms"));
    assertEquals(300.0, w.get("p95_ms"));
    @SuppressWarnings("unchecked")
    Map<String, Object> fs = (Map<String, Object>) m.get("write_first_stage_sync");
    assertEquals(11.0, fs.get("p50_ms"));
    assertEquals(true, m.get("pass"));

    String table = ServeReport.loadTable(r);
    assertTrue(table.contains("| 32 | 4.0 | 10 | 0 | 2.5 | 50.0 | 100.0 | 100.0 |"), table);
    assertTrue(table.contains("| 3 | 0 | 200.0 | 300.0 | 24 | 324 |"), table);
    assertTrue(table.contains("p50 11.0 ms, p95 12.0 ms"), table);
    assertTrue(table.endsWith("PASS\n"), table);

    var failed =
        new LoadRun.LoadResult(
            "scifact",
            1,
            1.0,
            1,
            1,
            new double[] {5},
            Map.of(),
            0,
            0,
            new double[0],
            new double[0],
            0,
            0,
            List.of("search 500"));
    assertFalse(ServeReport.loadReport(failed).containsKey("write_first_stage_sync"));
    assertEquals(false, ServeReport.loadReport(failed).get("pass"));
    assertTrue(ServeReport.loadTable(failed).endsWith("FAIL\n"));
  }

  @Test
  void crashReportPassesOnlyWhenEveryIterationAndTheFinalCheckDo() {
    var ok1 =
        new CrashRun.CrashIteration(
            1, 2000, 3, 48, 16, 0, 48, 48, 48, 0, 0, 137, true, true, 3000, List.of());
    var ok2 =
        new CrashRun.CrashIteration(
            2, 3000, 4, 112, 16, 16, 128, 50, 50, 0, 0, 137, true, true, 5000, List.of());
    var fin = new CrashRun.FinalCheck(112, 112, 112, 0, 128, 2, List.of());
    Map<String, Object> m = ServeReport.crashReport(List.of(ok1, ok2), fin, 42);
    assertEquals(true, m.get("pass"));
    @SuppressWarnings("unchecked")
    Map<String, Object> restart = (Map<String, Object>) m.get("restart");
    assertEquals(3000.0, restart.get("p50_ms"));
    assertEquals(4000.0, restart.get("mean_ms"));
    assertEquals(5000.0, restart.get("max_ms"));
    String table = ServeReport.crashTable(List.of(ok1, ok2), fin);
    assertTrue(
        table.contains(
            "| 2 | 3000 | 137 | 4 | 112 | 16 (16) | 128 | 50/50 | 0 | 0 | 5000 | pass |"),
        table);
    assertTrue(table.endsWith("PASS\n"), table);

    var dup =
        new CrashRun.CrashIteration(
            3, 2500, 1, 128, 16, 0, 129, 50, 50, 1, 0, 137, true, true, 3000, List.of("1 dup"));
    assertEquals(false, ServeReport.crashReport(List.of(ok1, dup), fin, 42).get("pass"));
    var lost = new CrashRun.FinalCheck(112, 112, 111, 0, 127, 2, List.of());
    assertFalse(lost.pass());
    var behind = new CrashRun.FinalCheck(112, 112, 112, 0, 128, 2, List.of("xtr: 409 behind"));
    assertFalse(behind.pass());
    assertEquals(false, ServeReport.crashReport(List.of(ok1, ok2), behind, 42).get("pass"));
    assertEquals(false, ServeReport.crashReport(List.of(ok1, ok2), lost, 42).get("pass"));
    assertTrue(ServeReport.crashTable(List.of(ok1, ok2), lost).endsWith("FAIL\n"));
  }

  @Test
  void sampleKeepsTheNewestBatchAndRangeParses() {
    Set<String> acked = new LinkedHashSet<>();
    for (int i = 0; i < 200; i++) acked.add("d" + i);
    List<String> s = CrashRun.sampleAcked(acked, 50, new Random(1));
    assertEquals(50, s.size());
    assertEquals(50, new LinkedHashSet<>(s).size());
    for (int i = 184; i < 200; i++) assertTrue(s.contains("d" + i), "newest batch: d" + i);
    assertEquals(
        List.of("a", "b"),
        CrashRun.sampleAcked(Set.of("a", "b"), 50, new Random(1)).stream().sorted().toList());
    assertArrayEquals(new long[] {1500, 5000}, CrashRun.parseRange("1500-5000"));
    assertThrows(IllegalArgumentException.class, () -> CrashRun.parseRange("5-1"));
  }

  @Test
  void theServerIsTheProjectsLauncherOnLoopback() {
    ServerProcess server =
        new ServerProcess(Path.of("/tmp/work"), Path.of("/repo/latte"), "default");
    try {
      assertEquals(
          List.of(
              "/repo/latte",
              "serve",
              "--data",
              "/tmp/work/data",
              "--host",
              "127.0.0.1",
              "--port",
              "8123",
              "--model",
              "default"),
          server.command(8123));
    } finally {
      assertDoesNotThrow(server::close);
    }
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ServerProcess.launcher(Path.of("/nonexistent/latte")));
    assertTrue(e.getMessage().contains("--latte"), e.getMessage());
  }

  @Test
  void optionsParseWithPicocli() {
    ServeBenchmark o = new ServeBenchmark();
    new picocli.CommandLine(o)
        .parseArgs("--mode", "crash", "--iterations", "3", "--first-stages", "xtr,coil");
    assertEquals(ServeBenchmark.Mode.crash, o.mode);
    assertEquals(3, o.iterations);
    assertEquals(List.of("xtr", "coil"), o.firstStages);
    assertEquals(Path.of("./latte"), o.latte);
    assertThrows(
        picocli.CommandLine.ParameterException.class,
        () -> new picocli.CommandLine(new ServeBenchmark()).parseArgs("--mode", "soak"));
  }
}
