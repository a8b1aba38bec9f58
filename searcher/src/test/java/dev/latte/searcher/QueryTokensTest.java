package dev.latte.searcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.latte.core.TokenMatrix;
import dev.latte.datasets.BeirDataset;
import dev.latte.datasets.Document;
import dev.latte.encoders.BundledModel;
import dev.latte.encoders.EncodedText;
import dev.latte.encoders.OnnxTokenEncoder;
import dev.latte.indexer.IndexLayout;
import dev.latte.indexer.LatteIndexWriter;
import dev.latte.indexer.TokenAnnotations;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.search.DocIdSetIterator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Query token weighting on ADI with the real bundled model: {@code maxsim-idf} is, document by
 * document, the brute-force IDF-weighted sum of each query row's best dot product; dropped rows are
 * the ones named; options compose.
 */
class QueryTokensTest {
  @TempDir static Path tmp;
  static OnnxTokenEncoder encoder;
  static Path plain;

  @BeforeAll
  static void build() throws Exception {
    Path adi = IndexAndSearchTest.adi();
    encoder = OnnxTokenEncoder.load(BundledModel.folder(), 2, 1);
    List<Document> docs = new ArrayList<>();
    try (var s = BeirDataset.open(adi).corpus()) {
      docs.addAll(s.toList());
    }
    plain = tmp.resolve("plain");
    try (LatteIndexWriter w = LatteIndexWriter.open(plain, encoder, adi.toString())) {
      for (int i = 0; i < docs.size(); i += 16) {
        List<Document> batch = docs.subList(i, Math.min(docs.size(), i + 16));
        List<EncodedText> encoded =
            encoder.encodeDocuments(batch.stream().map(Document::contents).toList());
        for (int j = 0; j < batch.size(); j++) w.add(batch.get(j), encoded.get(j));
      }
      w.commit();
    }
  }

  @AfterAll
  static void close() {
    encoder.close();
  }

  /** Each document's set of word pieces, read back from the annotations. */
  static List<Set<String>> documentTokens(LatteIndex index) throws Exception {
    List<Set<String>> out = new ArrayList<>();
    for (LeafReaderContext leaf : index.reader().leaves()) {
      BinaryDocValues v = leaf.reader().getBinaryDocValues(IndexLayout.TOKEN_INFO);
      for (int d = v.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = v.nextDoc())
        out.add(new HashSet<>(List.of(TokenAnnotations.decode(v.binaryValue()).tokens())));
    }
    return out;
  }

  @Test
  void documentFrequenciesCountDocumentsNotOccurrences() throws Exception {
    try (LatteIndex index = LatteIndex.open(plain)) {
      TokenDocumentFrequencies df = TokenDocumentFrequencies.of(index);
      assertSame(df, TokenDocumentFrequencies.of(index)); // computed once per index
      List<Set<String>> docs = documentTokens(index);
      assertEquals(82, df.documents());
      for (String t : List.of("the", "retrieval", "index", "##ing", "zzzqqq")) {
        long n = docs.stream().filter(s -> s.contains(t)).count();
        assertEquals(n, df.documentFrequency(t), t);
        assertEquals(Math.log(83.0 / (n + 1)), df.idf(t), 1e-6, t);
      }
      assertTrue(df.idf("retrieval") > df.idf("the"));
    }
  }

