package dev.latte.searcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.latte.core.TokenMatrix;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.searcher.firststage.stock.LuceneStockMethodTest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fusion by its definition: every hit's score is recomputed here from BM25's ranks and scores and
 * brute-force MaxSim over the candidate pool (BM25's candidates, plus a semantic first stage's).
 */
class HybridMethodTest {
  @TempDir Path tmp;

  /** Candidates from nowhere but a fixed list: stands in for a vector first stage. */
  record Fixed(int[] docs) implements CandidateGenerator {
    @Override
    public String name() {
      return "fixed";
    }

    @Override
    public String firstStage() {
      return "fixed-stage";
    }

    @Override
    public Candidates generate(LatteIndex index, QueryContext query, int depth) {
      return new Candidates(docs, new float[docs.length]);
    }
  }

  static int docOf(LatteIndex index, String id) throws java.io.IOException {
    for (int d = 0; d < index.reader().maxDoc(); d++) if (index.id(d).equals(id)) return d;
    throw new AssertionError("no document " + id);
  }

  @Test
  void rrfAndLinearFusionScoreEveryPooledDocumentByTheirFormulas() throws Exception {
    Path path = tmp.resolve("main");
    Random rnd = new Random(9);
    Map<String, TokenMatrix> byId = LuceneStockMethodTest.writeMain(path, rnd);
    try (LatteIndex index = LatteIndex.open(path)) {
      TokenMatrix q = LuceneStockMethodTest.queryNear(rnd, byId.get("d40"), 6);
      // BM25 sees "title 7 text 7"-style words: "7" and "40" pick two documents out.
      QueryContext ctx = QueryContext.ofVectors("7 40", q, VectorKernel.get());
      Candidates bm25 = new Bm25Candidates().generate(index, ctx, 100);
      assertTrue(bm25.size() >= 2, "bm25 finds the documents named by number");
      int[] semantic = {docOf(index, "d3"), docOf(index, "d40"), docOf(index, "d99")};
      List<Integer> pool = new ArrayList<>();
      for (int d : bm25.docs()) pool.add(d);
      for (int d : semantic) if (!pool.contains(d)) pool.add(d);

      // Brute-force MaxSim ranks over the pool.
      List<Integer> byMaxSim = new ArrayList<>(pool);
      Map<Integer, Float> ms = new HashMap<>();
      for (int d : pool) ms.put(d, ClusteredTokens.maxSim(q, byId.get(index.id(d))));
      byMaxSim.sort(Comparator.comparingDouble((Integer d) -> ms.get(d)).reversed());
      Map<Integer, Integer> bmRank = new HashMap<>();
      for (int i = 0; i < bm25.size(); i++) bmRank.put(bm25.docs()[i], i);

      HybridMethod rrf =
          new HybridMethod("hybrid-fixed", HybridMethod.Fusion.RRF, 0, 100, new Fixed(semantic), 3);
      assertEquals("fixed-stage", rrf.firstStage());
      MethodResult r = rrf.search(index, ctx, pool.size());
      assertEquals(
          pool.size(), r.docs().size(), "the pool is BM25's candidates and the fixed ones");
      for (ScoredDoc d : r.docs()) {
        Integer br = bmRank.get(d.doc());
        float expected =
            1f / (HybridMethod.RRF_K + byMaxSim.indexOf(d.doc()) + 1)
                + (br == null ? 0f : 1f / (HybridMethod.RRF_K + br + 1));
        assertEquals(expected, d.score(), 1e-6f, "doc " + index.id(d.doc()));
      }

      float w = 0.7f;
      HybridMethod linear =
          new HybridMethod(
              "hybrid-fixed", HybridMethod.Fusion.LINEAR, w, 100, new Fixed(semantic), 3);
      float msMax = ms.get(byMaxSim.getFirst()), msMin = ms.get(byMaxSim.getLast());
      float bmMax = bm25.scores()[0], bmMin = bm25.scores()[bm25.size() - 1];
      for (ScoredDoc d : linear.search(index, ctx, pool.size()).docs()) {
        Integer br = bmRank.get(d.doc());
        float lexical =
            br == null ? 0f : bmMax > bmMin ? (bm25.scores()[br] - bmMin) / (bmMax - bmMin) : 1f;
        float expected = w * (ms.get(d.doc()) - msMin) / (msMax - msMin) + (1 - w) * lexical;
        assertEquals(expected, d.score(), 1e-5f, "doc " + index.id(d.doc()));
      }
      assertNull(new HybridMethod(HybridMethod.Fusion.RRF, 0, 100).firstStage());
    }
  }
}
