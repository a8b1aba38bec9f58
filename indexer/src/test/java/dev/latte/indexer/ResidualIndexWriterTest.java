package dev.latte.indexer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.ResidualCodebook;
import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.core.codec.TokenCodec;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.datasets.Document;
import dev.latte.indexer.pooling.TokenPooler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.BytesRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A residual index trains its codebook once (from the first documents of a stream, or given by a
 * re-coding), stores it and freezes it: later writers code new tokens with the same parameters, and
 * every stored value decodes to what that codebook makes of the document's (pooled) matrix.
 */
class ResidualIndexWriterTest {
  static final int DIM = 8;
  static final ModelIdentity MODEL = new ModelIdentity("fake-8", "fake-fp-8", DIM, false, null);

  @TempDir Path tmp;

  static TokenMatrix matrix(Random rnd, int rows) {
    float[] data = new float[rows * DIM];
    for (int i = 0; i < data.length; i++) data[i] = (float) rnd.nextGaussian();
    TokenMatrix.normalizeRows(data, rows, DIM);
    return new TokenMatrix(data, rows, DIM);
  }

  /** Every live document's stored value, by id. */
  static Map<String, byte[]> values(Path index) throws Exception {
    Map<String, byte[]> out = new HashMap<>();
    try (var dir = FSDirectory.open(index);
        DirectoryReader r = DirectoryReader.open(dir)) {
      for (LeafReaderContext leaf : r.leaves()) {
        BinaryDocValues v = leaf.reader().getBinaryDocValues(IndexLayout.TOKENS);
        var live = leaf.reader().getLiveDocs();
        for (int d = v.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = v.nextDoc()) {
          if (live != null && !live.get(d)) continue;
          BytesRef b = v.binaryValue();
          String id = leaf.reader().storedFields().document(d).get(IndexLayout.ID);
          out.put(id, java.util.Arrays.copyOfRange(b.bytes, b.offset, b.offset + b.length));
        }
      }
    }
    return out;
  }

  /** What {@code book} makes of a matrix, assigned as writers assign. */
  static byte[] coded(ResidualCodebook book, TokenMatrix m) {
    int[] ids = new int[m.rows()];
    VectorKernel.get().assignCentroids(book, m.data(), 0, m.rows(), ids);
    return book.encode(m, ids);
  }

  @Test
  void aSmallStreamTrainsAtCommitAndLaterWritersCodeWithTheFrozenCodebook() throws Exception {
    Path path = tmp.resolve("r2");
    IndexOptions options = new IndexOptions(TokenCodec.RESIDUAL_2, 2);
    TokenPooler pooler = new TokenPooler(2, false);
    Random rnd = new Random(3);
    Map<String, TokenMatrix> docs = new HashMap<>();
    long encoded = 0, stored = 0;
    ResidualCodebook first;
    try (LatteIndexWriter w = LatteIndexWriter.openForEncoded(path, MODEL, "t", "", options)) {
      for (int i = 0; i < 40; i++) {
        TokenMatrix m = matrix(rnd, 5 + rnd.nextInt(20));
        docs.put("d" + i, m);
        encoded += m.rows();
        stored += pooler.pooledRows(m.rows());
        w.add(new Document("d" + i, "", "text " + i), m);
      }
      assertNull(w.codebook(), "40 short documents do not fill the training window");
      IndexStats stats = w.commit();
      first = w.codebook();
      assertNotNull(first);
      assertEquals(40, stats.documents());
      assertEquals(stored, stats.tokens());
      assertEquals(encoded, stats.encodedTokens(), "encoded_tokens count before pooling");
    }
    assertTrue(Files.isRegularFile(path.resolve(ResidualCodebookFile.FILE)));
    assertTrue(Files.readString(path.resolve(IndexLayout.STATS_FILE)).contains("encoded_tokens"));
    // A live write later: new and replaced documents are coded with the same parameters.
    try (LatteIndexWriter w = LatteIndexWriter.openForEncoded(path, MODEL, "t", "", options)) {
      assertEquals(first.fingerprint(), w.codebook().fingerprint());
      for (String id : new String[] {"d3", "new"}) {
        TokenMatrix m = matrix(rnd, 30);
        docs.put(id, m);
        w.add(new Document(id, "", "again " + id), m);
      }
      w.commit();
    }
    ResidualCodebook book = ResidualCodebookFile.read(path);
    assertEquals(first.fingerprint(), book.fingerprint());
    Map<String, byte[]> values = values(path);
    assertEquals(41, values.size());
    for (var e : docs.entrySet())
      assertArrayEquals(coded(book, pooler.pool(e.getValue())), values.get(e.getKey()), e.getKey());
    // Another codebook for this index is refused: the parameters are frozen.
    ResidualCodebook other =
        ResidualTraining.fit(2, book.centroids(), DIM, matrix(rnd, 50).data(), 50);
    var e =
        assertThrows(
            IndexMismatchException.class,
            () -> LatteIndexWriter.openForEncoded(path, MODEL, "t", "", options, other));
    assertTrue(e.getMessage().contains("frozen"), e.getMessage());
  }

  @Test
  void aLongStreamTrainsWhenTheWindowFillsAndKeepsTheLatestVersionOfAnId() throws Exception {
    Path path = tmp.resolve("r1");
    IndexOptions options = new IndexOptions(TokenCodec.RESIDUAL_1, 1);
    Random rnd = new Random(5);
    Map<String, TokenMatrix> docs = new HashMap<>();
    long tokens = 0;
    try (LatteIndexWriter w = LatteIndexWriter.openForEncoded(path, MODEL, "t", "", options)) {
      w.expectTokens(70_000);
      TokenMatrix early = matrix(rnd, 10);
      w.add(new Document("dup", "", "first version"), early);
      int i = 0;
      while (w.codebook() == null) {
        TokenMatrix m = matrix(rnd, 64);
        docs.put("d" + i, m);
        tokens += 64;
        w.add(new Document("d" + i++, "", "t"), m);
      }
      assertTrue(tokens + 10 >= ResidualTraining.WINDOW_TOKENS, "trained at " + tokens);
      // 70,000 expected tokens: K = the power of two nearest 4 sqrt(70,000) ~ 1,058.
      assertEquals(1024, w.codebook().centroidCount());
      TokenMatrix late = matrix(rnd, 12);
      docs.put("dup", late);
      w.add(new Document("dup", "", "second version"), late);
      w.commit();
    }
    ResidualCodebook book = ResidualCodebookFile.read(path);
    Map<String, byte[]> values = values(path);
    assertEquals(docs.size(), values.size());
    for (var e : docs.entrySet())
      assertArrayEquals(coded(book, e.getValue()), values.get(e.getKey()), e.getKey());
    StoredTokenMatrix.Header h =
        StoredTokenMatrix.header(values.get("dup"), 0, values.get("dup").length, DIM);
    assertEquals(12, h.tokens(), "the later version of an id wins over one held for training");
  }

  @Test
  void centroidCountFollowsTheXtrRule() {
    assertEquals(4096, ResidualTraining.centroids(1_083_959));
    assertEquals(16, ResidualTraining.centroids(1));
    assertEquals(1024, ResidualTraining.centroids(65_536));
  }
}
