package dev.latte.indexer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.TokenCodec;
import dev.latte.datasets.Document;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.lucene.document.DoublePoint;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.BytesRef;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link LatteIndexWriter#replaceMetadata}: the document is re-added from its stored bytes, so its
 * token matrix and annotations stay byte for byte what they were, and only the metadata (stored and
 * indexed for filters) changes.
 */
class ReplaceMetadataTest {
  static final int DIM = 16;
  static final ModelIdentity MODEL = new ModelIdentity("fake-16", "fake-fp-16", DIM, false, null);
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  record Stored(byte[] tokens, byte[] info, String title, String text, String metadata) {}

  @ParameterizedTest
  @CsvSource({"float32, 1", "int8, 1", "float16, 2", "bit, 1", "residual-2, 1", "residual-1, 2"})
  void onlyTheMetadataChangesAndTheStoredBytesStayIdentical(String codec, int pool)
      throws Exception {
    Path path = tmp.resolve(codec + "-" + pool);
    IndexOptions options = new IndexOptions(TokenCodec.fromName(codec), pool);
    Random rnd = new Random(7);
    try (LatteIndexWriter w = LatteIndexWriter.openForEncoded(path, MODEL, "t", "", options)) {
      for (String id : new String[] {"a", "b", "c"}) {
        int rows = 3 + rnd.nextInt(6);
        float[] data = new float[rows * DIM];
        for (int i = 0; i < data.length; i++) data[i] = (float) rnd.nextGaussian();
        String[] tokens = new String[rows];
        int[] starts = new int[rows];
        int[] ends = new int[rows];
        for (int r = 0; r < rows; r++) {
          tokens[r] = "t" + r;
          starts[r] = r;
          ends[r] = r + 1;
        }
        ObjectNode m = (ObjectNode) JSON.readTree("{\"lang\": \"en\", \"year\": 2001}");
        w.add(
            new Document(id, "title " + id, "text of " + id, m),
            new TokenMatrix(data, rows, DIM),
            new TokenAnnotations(tokens, starts, ends));
      }
      w.commit();
    }
    Stored before = stored(path, "b");
    assertEquals(pool == 1, before.info() != null, "annotations only when unpooled");

    try (LatteIndexWriter w = LatteIndexWriter.openForEncoded(path, MODEL, "t", "", options);
        DirectoryReader reader = w.openNrtReader()) {
      AtomicInteger calls = new AtomicInteger();
      assertFalse(
          w.replaceMetadata(
              reader,
              "absent",
              m -> {
                calls.incrementAndGet();
                return m;
              }));
      assertEquals(0, calls.get(), "no change is computed for an absent document");
      assertTrue(
          w.replaceMetadata(
              reader,
              "b",
              m -> {
                assertEquals("en", m.get("lang").asText());
                ObjectNode next = m.deepCopy();
                next.remove("lang");
                next.put("year", 2024).put("tag", "new");
                return next;
              }));
      assertTrue(w.replaceMetadata(reader, "c", m -> null), "null drops the metadata");
      w.commit();
    }

    Stored after = stored(path, "b");
    assertArrayEquals(before.tokens(), after.tokens(), "token matrix bytes unchanged");
    assertArrayEquals(before.info(), after.info(), "token annotations unchanged");
    assertEquals(before.title(), after.title());
    assertEquals(before.text(), after.text());
    assertEquals(
        JSON.readTree("{\"year\": 2024, \"tag\": \"new\"}"), JSON.readTree(after.metadata()));
    assertNull(stored(path, "c").metadata());
    try (DirectoryReader reader = DirectoryReader.open(FSDirectory.open(path))) {
      IndexSearcher s = new IndexSearcher(reader);
      assertEquals(3, reader.numDocs());
      assertEquals(1, s.count(new TermQuery(new Term("m.tag", "new"))));
      assertEquals(1, s.count(new TermQuery(new Term("m.lang", "en"))), "only a keeps lang");
      assertEquals(1, s.count(DoublePoint.newExactQuery("m.year", 2024)));
      assertEquals(1, s.count(DoublePoint.newExactQuery("m.year", 2001)), "only a keeps 2001");
      assertEquals(2, s.count(new TermQuery(new Term(IndexLayout.METADATA_EXISTS, "year"))));
    }
  }

  @ParameterizedTest
  @CsvSource({"float32, int8", "int8, float32"})
  void storedBytesOfAnotherCodecAreRefused(String written, String other) throws Exception {
    TokenMatrix m = new TokenMatrix(new float[2 * DIM], 2, DIM);
    byte[] foreign = TokenCodec.fromName(other).encode(m);
    Path path = tmp.resolve(written);
    try (LatteIndexWriter w =
        LatteIndexWriter.openForEncoded(
            path, MODEL, "t", "", new IndexOptions(TokenCodec.fromName(written), 1))) {
      var e =
          assertThrows(
              IllegalArgumentException.class,
              () -> w.addStored(new Document("x", "", "text"), new BytesRef(foreign), null));
      assertTrue(e.getMessage().contains(other), e.getMessage());
    }
  }

  static Stored stored(Path path, String id) throws Exception {
    try (DirectoryReader reader = DirectoryReader.open(FSDirectory.open(path))) {
      TopDocs top =
          new IndexSearcher(reader).search(new TermQuery(new Term(IndexLayout.ID, id)), 2);
      assertEquals(1, top.totalHits.value(), "one live document " + id);
      int doc = top.scoreDocs[0].doc;
      LeafReaderContext leaf =
          reader.leaves().get(org.apache.lucene.index.ReaderUtil.subIndex(doc, reader.leaves()));
      int local = doc - leaf.docBase;
      var d = leaf.reader().storedFields().document(local);
      return new Stored(
          bytes(leaf.reader().getBinaryDocValues(IndexLayout.TOKENS), local),
          bytes(leaf.reader().getBinaryDocValues(IndexLayout.TOKEN_INFO), local),
          d.get(IndexLayout.TITLE),
          d.get(IndexLayout.TEXT),
          d.get(IndexLayout.METADATA));
    }
  }

  static byte[] bytes(BinaryDocValues values, int doc) throws Exception {
    if (values == null || !values.advanceExact(doc)) return null;
    return BytesRef.deepCopyOf(values.binaryValue()).bytes;
  }
}
