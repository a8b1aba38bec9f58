package dev.latte.searcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.core.codec.TokenCodec;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.datasets.BeirDataset;
import dev.latte.datasets.Document;
import dev.latte.encoders.BundledModel;
import dev.latte.encoders.EncodedText;
import dev.latte.encoders.OnnxTokenEncoder;
import dev.latte.indexer.IndexLayout;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.LatteIndexWriter;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.util.BytesRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Token-level explanations on ADI with the real bundled model, plus two documents of our own (one
 * without a title, one with capitals and accents): the explanation's score is exact MaxSim, every
 * span highlights its token in the field it names, and pooled indexes explain without tokens.
 */
class ExplainerTest {
  @TempDir static Path tmp;
  static OnnxTokenEncoder encoder;
  static Path plain;
  static Path pooled;

  static final List<String> QUERIES =
      List.of(
          "computer indexing of documents",
          "information retrieval evaluation",
          "automatic abstracting",
          "café résumé",
          "Late Interaction scoring");

  static final Document NO_TITLE =
      new Document("x-no-title", "", "A café résumé: naïve Tokenization of Éclairs.");
  static final Document CAPITALS =
      new Document("x-capitals", "Late Interaction", "ColBERT Scores every Query Token.");

  @BeforeAll
  static void build() throws Exception {
    Path adi = IndexAndSearchTest.adi();
    encoder = OnnxTokenEncoder.load(BundledModel.folder(), 2, 1);
    List<Document> docs = new ArrayList<>();
    try (var s = BeirDataset.open(adi).corpus()) {
      docs.addAll(s.toList());
    }
    docs.add(NO_TITLE);
    docs.add(CAPITALS);
    plain = tmp.resolve("plain");
    pooled = tmp.resolve("pooled");
    // Encode once, write both indexes: the pooled one pools (and drops the annotations) itself.
    try (LatteIndexWriter p = LatteIndexWriter.open(plain, encoder, adi.toString());
        LatteIndexWriter q =
            LatteIndexWriter.open(
                pooled, encoder, adi.toString(), "", new IndexOptions(TokenCodec.FLOAT32, 2))) {
      for (int i = 0; i < docs.size(); i += 16) {
        List<Document> batch = docs.subList(i, Math.min(docs.size(), i + 16));
        List<EncodedText> encoded =
            encoder.encodeDocuments(batch.stream().map(Document::contents).toList());
        for (int j = 0; j < batch.size(); j++) {
          p.add(batch.get(j), encoded.get(j));
          q.add(batch.get(j), encoded.get(j));
        }
      }
      p.commit();
      q.commit();
    }
  }

  @AfterAll
  static void close() {
    encoder.close();
  }

  /** Index-wide Lucene doc id of a collection id. */
  static int docOf(LatteIndex index, String id) throws Exception {
    for (int d = 0; d < index.reader().maxDoc(); d++) if (index.id(d).equals(id)) return d;
    throw new AssertionError("no document " + id);
  }

