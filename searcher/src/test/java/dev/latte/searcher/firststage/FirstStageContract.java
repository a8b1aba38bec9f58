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
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.searcher.ClusteredTokens;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.MethodResult;
import dev.latte.searcher.QueryContext;
import dev.latte.searcher.ScoredDoc;
import dev.latte.searcher.SearchMethod;
import dev.latte.searcher.SearchSettings;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
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
  private ClusteredTokens clusters;
  private final List<TokenMatrix> docs = new ArrayList<>();

  private void add(LatteIndexWriter w, int i) throws Exception {
    ClusteredTokens.Doc doc = clusters.document(2, 21);
    w.add(new Document("d" + i, "", "doc " + i), doc.matrix(), doc.annotations());
    docs.add(doc.matrix());
  }

  private QueryContext query() {
    ClusteredTokens.Doc q = clusters.tokens(5, 0.2f);
    return QueryContext.ofEncoded("q", q.matrix(), q.tokens(), VectorKernel.get());
  }

  @Test
  void builtThroughTheRegistryItAnswersExactlyAndGoesStaleAfterAWrite() throws Exception {
    FirstStage stage = FirstStages.get(stage());
    clusters = new ClusteredTokens(rnd, WORDS, DIM);
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
                  ClusteredTokens.maxSim(query.encoded().matrix(), docs.get(id)),
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
