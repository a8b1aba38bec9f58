package dev.latte.searcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.latte.core.TokenMatrix;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.datasets.BeirDataset;
import dev.latte.datasets.Document;
import dev.latte.encoders.BundledModel;
import dev.latte.encoders.EncodedText;
import dev.latte.encoders.OnnxTokenEncoder;
import dev.latte.indexer.IndexLayout;
import dev.latte.indexer.IndexMismatchException;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.IndexStats;
import dev.latte.indexer.LatteIndexWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end on the ADI collection (82 documents) with the real bundled model: index in several
 * commits (several segments, one replaced document), reopen, and check exact MaxSim against a
 * brute-force oracle computed straight from the encoder's output.
 */
class IndexAndSearchTest {
  @TempDir static Path tmp;
  static OnnxTokenEncoder encoder;
  static Path indexDir;
  static List<Document> docs;
  static Map<String, TokenMatrix> oracleMatrices = new LinkedHashMap<>();

  static Path adi() {
    Path p = Path.of(System.getProperty("latte.shared.dir", "../../shared"), "datasets", "adi");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.isDirectory(p), "no shared datasets at " + p);
    return p;
  }

  @BeforeAll
  static void build() throws Exception {
    encoder = OnnxTokenEncoder.load(BundledModel.folder(), 2, 1);
    BeirDataset adi = BeirDataset.open(adi());
    try (var s = adi.corpus()) {
      docs = s.toList();
    }
    indexDir = tmp.resolve("adi-index");
    // Three commits -> several segments; the last commit replaces document 0 by a new text.
    try (LatteIndexWriter w = LatteIndexWriter.open(indexDir, encoder, adi.dir().toString())) {
      w.addAll(docs.subList(0, 40).stream(), 2, 8, IndexProgress.NONE);
      w.commit();
      w.addAll(docs.subList(40, docs.size()).stream(), 2, 8, IndexProgress.NONE);
      w.commit();
    }
    Document replaced =
        new Document(
            docs.getFirst().id(), "Replaced", "information retrieval with late interaction");
    try (LatteIndexWriter w = LatteIndexWriter.open(indexDir, encoder, adi.dir().toString())) {
      w.addAll(java.util.stream.Stream.of(replaced), 1, 8, IndexProgress.NONE);
      w.commit();
    }
    List<Document> finalDocs = new ArrayList<>(docs);
    finalDocs.set(0, replaced);
    docs = finalDocs;
    for (Document d : docs) {
      EncodedText e = encoder.encodeDocuments(List.of(d.contents())).getFirst();
      oracleMatrices.put(d.id(), e.matrix());
    }
  }

  @AfterAll
  static void close() {
    encoder.close();
  }

  @Test
  void statisticsDescribeTheIndex() throws Exception {
    try (LatteIndex index = LatteIndex.open(indexDir)) {
      IndexStats s = index.stats();
      assertEquals(82, s.documents());
      assertTrue(index.reader().leaves().size() >= 2, "expected several segments");
      long tokens = oracleMatrices.values().stream().mapToLong(TokenMatrix::rows).sum();
      assertEquals(tokens, s.tokens());
      assertEquals(384 * 4 + 8.0 * 82 / tokens, s.bytesPerToken(), 1e-9);
      assertTrue(s.indexBytes() > s.tokenBytes());
      assertTrue(Files.isRegularFile(indexDir.resolve(IndexLayout.STATS_FILE)));
      assertEquals(encoder.fingerprint(), index.metadata().modelFingerprint());
    }
  }

  @Test
  void exactMaxSimEqualsBruteForceOverEncoderOutput() throws Exception {
    VectorKernel scalar = VectorKernel.scalar();
    List<String> queries =
        List.of(
            "computer indexing of documents",
            "information retrieval evaluation",
            "late interaction",
            "a");
    try (LatteSearcher searcher = new LatteSearcher(LatteIndex.open(indexDir), encoder)) {
      for (String text : queries) {
        TokenMatrix q = encoder.encodeQuery(text).matrix();
        // Oracle: scalar MaxSim over every document's own encoding (batch of one, so the int8
        // activations differ slightly from the indexed batch encoding: compare with a tolerance).
        List<Map.Entry<String, Float>> oracle = new ArrayList<>();
        oracleMatrices.forEach((id, m) -> oracle.add(Map.entry(id, scalar.maxSim(q, m))));
        oracle.sort(Map.Entry.<String, Float>comparingByValue().reversed());

        var response = searcher.search("maxsim-exact", text, 10);
        assertEquals(10, response.hits().size());
        for (var hit : response.hits()) {
          float expected = scalar.maxSim(q, oracleMatrices.get(hit.docid()));
          assertEquals(expected, hit.score(), 0.02f * q.rows(), text + " / " + hit.docid());
        }
        // The top hit is the oracle's top hit, unless the two are within encoding noise.
        String top = response.hits().getFirst().docid();
        float gap = oracle.get(0).getValue() - oracle.get(1).getValue();
        if (gap > 0.05f * q.rows()) assertEquals(oracle.getFirst().getKey(), top, text);
        // Scores are non-increasing.
        for (int i = 1; i < response.hits().size(); i++) {
          assertTrue(response.hits().get(i - 1).score() >= response.hits().get(i).score());
        }
      }
    }
  }

  @Test
  void exactMaxSimIsTheSameWithTheScalarKernelAndIndexedMatrices() throws Exception {
    try (LatteIndex index = LatteIndex.open(indexDir)) {
      LatteSearcher simd = new LatteSearcher(index, encoder, VectorKernel.get());
      LatteSearcher scalar = new LatteSearcher(index, encoder, VectorKernel.scalar());
      var a = simd.search("maxsim-exact", "computer indexing of documents", 82);
      var b = scalar.search("maxsim-exact", "computer indexing of documents", 82);
      assertEquals(82, a.hits().size());
      for (int i = 0; i < 82; i++) {
        assertEquals(b.hits().get(i).score(), a.hits().get(i).score(), 1e-3f);
      }
      assertEquals(82, a.candidatesScored());
    }
  }

  @Test
  void replacedDocumentIsSearchedByItsNewTextOnly() throws Exception {
    try (LatteSearcher searcher = new LatteSearcher(LatteIndex.open(indexDir), encoder)) {
      var bm25 = searcher.search("bm25", "late interaction", 5);
      assertEquals(docs.getFirst().id(), bm25.hits().getFirst().docid());
      assertEquals("Replaced", bm25.hits().getFirst().title());
      long withId =
          searcher.search("maxsim-exact", "anything", 82).hits().stream()
              .filter(h -> h.docid().equals(docs.getFirst().id()))
              .count();
      assertEquals(1, withId);
    }
  }

  @Test
  void reopenedIndexAnswersTheSame() throws Exception {
    LatteSearcher.SearchResponse first, second;
    try (LatteSearcher s = new LatteSearcher(LatteIndex.open(indexDir), encoder)) {
      first = s.search("maxsim-exact", "automatic abstracting", 10);
    }
    try (LatteSearcher s = new LatteSearcher(LatteIndex.open(indexDir), encoder)) {
      second = s.search("maxsim-exact", "automatic abstracting", 10);
    }
    assertEquals(first.hits(), second.hits());
  }

  @Test
  void bm25HitsContainTheQueryTerms() throws Exception {
    try (LatteSearcher s = new LatteSearcher(LatteIndex.open(indexDir), encoder)) {
      var r = s.search("bm25", "citation indexing", 5);
      assertTrue(!r.hits().isEmpty());
      for (var h : r.hits()) {
        String t = (h.title() + " " + h.text()).toLowerCase();
        assertTrue(t.contains("citat") || t.contains("index"), h.docid());
      }
      assertEquals(0, s.search("bm25", "the of and", 5).hits().size());
    }
  }

  @Test
  void wrongModelOrMissingIndexFailsClearly() throws Exception {
    var e =
        assertThrows(
            IndexMismatchException.class, () -> LatteIndex.open(tmp.resolve("nothing-here")));
    assertTrue(e.getMessage().contains("./latte index"), e.getMessage());
    Path other = tmp.resolve("other-model");
    Files.createDirectories(other);
    for (String f : List.of("model.onnx", "tokenizer.json"))
      Files.createSymbolicLink(other.resolve(f), BundledModel.folder().resolve(f));
    Files.writeString(
        other.resolve("latte-model.json"),
        "{\"name\": \"other\", \"dimension\": 384, \"document_max_length\": 64}");
    try (OnnxTokenEncoder otherEncoder = OnnxTokenEncoder.load(other, 1, 1);
        LatteIndex index = LatteIndex.open(indexDir)) {
      e = assertThrows(IndexMismatchException.class, () -> new LatteSearcher(index, otherEncoder));
      assertTrue(e.getMessage().contains("same --model"), e.getMessage());
      e =
          assertThrows(
              IndexMismatchException.class,
              () -> LatteIndexWriter.open(indexDir, otherEncoder, "x"));
      assertTrue(e.getMessage().contains("was built with model"), e.getMessage());
    }
  }

  @Test
  void bm25ThenMaxSimEqualsExactWhenTheFirstStageReachesEveryDocument() throws Exception {
    try (LatteSearcher s = new LatteSearcher(LatteIndex.open(indexDir), encoder)) {
      // "of" is a stop word; the other terms reach only part of ADI, so compare on the BM25 set.
      String text = "computer indexing of documents and retrieval systems";
      var bm25 = s.search("bm25", text, 82).hits();
      var rescored = s.search("bm25+maxsim", text, 82);
      var exact = s.search("maxsim-exact", text, 82).hits();
      assertEquals(bm25.size(), rescored.hits().size());
      assertEquals(bm25.size(), rescored.candidatesScored());
      java.util.Set<String> candidates = new java.util.HashSet<>();
      bm25.forEach(h -> candidates.add(h.docid()));
      var exactOnCandidates = exact.stream().filter(h -> candidates.contains(h.docid())).toList();
      for (int i = 0; i < bm25.size(); i++) {
        assertEquals(exactOnCandidates.get(i).docid(), rescored.hits().get(i).docid());
        assertEquals(exactOnCandidates.get(i).score(), rescored.hits().get(i).score());
      }
    }
  }

  @Test
  void hybridFusionFollowsItsDefinition() throws Exception {
    try (LatteIndex index = LatteIndex.open(indexDir)) {
      String text = "automatic indexing of scientific literature";
      var kernel = VectorKernel.get();
      // Weight 1: MaxSim order over BM25's candidates; weight 0: BM25 order.
      var semantic = new LatteSearcher(index, encoder, kernel, new SearchSettings(1000, 1f));
      var lexical = new LatteSearcher(index, encoder, kernel, new SearchSettings(1000, 0f));
      var bm25 = lexical.search("bm25", text, 82).hits();
      var rescored = semantic.search("bm25+maxsim", text, 82).hits();
      assertEquals(
          rescored.stream().map(LatteSearcher.Hit::docid).toList(),
          semantic.search("hybrid-linear", text, 82).hits().stream()
              .map(LatteSearcher.Hit::docid)
              .toList());
      assertEquals(
          bm25.stream().map(LatteSearcher.Hit::docid).toList().subList(0, 5),
          lexical.search("hybrid-linear", text, 5).hits().stream()
              .map(LatteSearcher.Hit::docid)
              .toList());
      // RRF by hand: 1/(60 + bm25 rank) + 1/(60 + maxsim rank), ranks from 1.
      Map<String, Double> rrf = new LinkedHashMap<>();
      for (int i = 0; i < bm25.size(); i++)
        rrf.merge(bm25.get(i).docid(), 1.0 / (60 + i + 1), Double::sum);
      for (int i = 0; i < rescored.size(); i++)
        rrf.merge(rescored.get(i).docid(), 1.0 / (60 + i + 1), Double::sum);
      var best = rrf.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow();
      var fused = semantic.search("hybrid-rrf", text, 3).hits();
      assertEquals(best.getValue(), fused.getFirst().score(), 1e-6);
      assertEquals(best.getKey(), fused.getFirst().docid());
    }
  }

  @Test
  void unknownMethodNamesTheAvailableOnes() throws Exception {
    try (LatteSearcher s = new LatteSearcher(LatteIndex.open(indexDir), encoder)) {
      var e = assertThrows(IllegalArgumentException.class, () -> s.search("colbert", "x", 3));
      assertTrue(
          e.getMessage().contains("bm25, maxsim-exact, bm25+maxsim, hybrid-rrf, hybrid-linear"),
          e.getMessage());
    }
  }
}
