package dev.latte.searcher.firststage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import dev.latte.indexer.TokenAnnotations;
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.MethodResult;
import dev.latte.searcher.QueryContext;
import dev.latte.searcher.ScoredDoc;
import dev.latte.searcher.SearchMethod;
import dev.latte.searcher.SearchSettings;
import dev.latte.searcher.firststage.stock.LuceneStockMethodTest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every registered first stage must do, run once per stage package by a subclass ({@code
 * XtrStageTest}, {@code CoilStageTest}, ...): built through the registry on an index of clustered
 * token vectors with word pieces, it is fresh; each of its methods answers at most k distinct
 * documents; its {@code +maxsim} methods' scores are exact MaxSim of the documents it returns; a
 * write to the main index makes it stale, and its methods then refuse with a rebuild hint naming
 * the stage.
 */
public abstract class FirstStageContract {
  static final int DIM = 16;
  static final int DOCS = 120;
  static final int WORDS = 30;
  static final ModelIdentity MODEL = new ModelIdentity("fake-16", "fake-fp-16", DIM, false, null);

  @TempDir Path tmp;

  /** The stage under test, as the registry holds it. */
  protected abstract String stage();

  private final Random rnd = new Random(17);
  private final float[][] words = new float[WORDS][];
  private final List<TokenMatrix> docs = new ArrayList<>();

  private float[] near(float[] centre, float noise) {
    float[] v = new float[DIM];
    for (int d = 0; d < DIM; d++) v[d] = centre[d] + noise * (float) rnd.nextGaussian();
    TokenMatrix.normalizeRows(v, 1, DIM);
    return v;
  }

  private void add(LatteIndexWriter w, int i) throws Exception {
    int n = 2 + rnd.nextInt(20);
    float[] data = new float[n * DIM];
    String[] t = new String[n];
    for (int j = 0; j < n; j++) {
      int word = rnd.nextInt(WORDS);
      t[j] = "w" + word;
      System.arraycopy(near(words[word], 0.15f), 0, data, j * DIM, DIM);
    }
    int[] none = new int[n];
    Arrays.fill(none, -1);
    TokenMatrix m = new TokenMatrix(data, n, DIM);
    w.add(new Document("d" + i, "", "doc " + i), m, new TokenAnnotations(t, none, none.clone()));
    docs.add(m);
  }

  private QueryContext query() {
    int rows = 5;
    float[] data = new float[rows * DIM];
    String[] t = new String[rows];
    for (int i = 0; i < rows; i++) {
      int word = rnd.nextInt(WORDS);
      t[i] = "w" + word;
      System.arraycopy(near(words[word], 0.2f), 0, data, i * DIM, DIM);
    }
    return QueryContext.ofEncoded("q", new TokenMatrix(data, rows, DIM), t, VectorKernel.get());
  }

  @Test
  void builtThroughTheRegistryItAnswersExactlyAndGoesStaleAfterAWrite() throws Exception {
    FirstStage stage = FirstStages.get(stage());
    for (int w = 0; w < WORDS; w++) words[w] = near(new float[DIM], 1f);
    Path path = tmp.resolve("main");
    try (LatteIndexWriter w =
        LatteIndexWriter.openForEncoded(path, MODEL, "synthetic", "seeded", IndexOptions.DEFAULT)) {
      for (int i = 0; i < DOCS; i++) add(w, i);
      w.commit();
    }
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    FirstStages.build(
        path, List.of(stage.name()), false, n -> IndexProgress.NONE, new PrintStream(log), null);
    assertTrue(log.toString().startsWith("Built first stage " + stage.name()), log.toString());

    List<SearchMethod> methods = stage.methods(SearchSettings.DEFAULT);
    assertFalse(methods.isEmpty());
    try (LatteIndex index = LatteIndex.open(path)) {
      assertTrue(FirstStageIndex.isFresh(path, stage.format(), index.reader()));
      for (SearchMethod m : methods) {
        assertEquals(stage.name(), m.firstStage(), m.name());
        for (int q = 0; q < 5; q++) {
          QueryContext query = query();
          MethodResult r = m.search(index, query, 10);
          assertTrue(r.docs().size() >= 1 && r.docs().size() <= 10, m.name());
          Set<Integer> distinct = new HashSet<>();
          for (ScoredDoc d : r.docs()) assertTrue(distinct.add(d.doc()), m.name());
          if (m.name().endsWith("+maxsim")) {
            for (ScoredDoc d : r.docs()) {
              int id = Integer.parseInt(index.id(d.doc()).substring(1));
              assertEquals(
                  LuceneStockMethodTest.maxSim(query.encoded().matrix(), docs.get(id)),
                  d.score(),
                  1e-3f,
                  m.name() + " rescores with exact MaxSim");
            }
          }
        }
      }
    }

    try (LatteIndexWriter w =
        LatteIndexWriter.openForEncoded(path, MODEL, "synthetic", "seeded", IndexOptions.DEFAULT)) {
      add(w, DOCS);
      w.commit();
    }
    try (LatteIndex index = LatteIndex.open(path)) {
      assertFalse(
          FirstStageIndex.isFresh(path, stage.format(), index.reader()), "stale after a write");
      SearchMethod m = methods.getFirst();
      var e = assertThrows(IndexMismatchException.class, () -> m.search(index, query(), 10));
      assertTrue(e.getMessage().contains(stage.name()), e.getMessage());
      assertTrue(e.getMessage().contains("--first-stage"), e.getMessage());
    }
  }
}
