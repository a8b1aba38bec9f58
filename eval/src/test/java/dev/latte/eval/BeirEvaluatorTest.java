package dev.latte.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import dev.latte.indexer.IndexMismatchException;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.IndexProgress;
import dev.latte.searcher.firststage.FirstStages;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The BEIR runner end to end on ADI (82 documents, 35 queries) with the real bundled model,
 * including the methods over first stages and the comparison with exact MaxSim.
 */
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
      // No first stage on this index: the methods that need one are skipped.
      List<EvalRow> rows = evaluator.evaluate(options, IndexProgress.NONE);
      assertEquals(NO_STRUCTURE, rows.stream().map(EvalRow::name).toList());
      assertTrue(log.toString().contains("Indexing 82 documents"), log.toString());
      List<String> skipped = evaluator.skipped();
      assertTrue(skipped.containsAll(List.of("xtr", "xtr+maxsim", "lucene-stock")), "" + skipped);
      for (String m : skipped) assertTrue(EvalPlan.firstStageOf(m) != null, m);
      assertTrue(
          log.toString()
              .contains("Skipping xtr, xtr+maxsim, hybrid-xtr, hybrid-xtr-idf: index " + index),
          log.toString());
      assertTrue(log.toString().contains("--first-stage xtr)"), log.toString());

      Qrels qrels = Qrels.of(BeirDataset.open(adi).qrels("test"));
      for (EvalRow r : rows) {
        // The run file on disk scores exactly what the row says.
        var again = TrecMetrics.evaluate(qrels, TrecRun.read(Path.of(r.runFile()))).mean();
        assertEquals(again.ndcgCut10(), r.ndcgCut10(), 1e-12, r.name());
        assertEquals(again.map(), r.map(), 1e-12, r.name());
        assertEquals(35, r.queries());
        assertTrue(r.ndcgCut10() > 0.2 && r.ndcgCut10() <= 1, r.name() + " " + r.ndcgCut10());
        assertTrue(r.latencyP50() > 0 && r.latencyP95() >= r.latencyP50(), r.name());
        assertTrue(r.firstStageP95() >= r.firstStageP50() && r.rescoreP95() >= r.rescoreP50());
        assertTrue(
            r.recall100VsExact() > 0 && r.recall100VsExact() <= 1,
            r.name() + " " + r.recall100VsExact());
        assertTrue(r.speedupVsExact() > 0, r.name());
        assertEquals(0, r.extraIndexBytes(), r.name());
      }
      EvalRow exact = rows.get(1);
      assertEquals(1.0, exact.ndcgRatioToExact(), 1e-12);
      assertEquals(1.0, exact.recall100VsExact(), 1e-12);
      assertEquals(1.0, exact.speedupVsExact(), 1e-12);
      assertEquals(82, exact.candidatesPerQuery(), 1e-9);
      assertTrue(exact.bytesPerToken() > 1536);
      assertNull(rows.getFirst().bytesPerToken());
      // BM25 ranks the text, not the token vectors: it does not find all of exact MaxSim's top.
      assertTrue(rows.getFirst().recall100VsExact() < 1);

      // Named explicitly, a method whose structure is missing fails with its own message.
      var xtrOnly =
          new BeirEvaluator.Options(
              adi,
              index,
              "test",
              List.of("maxsim-exact", "xtr+maxsim"),
              List.of(),
              100,
              1,
              2,
              16,
              tmp.resolve("runs"),
              2,
              null);
      var e =
          assertThrows(
              IndexMismatchException.class, () -> evaluator.evaluate(xtrOnly, IndexProgress.NONE));
      assertTrue(e.getMessage().contains("has no 'xtr' first stage"), e.getMessage());

      // With the structures built, they run too, and say what they add on disk. The second run
      // reuses the index instead of encoding again.
      FirstStages.build(
          index,
          List.of("xtr", "lucene-stock"),
          true,
          n -> IndexProgress.NONE,
          new PrintStream(OutputStream.nullOutputStream()));
      log.reset();
      List<EvalRow> more = evaluator.evaluate(options, IndexProgress.NONE);
      assertTrue(log.toString().contains("Reusing the index"), log.toString());
      List<String> names = more.stream().map(EvalRow::name).toList();
      assertTrue(names.containsAll(NO_STRUCTURE), "" + names);
      for (String m : List.of("xtr", "xtr+maxsim", "lucene-stock")) {
        EvalRow r = more.get(names.indexOf(m));
        assertTrue(r.extraIndexBytes() > 0, m);
        assertTrue(r.recall100VsExact() > 0 && r.recall100VsExact() <= 1, m);
        assertTrue(r.ndcgCut10() > 0.2, m + " " + r.ndcgCut10());
      }
      assertTrue(!evaluator.skipped().toString().contains("xtr"), "" + evaluator.skipped());
      assertTrue(EvalReport.tradeOffTable(more).contains("xtr+maxsim"));

      Path json = tmp.resolve("out.json");
      EvalReport.writeJson(more, json);
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
              "bytes_per_doc",
              "recall_100_vs_exact",
              "first_stage_ms_p95",
              "rescore_ms_p95",
              "extra_index_bytes",
              "speedup_vs_exact")) {
        assertTrue(first.has(key), "JSON row lacks " + key);
      }
    }
  }

  private static final List<String> NO_STRUCTURE =
      List.of("bm25", "maxsim-exact", "bm25+maxsim", "hybrid-rrf", "hybrid-linear", "maxsim-idf");

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
              List.of("maxsim-exact", "xtr+maxsim"),
              List.of(IndexOptions.DEFAULT, new IndexOptions(TokenCodec.BIT, 2)),
              100,
              1,
              2,
              16,
              tmp.resolve("runs"),
              2,
              null);
      List<EvalRow> rows = evaluator.evaluate(options, IndexProgress.NONE);
      // XTR is built for the float32 index only; the re-coded one skips the method.
      assertEquals(
          List.of("maxsim-exact@float32-p1", "xtr+maxsim@float32-p1", "maxsim-exact@bit-p2"),
          rows.stream().map(EvalRow::name).toList());
      assertTrue(log.toString().contains("Built first stage xtr"), log.toString());
      assertTrue(rows.get(1).extraIndexBytes() > 0);
      assertEquals(List.of("xtr+maxsim@bit-p2"), evaluator.skipped());
      assertTrue(
          log.toString().contains("Skipping xtr+maxsim@bit-p2: on re-coded variants only warp"),
          log.toString());
      EvalRow bit = rows.get(2);
      assertEquals("bit", bit.codec());
      assertEquals(2, bit.poolFactor());
      assertEquals(bit.ndcgCut10() / rows.get(0).ndcgCut10(), bit.ndcgRatioToExact(), 1e-12);
      assertEquals(rows.get(0).latencyP50() / bit.latencyP50(), bit.speedupVsExact(), 1e-12);
      assertTrue(bit.recall100VsExact() > 0.5 && bit.recall100VsExact() <= 1);
      assertTrue(
          bit.bytesPerDoc() * 40 < rows.get(0).bytesPerDoc(),
          bit.bytesPerDoc() + " vs " + rows.get(0).bytesPerDoc());
      assertTrue(log.toString().contains("Re-coded"), log.toString());

      // 'all' on a re-coded index runs the exact scans and WARP over lists built from its own
      // codes (its default token retrieval); float32 is just the reference.
      log.reset();
      var all =
          new BeirEvaluator.Options(
              adi,
              null,
              "test",
              List.of("all"),
              List.of(new IndexOptions(TokenCodec.BIT, 2)),
              100,
              1,
              2,
              16,
              tmp.resolve("runs"),
              2,
              null);
      List<EvalRow> variantRows = evaluator.evaluate(all, IndexProgress.NONE);
      assertEquals(
          List.of(
              "maxsim-exact@float32-p1",
              "maxsim-exact@bit-p2",
              "maxsim-hamming@bit-p2",
              "warp@bit-p2",
              "warp+maxsim@bit-p2"),
          variantRows.stream().map(EvalRow::name).toList());
      assertTrue(log.toString().contains("Building first stage(s) warp for"), log.toString());
      assertTrue(!log.toString().contains("Building first stage(s) xtr"), log.toString());
      assertEvalMeasuresTheUsersWarpPath(adi, encoder, variantRows.getLast());
    } finally {
      if (home == null) System.clearProperty("latte.home");
      else System.setProperty("latte.home", home);
    }
  }

  /**
   * The eval asks for 100 results (k + 1), yet its warp+maxsim run rescores only warp.depth
   * candidates per query, and each query's top 10 in the run is what a user asking for 10 gets.
   */
  private static void assertEvalMeasuresTheUsersWarpPath(
      Path adi, OnnxTokenEncoder encoder, EvalRow row) throws Exception {
    int depth = dev.latte.searcher.firststage.warp.WarpSettings.DEFAULT.depth();
    assertTrue(
        row.candidatesPerQuery() > 0 && row.candidatesPerQuery() <= depth,
        "rescored per query: " + row.candidatesPerQuery());
    BeirDataset ds = BeirDataset.open(adi);
    Path base =
        new IndexCache(encoder, new PrintStream(OutputStream.nullOutputStream()))
            .defaultIndexDir(ds);
    Path variant = IndexCache.recodedDir(base, new IndexOptions(TokenCodec.BIT, 2));
    TrecRun run = TrecRun.read(Path.of(row.runFile()));
    try (var searcher =
        new dev.latte.searcher.LatteSearcher(
            dev.latte.searcher.LatteIndex.open(variant), encoder)) {
      int compared = 0;
      for (String qid : ds.qrels("test").keySet()) {
        var ranking = run.ranking(qid);
        if (ranking.size() < 10) continue;
        List<String> user =
            searcher.search("warp+maxsim", ds.queries().get(qid).text(), 10).hits().stream()
                .map(dev.latte.searcher.LatteSearcher.Hit::docid)
                .toList();
        // A run may drop the query's own id (BEIR's self-hit rule): compare those queries not.
        if (user.contains(qid)) continue;
        assertEquals(
            user, ranking.subList(0, 10).stream().map(d -> d.docId()).toList(), "query " + qid);
        compared++;
      }
      assertTrue(compared > 20, "queries compared: " + compared);
    }
  }
}
