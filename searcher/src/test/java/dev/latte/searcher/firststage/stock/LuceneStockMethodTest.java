package dev.latte.searcher.firststage.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.latte.core.TokenMatrix;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.datasets.Document;
import dev.latte.indexer.IndexMismatchException;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.LatteIndexWriter;
import dev.latte.indexer.ModelIdentity;
import dev.latte.searcher.ClusteredTokens;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.MethodResult;
import dev.latte.searcher.QueryContext;
import dev.latte.searcher.ScoredDoc;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stock-Lucene baseline on random token matrices (no model): with a KNN depth covering every
 * document it must return exactly brute-force MaxSim's top k, and it must refuse a first stage that
 * is older than the main index.
 */
public class LuceneStockMethodTest {
  public static final int DIM = 24;
  public static final int DOCS = 300;
  static final ModelIdentity MODEL = new ModelIdentity("fake-24", "fake-fp-24", DIM, false, null);

  @TempDir Path tmp;

  static TokenMatrix unitMatrix(Random rnd, int rows) {
    float[] data = new float[rows * DIM];
    for (int i = 0; i < data.length; i++) data[i] = (float) rnd.nextGaussian();
    TokenMatrix.normalizeRows(data, rows, DIM);
    return new TokenMatrix(data, rows, DIM);
  }

  /** Query rows near rows of {@code doc} (so some documents clearly match), normalised. */
  public static TokenMatrix queryNear(Random rnd, TokenMatrix doc, int rows) {
    float[] data = new float[rows * DIM];
    for (int r = 0; r < rows; r++) {
      int src = rnd.nextInt(doc.rows());
      for (int c = 0; c < DIM; c++)
        data[r * DIM + c] = doc.get(src, c) + 0.6f * (float) rnd.nextGaussian();
    }
    TokenMatrix.normalizeRows(data, rows, DIM);
    return new TokenMatrix(data, rows, DIM);
  }

  /** Writes {@code DOCS} random documents "d0".. and returns their matrices by id. */
  public static Map<String, TokenMatrix> writeMain(Path path, Random rnd) throws IOException {
    Map<String, TokenMatrix> byId = new HashMap<>();
    try (LatteIndexWriter w =
        LatteIndexWriter.openForEncoded(path, MODEL, "random", "seeded", IndexOptions.DEFAULT)) {
      for (int i = 0; i < DOCS; i++) {
        TokenMatrix m = unitMatrix(rnd, 3 + rnd.nextInt(38));
        String id = "d" + i;
        w.add(new Document(id, "title " + i, "text " + i), m);
        byId.put(id, m);
      }
      w.commit();
    }
    return byId;
  }

  static long buildStock(Path path) throws IOException {
    AtomicLong advanced = new AtomicLong();
    try (LatteIndex index = LatteIndex.open(path)) {
      new LuceneStockBuilder()
          .build(
              index.path(),
              index.reader(),
              index.metadata(),
              new IndexProgress() {
                @Override
                public void start(long total) {
                  assertEquals(DOCS, total);
                }

                @Override
                public void advance(long documents) {
                  advanced.addAndGet(documents);
                }
              });
    }
    return advanced.get();
  }

  /** Brute-force MaxSim from the raw matrices, the oracle of the searcher tests. */
  static QueryContext context(TokenMatrix q) {
    return QueryContext.ofVectors("query", q, VectorKernel.scalar());
  }

  @Test
  void fullDepthEqualsBruteForceMaxSim() throws IOException {
    Path path = tmp.resolve("main");
    Random rnd = new Random(20240611L);
    Map<String, TokenMatrix> byId = writeMain(path, rnd);
    assertEquals(DOCS, buildStock(path));

    List<String> ids = new ArrayList<>(byId.keySet());
    ids.sort(null);
    int k = 10;
    try (LatteIndex index = LatteIndex.open(path)) {
      assertEquals(DOCS, index.reader().numDocs());
      for (int t = 0; t < 8; t++) {
        TokenMatrix doc = byId.get(ids.get(rnd.nextInt(ids.size())));
        TokenMatrix q = t % 2 == 0 ? queryNear(rnd, doc, 8) : unitMatrix(rnd, 5 + t);

        // brute force over every main doc, best first, ties by doc id
        List<ScoredDoc> exact = new ArrayList<>();
        for (int doc2 = 0; doc2 < index.reader().maxDoc(); doc2++)
          exact.add(new ScoredDoc(doc2, ClusteredTokens.maxSim(q, byId.get(index.id(doc2)))));
        exact.sort(
            (a, b) ->
                a.score() != b.score()
                    ? Float.compare(b.score(), a.score())
                    : Integer.compare(a.doc(), b.doc()));

        MethodResult r = new LuceneStockMethod(DOCS + 50).search(index, context(q), k);
        assertEquals(DOCS, r.candidatesScored(), "KNN must return every doc at full depth");
        assertEquals(k, r.docs().size());
        for (int i = 0; i < k; i++) {
          ScoredDoc want = exact.get(i);
          ScoredDoc got = r.docs().get(i);
          assertEquals(want.doc(), got.doc(), "query " + t + " rank " + i);
          assertEquals(want.score(), got.score(), 1e-4, "query " + t + " rank " + i);
        }
        assertTrue(r.firstStageMillis() >= 0 && r.rescoreMillis() >= 0);

        // a shallower first stage rescoring only its candidates: exact scores, best first
        MethodResult shallow = new LuceneStockMethod(40).search(index, context(q), k);
        assertEquals(40, shallow.candidatesScored());
        assertEquals(k, shallow.docs().size());
        for (int i = 0; i < k; i++) {
          ScoredDoc got = shallow.docs().get(i);
          assertEquals(ClusteredTokens.maxSim(q, byId.get(index.id(got.doc()))), got.score(), 1e-4);
          if (i > 0) assertTrue(shallow.docs().get(i - 1).score() >= got.score());
        }
      }
    }
  }

  @Test
  void staleFirstStageIsRefused() throws IOException {
    Path path = tmp.resolve("stale");
    Random rnd = new Random(7L);
    writeMain(path, rnd);
    buildStock(path);
    TokenMatrix q = unitMatrix(rnd, 6);
    try (LatteIndex index = LatteIndex.open(path)) {
      assertEquals(5, new LuceneStockMethod(20).search(index, context(q), 5).docs().size());
    }

    try (LatteIndexWriter w =
        LatteIndexWriter.openForEncoded(path, MODEL, "random", "seeded", IndexOptions.DEFAULT)) {
      w.add(new Document("extra", "extra", "one more"), unitMatrix(rnd, 5));
      w.commit();
    }
    try (LatteIndex index = LatteIndex.open(path)) {
      IndexMismatchException e =
          assertThrows(
              IndexMismatchException.class,
              () -> new LuceneStockMethod(20).search(index, context(q), 5));
      assertTrue(e.getMessage().contains("--first-stage lucene-stock"), e.getMessage());
    }

    // rebuilding (over the stale folder) makes it fresh again
    buildStockAllowingMore(path);
    try (LatteIndex index = LatteIndex.open(path)) {
      assertEquals(5, new LuceneStockMethod(20).search(index, context(q), 5).docs().size());
    }
  }

  static void buildStockAllowingMore(Path path) throws IOException {
    try (LatteIndex index = LatteIndex.open(path)) {
      new LuceneStockBuilder()
          .build(index.path(), index.reader(), index.metadata(), IndexProgress.NONE);
    }
  }
}
