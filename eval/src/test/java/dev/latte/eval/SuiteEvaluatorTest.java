package dev.latte.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.latte.datasets.DatasetException;
import dev.latte.encoders.BundledModel;
import dev.latte.encoders.OnnxTokenEncoder;
import dev.latte.eval.SuiteEvaluator.SuiteRow;
import dev.latte.eval.metrics.TrecRun;
import dev.latte.indexer.IndexProgress;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The suite end to end on a folder holding ADI, with the real bundled model. */
class SuiteEvaluatorTest {
  @TempDir Path tmp;

  @Test
  void evaluatesEveryCollectionWithTheSplitAgainstExactMaxSim() throws Exception {
    Path adi = Path.of(System.getProperty("latte.shared.dir", "../../shared"), "datasets", "adi");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.isDirectory(adi), "no shared datasets at " + adi);
    Path suite = tmp.resolve("suite");
    Files.createDirectories(suite);
    Files.createSymbolicLink(suite.resolve("adi"), adi.toAbsolutePath());
    // A collection without the split, and a folder that is no collection at all.
    Path noTest = suite.resolve("no-test");
    Files.createDirectories(noTest.resolve("qrels"));
    Files.writeString(noTest.resolve("corpus.jsonl"), "{\"_id\":\"d\",\"text\":\"x\"}\n");
    Files.writeString(noTest.resolve("queries.jsonl"), "{\"_id\":\"q\",\"text\":\"x\"}\n");
    Files.writeString(noTest.resolve("qrels/train.tsv"), "query-id\tcorpus-id\tscore\nq\td\t1\n");
    Files.createDirectories(suite.resolve("notes"));

    String home = System.getProperty("latte.home");
    System.setProperty("latte.home", tmp.resolve("home").toString());
    try (OnnxTokenEncoder encoder = OnnxTokenEncoder.load(BundledModel.folder(), 2, 1)) {
      ByteArrayOutputStream log = new ByteArrayOutputStream();
      PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
      SuiteEvaluator evaluator = new SuiteEvaluator(new BeirEvaluator(encoder, out), out);
      assertEquals(List.of(suite.resolve("adi")), evaluator.collections(suite, "test"));
      assertTrue(log.toString().contains("Leaving out no-test: no qrels/test.tsv"), log.toString());

      var options =
          new BeirEvaluator.Options(
              null,
              null,
              "test",
              List.of("bm25", "hybrid-linear"),
              List.of(),
              100,
              1,
              2,
              16,
              tmp.resolve("runs"),
              1,
              null);
      List<SuiteRow> rows =
          evaluator.evaluate(options, suite, IndexProgress.NONE, n -> IndexProgress.NONE);
      // Exact MaxSim is added as the reference, and runs (and is listed) first.
      assertEquals(
          List.of("maxsim-exact", "bm25", "hybrid-linear"),
          rows.stream().map(r -> r.row().name()).toList());
      for (SuiteRow r : rows) assertEquals("adi", r.dataset());
      assertNull(rows.get(0).pValueVsExact());
      for (SuiteRow r : rows.subList(1, 3)) {
        assertTrue(r.pValueVsExact() > 0 && r.pValueVsExact() <= 1, "" + r);
        assertTrue(Path.of(r.row().runFile()).startsWith(tmp.resolve("runs").resolve("adi")));
      }
      assertEquals(1.0, rows.get(0).row().ndcgRatioToExact(), 1e-12);

      // ADI numbers queries and documents independently (query 1 is not document 1; its judgments
      // mark some query's own id relevant), so no result is dropped as a "self hit".
      TrecRun exact = TrecRun.read(Path.of(rows.get(0).row().runFile()));
      boolean selfHitKept =
          exact.rankings().entrySet().stream()
              .anyMatch(e -> e.getValue().stream().anyMatch(d -> d.docId().equals(e.getKey())));
      assertTrue(selfHitKept);
      assertEquals(82, exact.ranking("1").size());

      var e =
          assertThrows(
              DatasetException.class, () -> evaluator.collections(suite.resolve("notes"), "test"));
      assertTrue(e.getMessage().contains("no BEIR collection with qrels/test.tsv"), e.getMessage());
    } finally {
      if (home == null) System.clearProperty("latte.home");
      else System.setProperty("latte.home", home);
    }
  }
}
