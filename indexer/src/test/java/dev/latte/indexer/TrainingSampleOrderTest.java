package dev.latte.indexer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.ResidualCodebook;
import dev.latte.core.codec.TokenCodec;
import dev.latte.datasets.Document;
import dev.latte.indexer.firststage.SourceDocuments;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an index trains on depends on its documents, never on the order they reached Lucene:
 * parallel encoders finish in a scheduling-dependent order, and two runs over the same input must
 * train the same centroids and codebook (and so rank the same).
 */
class TrainingSampleOrderTest {
  static final int DIM = ResidualIndexWriterTest.DIM;

  @TempDir Path tmp;

  record Doc(String id, TokenMatrix m) {}

  static List<Doc> docs(int n, int seed) {
    Random rnd = new Random(seed);
    List<Doc> out = new ArrayList<>();
    for (int i = 0; i < n; i++)
      out.add(new Doc("d" + i, ResidualIndexWriterTest.matrix(rnd, 3 + rnd.nextInt(30))));
    return out;
  }

  static void write(Path path, List<Doc> docs, IndexOptions options, int commitEvery)
      throws Exception {
    try (LatteIndexWriter w =
        LatteIndexWriter.openForEncoded(path, ResidualIndexWriterTest.MODEL, "t", "", options)) {
      int i = 0;
      for (Doc d : docs) {
        w.add(new Document(d.id(), "", "text"), d.m());
        if (++i % commitEvery == 0) w.commit();
      }
      w.commit();
    }
  }

  static float[] sample(Path path, int n) throws Exception {
    try (var dir = FSDirectory.open(path);
        DirectoryReader r = DirectoryReader.open(dir)) {
      return SourceDocuments.sampleRows(r, DIM, false, n, 7);
    }
  }

  @Test
  void firstStageSamplesAreTheSameWhateverTheDocumentOrderAndSegments() throws Exception {
    List<Doc> docs = docs(300, 1);
    List<Doc> shuffled = new ArrayList<>(docs);
    Collections.shuffle(shuffled, new Random(2));
    IndexOptions f32 = new IndexOptions(TokenCodec.FLOAT32, 1);
    write(tmp.resolve("a"), docs, f32, 1000);
    write(tmp.resolve("b"), shuffled, f32, 37); // other doc order, several segments
    float[] a = sample(tmp.resolve("a"), 500);
    float[] b = sample(tmp.resolve("b"), 500);
    assertEquals(500 * DIM, a.length);
    assertArrayEquals(a, b);
    // The sample is a subset of the rows, not all of them, and a different seed picks others.
    assertNotEquals(
        java.util.Arrays.hashCode(a),
        java.util.Arrays.hashCode(sampleWithSeed(tmp.resolve("a"), 500, 8)));
    // Asking for more rows than exist returns every row once.
    long total = docs.stream().mapToLong(d -> d.m().rows()).sum();
    assertEquals(total * DIM, sample(tmp.resolve("b"), 1_000_000).length);
  }

  static float[] sampleWithSeed(Path path, int n, long seed) throws Exception {
    try (var dir = FSDirectory.open(path);
        DirectoryReader r = DirectoryReader.open(dir)) {
      return SourceDocuments.sampleRows(r, DIM, false, n, seed);
    }
  }

  @Test
  void theBottomSampleKeepsExactlyTheSmallestKeys() throws Exception {
    // Rows whose keys we can compute: the sample must be those with the n smallest keys, in order.
    List<Doc> docs = docs(60, 4);
    write(tmp.resolve("c"), docs, new IndexOptions(TokenCodec.FLOAT32, 1), 1000);
    List<long[]> keyed = new ArrayList<>();
    List<float[]> rows = new ArrayList<>();
    for (Doc d : docs)
      for (int r = 0; r < d.m().rows(); r++) {
        keyed.add(new long[] {SourceDocuments.rowKey(d.m().data(), r * DIM, DIM, 7), rows.size()});
        rows.add(java.util.Arrays.copyOfRange(d.m().data(), r * DIM, (r + 1) * DIM));
      }
    keyed.sort((x, y) -> Long.compare(x[0], y[0]));
    float[] got = sample(tmp.resolve("c"), 100);
    for (int i = 0; i < 100; i++)
      assertArrayEquals(
          rows.get((int) keyed.get(i)[1]),
          java.util.Arrays.copyOfRange(got, i * DIM, (i + 1) * DIM),
          "row " + i);
  }

  @Test
  void aStreamingResidualCodebookTrainsOnTheFirstDocumentsByPositionNotByArrival() {
    // About 2.3 windows of tokens, delivered in two different orders as two encoder threads might.
    List<Doc> docs = docs(9_000, 5);
    ResidualCodebook inOrder = trainStreaming(docs, identity(docs.size()));
    int[] jumbled = identity(docs.size());
    Random rnd = new Random(6);
    // Swap within windows of 64 positions: arrivals run ahead and behind, as a pipeline's do.
    for (int i = 0; i < jumbled.length; i++) {
      int j = Math.min(jumbled.length - 1, i + rnd.nextInt(64));
      int t = jumbled[i];
      jumbled[i] = jumbled[j];
      jumbled[j] = t;
    }
    ResidualCodebook other = trainStreaming(docs, jumbled);
    assertEquals(inOrder.fingerprint(), other.fingerprint());
    // Without positions the arrival order decides (what a live write gets): here it differs.
    ResidualTraining t = new ResidualTraining(2, DIM);
    for (int i : jumbled) {
      t.hold(held(docs.get(i), -1));
      if (t.full()) break;
    }
    assertNotEquals(inOrder.fingerprint(), t.train().fingerprint());
  }

  /** Holds docs in {@code arrival} order until the sample is complete, then trains. */
  static ResidualCodebook trainStreaming(List<Doc> docs, int[] arrival) {
    ResidualTraining t = new ResidualTraining(2, DIM);
    for (int i : arrival) {
      t.hold(held(docs.get(i), i));
      if (t.full()) return t.train();
    }
    throw new AssertionError("the window never filled");
  }

  @Test
  void aCommitBeforeTheWindowFillsTrainsOnEverythingHeldInPositionOrder() {
    List<Doc> docs = docs(50, 9);
    ResidualTraining a = new ResidualTraining(2, DIM);
    ResidualTraining b = new ResidualTraining(2, DIM);
    for (int i = 0; i < docs.size(); i++) a.hold(held(docs.get(i), i));
    for (int i = docs.size() - 1; i >= 0; i--) b.hold(held(docs.get(i), i));
    assertEquals(false, a.full());
    assertEquals(a.train().fingerprint(), b.train().fingerprint());
    List<ResidualTraining.Held> drained = b.drain();
    for (int i = 0; i < drained.size(); i++) assertEquals(i, drained.get(i).position());
  }

  static ResidualTraining.Held held(Doc d, long position) {
    return new ResidualTraining.Held(
        new Document(d.id(), "", "text"), d.m(), null, null, d.m().rows(), position);
  }

  static int[] identity(int n) {
    int[] out = new int[n];
    for (int i = 0; i < n; i++) out[i] = i;
    return out;
  }
}
