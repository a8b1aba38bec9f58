package dev.latte.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.latte.core.codec.TokenCodec;
import dev.latte.datasets.BeirDataset;
import dev.latte.encoders.BundledModel;
import dev.latte.encoders.OnnxTokenEncoder;
import dev.latte.eval.metrics.Qrels;
import dev.latte.eval.metrics.TrecMetrics;
import dev.latte.eval.metrics.TrecRun;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.IndexProgress;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The BEIR runner end to end on ADI (82 documents, 35 queries) with the real bundled model. */
class BeirEvaluatorTest {
  @TempDir Path tmp;

  @Test
  void evaluatesEveryMethodReusesItsIndexAndWritesRunsThatScoreTheSame() throws Exception {
    Path adi = Path.of(System.getProperty("latte.shared.dir", "../../shared"), "datasets", "adi");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.isDirectory(adi), "no shared datasets at " + adi);
    Path index = tmp.resolve("index");
    try (OnnxTokenEncoder encoder = OnnxTokenEncoder.load(BundledModel.folder(), 2, 1)) {
      ByteArrayOutputStream log = new ByteArrayOutputStream();
      BeirEvaluator evaluator =
          new BeirEvaluator(encoder, new PrintStream(log, true, StandardCharsets.UTF_8));
      var options =
          new BeirEvaluator.Options(
              adi,
              index,
              "test",
              List.of("all"),
              List.of(),
              100,
              1,
              2,
              16,
              tmp.resolve("runs"),
              2,
              null);
      List<EvalRow> rows = evaluator.evaluate(options, IndexProgress.NONE);
      assertEquals(
          List.of("bm25", "maxsim-exact", "bm25+maxsim", "hybrid-rrf", "hybrid-linear"),
          rows.stream().map(EvalRow::name).toList());
      assertTrue(log.toString().contains("Indexing 82 documents"), log.toString());

      Qrels qrels = Qrels.of(BeirDataset.open(adi).qrels("test"));
      for (EvalRow r : rows) {
        // The run file on disk scores exactly what the row says.
        var again = TrecMetrics.evaluate(qrels, TrecRun.read(Path.of(r.runFile()))).mean();
        assertEquals(again.ndcgCut10(), r.ndcgCut10(), 1e-12, r.name());
        assertEquals(again.map(), r.map(), 1e-12, r.name());
        assertEquals(35, r.queries());
        assertTrue(r.ndcgCut10() > 0.2 && r.ndcgCut10() <= 1, r.name() + " " + r.ndcgCut10());
        assertTrue(r.latencyP50() > 0 && r.latencyP95() >= r.latencyP50(), r.name());
      }
      EvalRow exact = rows.get(1);
      assertEquals(1.0, exact.ndcgRatioToExact(), 1e-12);
      assertEquals(82, exact.candidatesPerQuery(), 1e-9);
      assertTrue(exact.bytesPerToken() > 1536);
      assertNull(rows.getFirst().bytesPerToken());

      // A second run reuses the index instead of encoding again.
      log.reset();
      evaluator.evaluate(options, IndexProgress.NONE);
      assertTrue(log.toString().contains("Reusing the index"), log.toString());

      Path json = tmp.resolve("out.json");
      BeirEvaluator.writeJson(rows, json);
      JsonNode first = new ObjectMapper().readTree(json.toFile()).get(0);
      for (String key :
          List.of(
              "name",
              "ndcg_cut_10",
              "recall_100",
              "recip_rank_10",
              "map",
              "latency_ms_p50",
              "latency_ms_p95",
              "index_bytes",
              "bytes_per_token",
              "method",
              "codec",
              "pool_factor",
              "ndcg_ratio_to_exact",
              "bytes_per_doc")) {
        assertTrue(first.has(key), "JSON row lacks " + key);
      }
    }
  }

  @Test
  void anotherCodecIsReCodedFromTheCachedIndexAndComparedWithExact() throws Exception {
    Path adi = Path.of(System.getProperty("latte.shared.dir", "../../shared"), "datasets", "adi");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.isDirectory(adi), "no shared datasets at " + adi);
    // A cache of its own, so that the first run re-codes whatever ran before.
    String home = System.getProperty("latte.home");
    System.setProperty("latte.home", tmp.resolve("home").toString());
    try (OnnxTokenEncoder encoder = OnnxTokenEncoder.load(BundledModel.folder(), 2, 1)) {
      ByteArrayOutputStream log = new ByteArrayOutputStream();
      BeirEvaluator evaluator =
          new BeirEvaluator(encoder, new PrintStream(log, true, StandardCharsets.UTF_8));
      var options =
          new BeirEvaluator.Options(
              adi,
              null,
              "test",
              List.of("maxsim-exact"),
              List.of(new IndexOptions(TokenCodec.BIT, 2)),
              100,
              1,
              2,
              16,
              tmp.resolve("runs"),
              2,
              null);
      List<EvalRow> rows = evaluator.evaluate(options, IndexProgress.NONE);
      assertEquals(
          List.of("maxsim-exact@float32-p1", "maxsim-exact@bit-p2"),
          rows.stream().map(EvalRow::name).toList());
      EvalRow bit = rows.get(1);
      assertEquals("bit", bit.codec());
      assertEquals(2, bit.poolFactor());
      assertEquals(bit.ndcgCut10() / rows.get(0).ndcgCut10(), bit.ndcgRatioToExact(), 1e-12);
      assertTrue(
          bit.bytesPerDoc() * 40 < rows.get(0).bytesPerDoc(),
          bit.bytesPerDoc() + " vs " + rows.get(0).bytesPerDoc());
      assertTrue(log.toString().contains("Re-coded"), log.toString());
    } finally {
      if (home == null) System.clearProperty("latte.home");
      else System.setProperty("latte.home", home);
    }
  }
}
