package dev.latte.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class BenchReportTest {

  @Test
  void derivesPairsFlopsAndPercentOfPeakFromJmhCsv() {
    List<String> csv =
        List.of(
            "\"Benchmark\",\"Mode\",\"Threads\",\"Samples\",\"Score\",\"Score Error (99.9%)\",\"Unit\",\"Param: codec\",\"Param: dim\",\"Param: docSetMB\",\"Param: docTokens\"",
            "\"dev.latte.benchmarks.CodecKernelBenchmark.panama\",\"thrpt\",1,3,100000.000000,1234.5,\"ops/s\",float32,128,1,180",
            "\"dev.latte.benchmarks.CodecKernelBenchmark.scalar\",\"thrpt\",1,1,433.069797,NaN,\"ops/s\",bit,128,1,180");
    String table = BenchReport.markdown(csv, 217.6);
    String[] rows = table.split("\n");
    assertEquals(4, rows.length, table);
    assertTrue(
        rows[0].startsWith("| benchmark | codec | dim | docSetMB | docTokens | score |"), rows[0]);
    // 100,000 docs/s x 32 x 180 = 0.576 G pairs/s; x 2 x 128 = 147.5 GFLOP/s = 68% of 217.6
    assertEquals(
        "| CodecKernelBenchmark.panama | float32 | 128 | 1 | 180 | 100,000 | 1,235 | ops/s | 0.576 | 147.5 | 68% |",
        rows[2]);
    assertTrue(rows[3].contains("| 433 |  | ops/s | 0.002 | 0.6 | n/a |"), rows[3]);
  }

  @Test
  void rowsWithoutShapeParametersKeepTheirRawScore() {
    List<String> csv =
        List.of(
            "\"Benchmark\",\"Mode\",\"Threads\",\"Samples\",\"Score\",\"Score Error (99.9%)\",\"Unit\"",
            "\"dev.latte.benchmarks.FmaPeakBenchmark.fma\",\"thrpt\",1,3,6800000000.0,1.0,\"ops/s\"");
    String table = BenchReport.markdown(csv, 217.6);
    assertTrue(table.contains("| FmaPeakBenchmark.fma | 6,800,000,000 | 1 | ops/s | | | |"), table);
  }

  @Test
  void csvFieldsMayBeQuotedWithCommasAndQuotes() {
    assertEquals(
        List.of("a,b", "c\"d", "", "e"), BenchReport.parseCsvLine("\"a,b\",\"c\"\"d\",,e"));
  }
}
