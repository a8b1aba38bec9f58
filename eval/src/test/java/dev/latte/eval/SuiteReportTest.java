package dev.latte.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.latte.eval.SuiteEvaluator.SuiteRow;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SuiteReportTest {
  @TempDir Path tmp;

  private static EvalRow row(String name, double ndcg, double ratio, double p50) {
    return new EvalRow(
        name,
        name,
        "float32",
        1,
        ndcg,
        ratio,
        0.9,
        null,
        0.5,
        0.4,
        p50,
        p50,
        p50,
        p50,
        0,
        0,
        p50,
        p50,
        null,
        1,
        10,
        100,
        0,
        null,
        null,
        null,
        null,
        30,
        1,
        "run.trec");
  }

  private static final List<SuiteRow> ROWS =
      List.of(
          new SuiteRow("a", row("bm25", 0.60, 0.75, 1), 0.01),
          new SuiteRow("a", row("maxsim-exact", 0.80, 1, 100), null),
          new SuiteRow("a", row("hybrid", 0.79, 0.9875, 50), 0.5),
          new SuiteRow("b", row("bm25", 0.50, 1.25, 3), 0.02),
          new SuiteRow("b", row("maxsim-exact", 0.40, 1, 300), null),
          new SuiteRow("b", row("hybrid", 0.52, 1.3, 150), 0.0001));

  @Test
  void meanRowsAverageEachMethodOverItsCollections() {
    var means = SuiteReport.means(ROWS);
    assertEquals(
        List.of("bm25", "maxsim-exact", "hybrid"), means.stream().map(m -> m.method()).toList());
    var hybrid = means.get(2);
    assertEquals(2, hybrid.collections());
    assertEquals(0.655, hybrid.ndcgCut10(), 1e-12);
    assertEquals((0.9875 + 1.3) / 2, hybrid.ndcgRatioToExact(), 1e-12);
    assertEquals(100, hybrid.latencyP50(), 1e-12);
  }

  @Test
  void markdownHasARowPerCollectionAndMethodThenTheMeans() {
    String md = SuiteReport.markdown(ROWS);
    assertTrue(md.contains("| a | hybrid | 0.7900 | 0.9000 | 0.988 | 0.500 | 50.0 | 30 |"), md);
    assertTrue(md.contains("| b | hybrid | 0.5200 | 0.9000 | 1.300 | <0.001 | 150.0 | 30 |"), md);
    assertTrue(md.contains("| **mean** (2) | hybrid | 0.6550 |"), md);
    assertEquals(2 + 6 + 3, md.lines().count());
  }

  @Test
  void safetyNamesTheWorstCollectionAgainstTheBetterInput() {
    String s = SuiteReport.safety(ROWS);
    // a: 0.79 / max(0.60, 0.80) = -1.25%; b: 0.52 / max(0.50, 0.40) = +4%.
    assertTrue(s.contains("hybrid: worst -1.25% vs the better of bm25 and maxsim-exact (a)"), s);
    assertTrue(s.contains("mean +0.0550 vs maxsim-exact, +0.1050 vs bm25"), s);
    assertEquals("", SuiteReport.safety(ROWS.subList(1, 3)));
  }

  @Test
  void jsonCarriesTheDatasetAndPValueOfEveryRowThenTheMeans() throws Exception {
    Path file = tmp.resolve("suite.json");
    SuiteReport.writeJson(ROWS, file);
    JsonNode a = new ObjectMapper().readTree(file.toFile());
    assertEquals(6 + 3, a.size());
    assertEquals("b", a.get(5).get("dataset").asText());
    assertEquals(0.0001, a.get(5).get("p_value_vs_exact").asDouble(), 1e-12);
    assertTrue(a.get(5).has("ndcg_cut_10") && a.get(5).has("run_file"));
    assertTrue(a.get(1).get("p_value_vs_exact").isNull());
    assertEquals("mean", a.get(8).get("dataset").asText());
    assertEquals(0.655, a.get(8).get("ndcg_cut_10").asDouble(), 1e-12);
  }
}
