package dev.latte.searcher.firststage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.latte.core.TokenMatrix;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.IndexMismatchException;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.TokenAnnotations;
import dev.latte.indexer.firststage.Deriver;
import dev.latte.indexer.firststage.FirstStageBuilder;
import dev.latte.indexer.firststage.FirstStageFormat;
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.searcher.CandidateGenerator;
import dev.latte.searcher.Candidates;
import dev.latte.searcher.ExactMaxSimMethod;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.LatteSearcher;
import dev.latte.searcher.MethodResult;
import dev.latte.searcher.QueryContext;
import dev.latte.searcher.RescoredMethod;
import dev.latte.searcher.ScoredDoc;
import dev.latte.searcher.SearchMethod;
import dev.latte.searcher.SearchSettings;
import dev.latte.searcher.firststage.stock.LuceneStockMethodTest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.lucene.document.Document;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.Directory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The first-stage registry: what it says about Latte's own stages, and that a stage written outside
 * Latte's packages becomes buildable and searchable by registering it, with no other file touched.
 */
class FirstStageRegistryTest {
  @TempDir Path tmp;

  /**
   * The smallest possible first stage: one empty derived document per main document (the registry
   * and {@link FirstStageIndex} add the links), and candidates = every linked main document, for
   * exact MaxSim to rescore. Everything a real stage has, in one class.
   */
  static final class EveryDocumentStage implements FirstStage {
    static final FirstStageFormat FORMAT = new FirstStageFormat("every-doc", 1);

    @Override
    public FirstStageFormat format() {
      return FORMAT;
    }

    @Override
    public boolean needsAnnotations() {
      return false;
    }

    @Override
    public FirstStageBuilder builder(Path modelFolder) {
      return new FirstStageBuilder() {
        @Override
        public FirstStageFormat format() {
          return FORMAT;
        }

        @Override
        public boolean needsAnnotations() {
          return false;
        }

        @Override
        public boolean trainsParameters() {
          return false;
        }

        @Override
        public void train(Directory dir, DirectoryReader main, IndexMetadata metadata) {}

        @Override
        public Deriver deriver(Directory dir, IndexMetadata metadata) {
          return new Deriver() {
            @Override
            public boolean needsAnnotations() {
              return false;
            }

            @Override
            public List<Document> derive(List<TokenMatrix> m, List<TokenAnnotations> a) {
              List<Document> out = new ArrayList<>();
              for (int i = 0; i < m.size(); i++) out.add(new Document());
              return out;
            }
          };
        }
      };
    }

    @Override
    public List<SearchMethod> methods(SearchSettings settings) {
      CandidateGenerator every =
          new CandidateGenerator() {
            @Override
            public String name() {
              return "every-doc";
            }

            @Override
            public String firstStage() {
              return "every-doc";
            }

            @Override
            public Candidates generate(LatteIndex index, QueryContext query, int depth)
                throws IOException {
              FirstStageIndex.Linked linked = index.openDerived(FORMAT);
              try {
                int[] docs =
                    Arrays.stream(linked.mainDocs()).filter(d -> d >= 0).limit(depth).toArray();
                return new Candidates(docs, new float[docs.length]);
              } finally {
                linked.reader().close();
              }
            }
          };
      return List.of(new RescoredMethod(every, 100_000));
    }
  }

  @Test
  void latteRegistersItsFiveStagesInOrderWithTheirFormatsAndNeeds() {
    assertEquals(List.of("xtr", "warp", "coil", "slim", "lucene-stock"), FirstStages.names());
    assertEquals(FirstStages.names(), List.copyOf(FirstStages.builders().keySet()));
    for (FirstStage s : FirstStages.DEFAULT.all()) {
      assertEquals(s.name(), s.format().name());
      assertEquals(s.format(), s.builder(null).format(), s.name());
      assertEquals(s.needsAnnotations(), s.builder(null).needsAnnotations(), s.name());
    }
    assertEquals("slim-2", FirstStages.get("slim").format().stamp());
    assertTrue(FirstStages.get("coil").needsAnnotations());
    assertFalse(FirstStages.get("xtr").needsAnnotations());
    assertFalse(FirstStages.get("warp").needsAnnotations());
    assertTrue(FirstStages.get("lucene-stock").evaluationOnly());
    var e = assertThrows(IllegalArgumentException.class, () -> FirstStages.get("colbert"));
    assertTrue(
        e.getMessage().contains("available: xtr, warp, coil, slim, lucene-stock"), e.getMessage());
  }