  static TokenMatrix storedMatrix(LatteIndex index, int doc) throws Exception {
    List<LeafReaderContext> leaves = index.reader().leaves();
    LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(doc, leaves));
    BinaryDocValues v = leaf.reader().getBinaryDocValues(IndexLayout.TOKENS);
    assertTrue(v.advanceExact(doc - leaf.docBase));
    BytesRef b = v.binaryValue();
    return StoredTokenMatrix.decode(b.bytes, b.offset, b.length, index.metadata().dimension());
  }

  /** Lower case without combining marks: how the uncased WordPiece tokenizer normalises. */
  static String fold(String s) {
    String lower = s.toLowerCase(Locale.ROOT);
    return Normalizer.normalize(lower, Normalizer.Form.NFD).replaceAll("\\p{M}", "");
  }

  @Test
  void scoreIsExactMaxSimAndEachSimilarityIsTheRowsBestDot() throws Exception {
    VectorKernel scalar = VectorKernel.scalar();
    try (LatteSearcher searcher = new LatteSearcher(LatteIndex.open(plain), encoder)) {
      LatteIndex index = searcher.index();
      for (String text : QUERIES) {
        var exact = searcher.search("maxsim-exact", text, 5, true);
        assertEquals(5, exact.hits().size());
        EncodedText query = encoder.encodeQuery(text);
        for (var hit : exact.hits()) {
          Explanation e = hit.explain();
          assertNotNull(e, text + " / " + hit.docid());
          assertEquals(hit.score(), e.score(), 1e-4f, text + " / " + hit.docid());
          assertEquals(query.length(), e.matches().size());
          double sum = 0;
          for (var m : e.matches()) sum += m.similarity();
          assertEquals(sum, e.score(), 1e-4);
          // Each contribution is MaxSim of that one query row over the decoded document.
          TokenMatrix d = storedMatrix(index, docOf(index, hit.docid()));
          for (int i = 0; i < e.matches().size(); i++) {
            var m = e.matches().get(i);
            assertEquals(i, m.queryRow());
            assertEquals(query.tokens()[i], m.queryToken());
            assertTrue(m.docRow() >= 0 && m.docRow() < d.rows());
            TokenMatrix row = TokenMatrix.of(new float[][] {query.matrix().row(i)});
            assertEquals(scalar.maxSim(row, d), m.similarity(), 1e-5f, text + " row " + i);
            assertNotNull(m.docToken(), "unpooled index knows its tokens");
          }
        }
        // The static entry point agrees with what search attached.
        var top = exact.hits().getFirst();
        Explanation direct =
            Explainer.explain(index, searcher.query(text), docOf(index, top.docid()));
        assertEquals(top.explain(), direct);
      }
    }
  }

  @Test
  void bm25HitsAreExplainedByTheirMaxSimScore() throws Exception {
    try (LatteSearcher searcher = new LatteSearcher(LatteIndex.open(plain), encoder)) {
      String text = "citation indexing";
      Map<String, Float> exact = new HashMap<>();
      searcher
          .search("maxsim-exact", text, 84)
          .hits()
          .forEach(h -> exact.put(h.docid(), h.score()));
      var bm25 = searcher.search("bm25", text, 5, true).hits();
      assertFalse(bm25.isEmpty());
      for (var h : bm25) {
        assertNotNull(h.explain());
        assertEquals(exact.get(h.docid()), h.explain().score(), 1e-4f, h.docid());
      }
      assertNull(searcher.search("bm25", text, 5).hits().getFirst().explain());
    }
  }

  @Test
  void spansHighlightTheMatchedTokenInTheFieldTheyName() throws Exception {
    int spans = 0;
    int inTitle = 0;
    int inText = 0;
    int matches = 0;
    try (LatteSearcher searcher = new LatteSearcher(LatteIndex.open(plain), encoder)) {
      List<LatteSearcher.Hit> hits = new ArrayList<>();
      for (String text : QUERIES)
        hits.addAll(searcher.search("maxsim-exact", text, 10, true).hits());
      for (var hit : hits) {
        for (var m : hit.explain().matches()) {
          matches++;
          if (!m.hasSpan()) {
            assertEquals(-1, m.start());
            assertEquals(-1, m.end());
            assertNull(m.field());
            continue;
          }
          spans++;
          String field =
              switch (m.field()) {
                case Explanation.TITLE -> {
                  inTitle++;
                  yield hit.title();
                }
                case Explanation.TEXT -> {
                  inText++;
                  yield hit.text();
                }
                default -> throw new AssertionError("field " + m.field());
              };
          assertTrue(
              m.start() < m.end() && m.end() <= field.length(), hit.docid() + " " + m.toString());
          String piece = m.docToken().startsWith("##") ? m.docToken().substring(2) : m.docToken();
          assertEquals(
              fold(piece),
              fold(field.substring(m.start(), m.end())),
              hit.docid() + " " + m.field() + " " + m);
        }
      }
    }
    // Most query tokens match a real word piece (the rest match the [D] marker or [CLS]).
    assertTrue(spans > matches / 2, spans + " spans of " + matches + " matches");
    assertTrue(inTitle > 0 && inText > 0, inTitle + " in titles, " + inText + " in texts");
  }

  @Test
  void documentsWithoutTitleAndWithCapitalsMapToTheirOwnStrings() throws Exception {
    try (LatteSearcher searcher = new LatteSearcher(LatteIndex.open(plain), encoder)) {
      LatteIndex index = searcher.index();
      Explanation e =
          Explainer.explain(index, searcher.query("café résumé"), docOf(index, NO_TITLE.id()));
      List<String> highlighted = new ArrayList<>();
      for (var m : e.matches()) {
        if (!m.hasSpan()) continue;
        assertEquals(Explanation.TEXT, m.field(), "no title: every span is in the text");
        highlighted.add(NO_TITLE.text().substring(m.start(), m.end()));
      }
      assertTrue(highlighted.contains("café"), highlighted.toString());

      e =
          Explainer.explain(
              index, searcher.query("late interaction colbert"), docOf(index, CAPITALS.id()));
      List<String> title = new ArrayList<>();
      List<String> text = new ArrayList<>();
      for (var m : e.matches()) {
        if (!m.hasSpan()) continue;
        if (m.field().equals(Explanation.TITLE))
          title.add(CAPITALS.title().substring(m.start(), m.end()));
        else text.add(CAPITALS.text().substring(m.start(), m.end()));
      }
      assertTrue(title.contains("Late") && title.contains("Interaction"), title.toString());
      assertTrue(text.stream().anyMatch(s -> "ColBERT".startsWith(s)), text.toString());

      assertThrows(
          IllegalArgumentException.class,
          () -> Explainer.explain(index, searcher.query("x"), index.reader().maxDoc()));
    }
  }

  @Test
  void pooledIndexExplainsPooledRowsWithoutTokensOrSpans() throws Exception {
    try (LatteSearcher searcher = new LatteSearcher(LatteIndex.open(pooled), encoder)) {
      assertEquals(2, searcher.index().metadata().options().poolFactor());
      for (String text : QUERIES.subList(0, 3)) {
        var hits = searcher.search("maxsim-exact", text, 5, true).hits();
        assertEquals(5, hits.size());
        for (var hit : hits) {
          Explanation e = hit.explain();
          assertEquals(hit.score(), e.score(), 1e-4f, text + " / " + hit.docid());
          TokenMatrix d = storedMatrix(searcher.index(), docOf(searcher.index(), hit.docid()));
          for (var m : e.matches()) {
            assertNull(m.docToken());
            assertNull(m.field());
            assertEquals(-1, m.start());
            assertEquals(-1, m.end());
            assertTrue(m.docRow() >= 0 && m.docRow() < d.rows());
          }
        }
      }
    }
  }

  @Test
  void jsonIsSnakeCaseAndLeavesOutAMissingExplanation() throws Exception {
    ObjectMapper json = new ObjectMapper();
    try (LatteSearcher searcher = new LatteSearcher(LatteIndex.open(plain), encoder)) {
      JsonNode plainHit =
          json.valueToTree(
              searcher.search("maxsim-exact", "automatic abstracting", 1).hits().getFirst());
      List<String> names = new ArrayList<>();
      plainHit.fieldNames().forEachRemaining(names::add);
      assertEquals(List.of("docid", "score", "rank", "title", "text"), names);

      JsonNode explained =
          json.valueToTree(
                  searcher
                      .search("maxsim-exact", "automatic abstracting", 1, true)
                      .hits()
                      .getFirst())
              .get("explain");
      names.clear();
      explained.fieldNames().forEachRemaining(names::add);
      assertEquals(List.of("score", "matches"), names);
      names.clear();
      explained.get("matches").get(0).fieldNames().forEachRemaining(names::add);
      assertEquals(
          List.of(
              "query_token",
              "doc_token",
              "field",
              "start",
              "end",
              "similarity",
              "query_row",
              "doc_row"),
          names);
    }
  }
}
