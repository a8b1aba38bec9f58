package dev.latte.searcher.firststage.warp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.latte.core.TokenMatrix;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.datasets.Document;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.LatteIndexWriter;
import dev.latte.indexer.TokenAnnotations;
import dev.latte.searcher.Candidates;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.MethodResult;
import dev.latte.searcher.QueryContext;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WARP's depth cut keeps a tie whole: which documents reach rescoring must not depend on doc ids,
 * which follow the order documents reached the index (shard order, encoding threads).
 */
class WarpTiesTest {
  static final int DIM = WarpSearchTest.DIM;

  @TempDir Path tmp;

  @Test
  void aTieAtTheCutIsKeptWhole() {
    int[] docs = {5, 3, 9, 7, 1};
    float[] scores = {2f, 2f, 3f, 0.5f, 2f};
    Candidates top = WarpSearch.top(docs, scores, docs.length, 2);
    assertArrayEquals(new int[] {9, 1, 3, 5}, top.docs());
    assertArrayEquals(new float[] {3f, 2f, 2f, 2f}, top.scores());
    // No tie across the cut: exactly the depth.
    Candidates plain = WarpSearch.top(docs, scores, docs.length, 4);
    assertArrayEquals(new int[] {9, 1, 3, 5}, plain.docs());
    assertArrayEquals(new int[] {9}, WarpSearch.top(docs, scores, docs.length, 1).docs());
    assertEquals(5, WarpSearch.top(docs, scores, docs.length, 9).docs().length);
  }

  /**
   * Every document twice (a and b, the same tokens: the same WARP and MaxSim scores), written a
   * before b in one index and b before a in the other; with an odd depth every cut falls inside a
   * pair. Both builds rescore the same documents, by id, for every query.
   */
  @Test
  void whichDocumentsAreRescoredDoesNotDependOnTheOrderTheyReachedTheIndex() throws Exception {
    Random rnd = new Random(7);
    float[][] words = new float[20][];
    for (int w = 0; w < words.length; w++) words[w] = near(rnd, new float[DIM], 1f);
    List<TokenMatrix> docs = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      int n = 1 + rnd.nextInt(12);
      float[] data = new float[n * DIM];
      for (int t = 0; t < n; t++)
        System.arraycopy(near(rnd, words[rnd.nextInt(words.length)], 0.25f), 0, data, t * DIM, DIM);
      docs.add(new TokenMatrix(data, n, DIM));
    }
    Path ab = build("ab", docs, false);
    Path ba = build("ba", docs, true);
    WarpSettings s = new WarpSettings(4, Integer.MAX_VALUE, 7);
    int split = 0;
    try (LatteIndex one = LatteIndex.open(ab);
        LatteIndex other = LatteIndex.open(ba)) {
      for (int qi = 0; qi < 20; qi++) {
        int rows = 1 + rnd.nextInt(5);
        float[] q = new float[rows * DIM];
        for (int i = 0; i < rows; i++)
          System.arraycopy(near(rnd, words[rnd.nextInt(words.length)], 0.3f), 0, q, i * DIM, DIM);
        TokenMatrix query = new TokenMatrix(q, rows, DIM);
        MethodResult x = new WarpMethod(s, true).search(one, context(query), 100);
        MethodResult y = new WarpMethod(s, true).search(other, context(query), 100);
        assertEquals(x.candidatesScored(), y.candidatesScored());
        if (x.candidatesScored() > 7) split++;
        assertEquals(rescored(one, x), rescored(other, y), "query " + qi);
        // Twins are never separated: the rescored ones come in pairs.
        assertEquals(0, x.candidatesScored() % 2, "query " + qi);
      }
    }
    assertTrue(split > 0, "the fixture must cut inside a pair (it had none)");
  }

  static Set<String> rescored(LatteIndex index, MethodResult r) throws Exception {
    Set<String> ids = new TreeSet<>();
    for (int j = 0; j < r.candidatesScored(); j++) ids.add(index.id(r.docs().get(j).doc()));
    return ids;
  }

  static QueryContext context(TokenMatrix q) {
    return QueryContext.ofVectors("q", q, VectorKernel.get());
  }

  Path build(String name, List<TokenMatrix> docs, boolean reversed) throws Exception {
    Path path = tmp.resolve(name);
    try (LatteIndexWriter w =
        LatteIndexWriter.openForEncoded(
            path, WarpSearchTest.MODEL, "synthetic", "seeded", IndexOptions.DEFAULT, null)) {
      for (int i = 0; i < docs.size(); i++) {
        String[] twins =
            reversed ? new String[] {"b" + i, "a" + i} : new String[] {"a" + i, "b" + i};
        for (String id : twins) add(w, id, docs.get(i));
      }
      w.commit();
    }
    try (LatteIndex index = LatteIndex.open(path)) {
      new WarpBuilder(new WarpBuilder.Params(2, 16, 32, 5, 6))
          .build(index.path(), index.reader(), index.metadata(), IndexProgress.NONE);
    }
    return path;
  }

  static void add(LatteIndexWriter w, String id, TokenMatrix m) throws Exception {
    int[] none = new int[m.rows()];
    Arrays.fill(none, -1);
    String[] t = new String[m.rows()];
    Arrays.fill(t, "w");
    w.add(new Document(id, "", "doc " + id), m, new TokenAnnotations(t, none, none.clone()));
  }

  static float[] near(Random rnd, float[] centre, float noise) {
    float[] v = new float[DIM];
    for (int d = 0; d < DIM; d++) v[d] = centre[d] + noise * (float) rnd.nextGaussian();
    TokenMatrix.normalizeRows(v, 1, DIM);
    return v;
  }
}