  @Test
  void maxSimIdfIsTheIdfWeightedSumOfEachRowsBestDot() throws Exception {
    try (LatteSearcher searcher = new LatteSearcher(LatteIndex.open(plain), encoder)) {
      LatteIndex index = searcher.index();
      TokenDocumentFrequencies df = TokenDocumentFrequencies.of(index);
      for (String text : List.of("computer indexing of documents", "automatic abstracting!")) {
        EncodedText q = encoder.encodeQuery(text);
        var hits = searcher.search("maxsim-idf", text, 82);
        assertEquals(82, hits.hits().size());
        for (var hit : hits.hits().subList(0, 20)) {
          TokenMatrix d =
              ExplainerTest.storedMatrix(index, ExplainerTest.docOf(index, hit.docid()));
          double expected = 0;
          for (int i = 0; i < q.length(); i++) {
            if (q.starts()[i] < 0) continue; // [CLS], [SEP] weigh 0
            double best = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < d.rows(); j++) {
              double dot = 0;
              for (int c = 0; c < d.dim(); c++)
                dot += q.matrix().data()[i * d.dim() + c] * d.data()[j * d.dim() + c];
              best = Math.max(best, dot);
            }
            expected += df.idf(q.tokens()[i]) * best;
          }
          assertEquals(expected, hit.score(), 1e-3 * Math.max(1, Math.abs(expected)), hit.docid());
        }
      }
    }
  }

  @Test
  void droppedRowsAreTheNamedOnesAndOptionsCompose() throws Exception {
    try (LatteSearcher searcher = new LatteSearcher(LatteIndex.open(plain), encoder)) {
      LatteIndex index = searcher.index();
      String text = "What is the retrieval of documents, by computer?";
      EncodedText all = searcher.query(text).encoded();
      EncodedText kept =
          QueryTokens.parse("no-punct,no-stop").apply(index, searcher.query(text)).encoded();
      List<String> expected = new ArrayList<>();
      for (String t : all.tokens())
        if (!QueryTokens.isPunctuation(t) && !QueryTokens.isStopWord(t)) expected.add(t);
      assertEquals(expected, List.of(kept.tokens()));
      assertTrue(
          expected.contains("[CLS]") && !expected.contains("the") && !expected.contains(","));
      assertEquals(
          List.of("what", "is", "the", "retrieval", "of", "documents", ",", "by", "computer", "?"),
          List.of(
              QueryTokens.parse("no-inserted")
                  .apply(index, searcher.query(text))
                  .encoded()
                  .tokens()));
      // IDF after dropping the inserted rows is IDF alone: the spans survive the first step.
      QueryContext once = QueryTokens.IDF.apply(index, searcher.query(text));
      QueryContext twice =
          QueryTokens.IDF.apply(
              index, QueryTokens.parse("no-inserted").apply(index, searcher.query(text)));
      assertEquals(List.of(once.encoded().tokens()), List.of(twice.encoded().tokens()));
      float[] a = once.encoded().matrix().data(), b = twice.encoded().matrix().data();
      assertEquals(a.length, b.length);
      for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-6f, "element " + i);
      // A query of stop words only keeps its rows rather than becoming empty.
      QueryContext onlyStop = searcher.query("the of");
      assertSame(onlyStop, new QueryTokens(false, true, false, true).apply(index, onlyStop));
      assertEquals("idf,no-punct", QueryTokens.parse("no-punct, idf").label());
      var e = assertThrows(IllegalArgumentException.class, () -> QueryTokens.parse("idf,bm25"));
      assertTrue(e.getMessage().contains("'bm25'"), e.getMessage());
    }
  }

  @Test
  void weightedMethodsKeepTheFilter() throws Exception {
    try (LatteSearcher searcher = new LatteSearcher(LatteIndex.open(plain), encoder)) {
      var filter =
          new org.apache.lucene.search.TermQuery(new org.apache.lucene.index.Term("id", "7"));
      var hits = searcher.search("maxsim-idf", "computer indexing", 10, filter);
      assertEquals(List.of("7"), hits.hits().stream().map(LatteSearcher.Hit::docid).toList());
    }
  }

  @Test
  void fusedHybridRanksTheUnionByZScoresOfBm25AndIdfMaxSim() throws Exception {
    try (LatteSearcher searcher = new LatteSearcher(LatteIndex.open(plain), encoder)) {
      LatteIndex index = searcher.index();
      // A stand-in semantic first stage: MaxSim's own top 10, so the union adds documents BM25
      // left out.
      CandidateGenerator semantic =
          new CandidateGenerator() {
            public String name() {
              return "exact-top";
            }

            public Candidates generate(LatteIndex i, QueryContext q, int depth) throws IOException {
              var docs = new ExactMaxSimMethod().search(i, q, depth).docs();
              return new Candidates(
                  docs.stream().mapToInt(ScoredDoc::doc).toArray(), new float[docs.size()]);
            }
          };
      HybridMethod hybrid =
          new HybridMethod("t", new ScoreFusion.ZScore(0.85f), QueryTokens.IDF, 5, semantic, 10);
      for (String text : List.of("computer indexing of documents", "automatic abstracting")) {
        QueryContext q = searcher.query(text);
        var bm = new Bm25Method().search(index, q, 5).docs();
        java.util.Map<Integer, Float> idf = new java.util.HashMap<>();
        for (var d : searcher.method("maxsim-idf").search(index, q, 82).docs())
          idf.put(d.doc(), d.score());
        java.util.LinkedHashSet<Integer> pool = new java.util.LinkedHashSet<>();
        java.util.Map<Integer, Float> lexical = new java.util.HashMap<>();
        for (var d : bm) {
          pool.add(d.doc());
          lexical.put(d.doc(), d.score());
        }
        for (var d : new ExactMaxSimMethod().search(index, q, 10).docs()) pool.add(d.doc());
        int[] docs = pool.stream().mapToInt(Integer::intValue).toArray();
        float[] b = new float[docs.length], m = new float[docs.length];
        for (int i = 0; i < docs.length; i++) {
          b[i] = lexical.getOrDefault(docs[i], Float.NaN);
          m[i] = idf.get(docs[i]);
        }
        float[] f = new ScoreFusion.ZScore(0.85f).fuse(b, m);
        Integer[] order = new Integer[docs.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        java.util.Arrays.sort(order, (x, y) -> Float.compare(f[y], f[x]));
        MethodResult r = hybrid.search(index, searcher.query(text), 8);
        assertEquals(8, r.docs().size());
        for (int i = 0; i < 8; i++) {
          assertEquals(f[order[i]], r.docs().get(i).score(), 1e-4, text + " rank " + i);
          assertEquals(docs[order[i]], r.docs().get(i).doc(), text + " rank " + i);
        }
        assertTrue(pool.size() > 5, "the union adds documents BM25 did not retrieve");
      }
    }
  }
}
