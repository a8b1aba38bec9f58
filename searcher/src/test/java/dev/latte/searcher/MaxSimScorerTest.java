package dev.latte.searcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.latte.core.TokenMatrix;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.searcher.firststage.stock.LuceneStockMethodTest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.lucene.util.FixedBitSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rescorer against brute-force MaxSim recomputed here from the raw matrices. */
class MaxSimScorerTest {
  @TempDir Path tmp;

  @Test
  void scoreAllAndRescoreAreExactMaxSimBestFirstAndCountWhatTheyScored() throws Exception {
    Path path = tmp.resolve("main");
    Random rnd = new Random(3);
    Map<String, TokenMatrix> byId = LuceneStockMethodTest.writeMain(path, rnd);
    try (LatteIndex index = LatteIndex.open(path)) {
      TokenMatrix q = LuceneStockMethodTest.queryNear(rnd, byId.get("d11"), 7);
      QueryContext ctx = QueryContext.ofVectors("", q, VectorKernel.get());
      // The brute-force ranking of every document.
      List<ScoredDoc> all = new ArrayList<>();
      for (int d = 0; d < index.reader().maxDoc(); d++)
        all.add(new ScoredDoc(d, ClusteredTokens.maxSim(q, byId.get(index.id(d)))));
      all.sort(Comparator.comparingDouble(ScoredDoc::score).reversed());

      MaxSimScorer scorer = new MaxSimScorer(VectorKernel.get(), LuceneStockMethodTest.DIM);
      List<ScoredDoc> top = scorer.scoreAll(index, scorer.prepare(ctx), 20);
      assertEquals(20, top.size());
      for (int i = 0; i < 20; i++) {
        assertEquals(all.get(i).doc(), top.get(i).doc(), "rank " + i);
        assertEquals(all.get(i).score(), top.get(i).score(), 1e-4f, "rank " + i);
      }
      assertEquals(LuceneStockMethodTest.DOCS, scorer.documentsScored());

      // Rescoring a given set, in any order, returns its best k, best first.
      int[] pick = {all.get(50).doc(), all.get(3).doc(), all.get(120).doc(), all.get(7).doc()};
      MaxSimScorer rescorer = new MaxSimScorer(VectorKernel.get(), LuceneStockMethodTest.DIM);
      List<ScoredDoc> best = rescorer.rescore(index, rescorer.prepare(ctx), pick, 2);
      assertEquals(
          List.of(all.get(3).doc(), all.get(7).doc()), best.stream().map(ScoredDoc::doc).toList());
      assertEquals(4, rescorer.documentsScored(), "every candidate is scored, k only truncates");
      assertTrue(rescorer.rescore(index, rescorer.prepare(ctx), new int[0], 5).isEmpty());

      // A filter restricts exact search to its documents before scoring.
      FixedBitSet only = new FixedBitSet(index.reader().maxDoc());
      only.set(all.get(100).doc());
      only.set(all.get(150).doc());
      MaxSimScorer filtered = new MaxSimScorer(VectorKernel.get(), LuceneStockMethodTest.DIM);
      List<ScoredDoc> f = filtered.scoreAll(index, filtered.prepare(ctx), 10, only);
      assertEquals(
          List.of(all.get(100).doc(), all.get(150).doc()), f.stream().map(ScoredDoc::doc).toList());
    }
  }
}