  @Test
  void everyMethodSaysWhichStageItNeedsAndTheRegistryAgrees() {
    Map<String, String> stages = LatteSearcher.methodStages();
    assertEquals(
        List.of(
            "bm25",
            "maxsim-exact",
            "bm25+maxsim",
            "hybrid-rrf",
            "hybrid-linear",
            "maxsim-idf",
            "maxsim-hamming",
            "xtr",
            "xtr+maxsim",
            "hybrid-xtr",
            "hybrid-xtr-idf",
            "warp",
            "warp+maxsim",
            "coil",
            "coil+maxsim",
            "slim",
            "slim+maxsim",
            "lucene-stock"),
        List.copyOf(stages.keySet()));
    assertEquals("xtr", stages.get("hybrid-xtr"), "hybrid-xtr needs xtr, not 'no first stage'");
    assertNull(stages.get("hybrid-linear"));
    for (var m : stages.entrySet())
      assertEquals(m.getValue(), FirstStages.stageOfMethod(m.getKey()), m.getKey());
    assertEquals(
        List.of("bm25", "maxsim-exact", "bm25+maxsim", "hybrid-rrf", "hybrid-linear", "maxsim-idf"),
        LatteSearcher.methodsWithoutFirstStage());
    assertEquals("xtr", stages.get("hybrid-xtr-idf"));
    assertEquals("xtr+maxsim", FirstStages.get("xtr").rescoredMethod());
    assertEquals("warp+maxsim", FirstStages.get("warp").rescoredMethod());
    assertEquals("lucene-stock", FirstStages.get("lucene-stock").rescoredMethod());
    assertNull(FirstStages.stageOfMethod("xtrx"));
  }

  @Test
  void aStageRegisteredByOneLineIsParsedBuiltAndSearched() throws IOException {
    FirstStages registry = FirstStages.DEFAULT.with(new EveryDocumentStage());
    assertEquals(List.of("xtr", "warp", "coil", "slim", "every-doc"), registry.parseNames("all"));
    assertEquals(
        List.of("xtr", "warp", "coil", "slim", "every-doc", "lucene-stock"),
        registry.parseNames("all,lucene-stock"),
        "the stock baseline's float copy only when named");
    assertEquals("every-doc", registry.stageOf("every-doc+maxsim"));
    assertNull(FirstStages.DEFAULT.stageOf("every-doc+maxsim"), "the default is unchanged");
    assertThrows(IllegalArgumentException.class, () -> registry.with(new EveryDocumentStage()));

    Path path = tmp.resolve("main");
    Random rnd = new Random(5);
    var byId = LuceneStockMethodTest.writeMain(path, rnd);
    SearchMethod method =
        registry.methods(SearchSettings.DEFAULT).stream()
            .filter(m -> m.name().equals("every-doc+maxsim"))
            .findFirst()
            .orElseThrow();
    try (LatteIndex index = LatteIndex.open(path)) {
      QueryContext q =
          QueryContext.ofVectors(
              "", LuceneStockMethodTest.queryNear(rnd, byId.get("d7"), 6), VectorKernel.get());
      var missing = assertThrows(IndexMismatchException.class, () -> method.search(index, q, 10));
      assertTrue(missing.getMessage().contains("every-doc"), missing.getMessage());
    }

    ByteArrayOutputStream log = new ByteArrayOutputStream();
    registry.buildStages(
        path, List.of("every-doc"), false, n -> IndexProgress.NONE, new PrintStream(log), null);
    assertTrue(log.toString().startsWith("Built first stage every-doc"), log.toString());
    try (LatteIndex index = LatteIndex.open(path)) {
      assertTrue(FirstStageIndex.isFresh(path, EveryDocumentStage.FORMAT, index.reader()));
      QueryContext q =
          QueryContext.ofVectors(
              "", LuceneStockMethodTest.queryNear(rnd, byId.get("d7"), 6), VectorKernel.get());
      MethodResult got = method.search(index, q, 10);
      MethodResult exact = new ExactMaxSimMethod().search(index, q, 10);
      assertEquals(10, got.docs().size());
      assertEquals(
          exact.docs().stream().map(ScoredDoc::doc).toList(),
          got.docs().stream().map(ScoredDoc::doc).toList(),
          "every document rescored exactly is exact MaxSim");
      assertEquals(LuceneStockMethodTest.DOCS, got.candidatesScored());
    }
  }

  @Test
  void stageParametersAreReadFromTheSettingsWithTheirDeclaredDefaults() {
    var probes = dev.latte.searcher.firststage.xtr.XtrStage.PROBES;
    assertEquals(8, SearchSettings.DEFAULT.stageParameter("xtr", probes));
    SearchSettings s =
        SearchSettings.DEFAULT.withStageParameters(
            FirstStages.DEFAULT.checkParameters(Map.of("xtr.probes", 16)));
    assertEquals(16, s.stageParameter("xtr", probes));
    assertEquals(16, s.withRescoreDepth(50).stageParameter("xtr", probes), "kept by withers");
    assertThrows(
        IllegalArgumentException.class,
        () -> FirstStages.DEFAULT.checkParameters(Map.of("probes", 16)),
        "no stage named");
    StageParameter depth = new StageParameter("depth", 5, 2, "a test parameter");
    assertThrows(IllegalArgumentException.class, () -> depth.check("tiny", 1));
    assertThrows(
        IllegalArgumentException.class, () -> new StageParameter("Depth", 5, 2, "bad name"));
    assertThrows(
        IllegalArgumentException.class, () -> new StageParameter("depth", 1, 2, "bad default"));
  }
}
