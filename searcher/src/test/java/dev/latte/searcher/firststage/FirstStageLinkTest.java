package dev.latte.searcher.firststage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.latte.core.TokenMatrix;
import dev.latte.datasets.Document;
import dev.latte.indexer.IndexLayout;
import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.IndexMismatchException;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.LatteIndexReaderSupport;
import dev.latte.indexer.LatteIndexWriter;
import dev.latte.indexer.ModelIdentity;
import dev.latte.indexer.TokenAnnotations;
import dev.latte.indexer.firststage.FirstStageBuilder;
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.indexer.firststage.LiveFirstStage;
import dev.latte.indexer.firststage.Pca;
import dev.latte.indexer.firststage.SphericalKMeans;
import dev.latte.searcher.firststage.coil.CoilBuilder;
import dev.latte.searcher.firststage.stock.LuceneStockBuilder;
import dev.latte.searcher.firststage.xtr.XtrBuilder;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * First stages link to main documents by write sequence number: fresh exactly when they hold the
 * main index's live versions, whatever merges do to doc ids; {@link FirstStageIndex#sync} brings a
 * stale one back to what a fresh derivation with the same parameters writes.
 */
class FirstStageLinkTest {
  static final int DIM = 16;
  static final ModelIdentity MODEL = new ModelIdentity("fake-16", "fake-fp-16", DIM, false, null);

  @TempDir Path tmp;
  final Random rnd = new Random(11);

  void add(LatteIndexWriter w, String id) throws Exception {
    int rows = 2 + rnd.nextInt(7);
    float[] data = new float[rows * DIM];
    for (int i = 0; i < data.length; i++) data[i] = (float) rnd.nextGaussian();
    String[] tokens = new String[rows];
    int[] starts = new int[rows];
    int[] ends = new int[rows];
    for (int r = 0; r < rows; r++) {
      tokens[r] = "w" + rnd.nextInt(12);
      starts[r] = r;
      ends[r] = r + 1;
    }
    w.add(
        new Document(id, "", "text " + id),
        new TokenMatrix(data, rows, DIM),
        new TokenAnnotations(tokens, starts, ends));
  }

  /** id of each live main document by doc id, through a link's mainDocs, per derived doc. */
  static Map<Long, String> seqToId(DirectoryReader main) throws Exception {
    Map<Long, String> out = new HashMap<>();
    for (LeafReaderContext leaf : main.leaves()) {
      NumericDocValues v = leaf.reader().getNumericDocValues(IndexLayout.SEQ);
      var stored = leaf.reader().storedFields();
      for (int d = 0; d < leaf.reader().maxDoc(); d++) {
        if (leaf.reader().getLiveDocs() != null && !leaf.reader().getLiveDocs().get(d)) continue;
        assertTrue(v.advanceExact(d), "every written document has a sequence number");
        out.put(v.longValue(), stored.document(d).get(IndexLayout.ID));
      }
    }
    return out;
  }

  @Test
  void freshExactlyForTheLiveVersionsAndSyncEqualsAFreshDerivation() throws Exception {
    Path main = tmp.resolve("main");
    try (LatteIndexWriter w =
        LatteIndexWriter.openForEncoded(main, MODEL, "t", "", IndexOptions.DEFAULT)) {
      for (int i = 0; i < 30; i++) add(w, "d" + i);
      w.commit();
    }
    FirstStageBuilder coil = new CoilBuilder(new CoilBuilder.Params(4, 1000, 1));
    IndexMetadata meta;
    try (DirectoryReader r = DirectoryReader.open(FSDirectory.open(main))) {
      meta = LatteIndexReaderSupport.metadataOf(r.getIndexCommit());
      coil.build(main, r, meta, IndexProgress.NONE);
      assertTrue(FirstStageIndex.isFresh(main, CoilBuilder.FORMAT, r));
    }

    // Replace, delete, add, and merge (doc ids shift; sequence numbers do not).
    try (LatteIndexWriter w =
        LatteIndexWriter.openForEncoded(main, MODEL, "t", "", IndexOptions.DEFAULT)) {
      add(w, "d3");
      w.delete("d7");
      w.delete("d0");
      add(w, "d30");
      w.forceMerge(1);
      w.commit();
    }
    try (DirectoryReader r = DirectoryReader.open(FSDirectory.open(main))) {
      assertFalse(FirstStageIndex.isFresh(main, CoilBuilder.FORMAT, r), "stale after writes");
      var e =
          assertThrows(
              IndexMismatchException.class,
              () -> FirstStageIndex.open(main, CoilBuilder.FORMAT, r));
      assertTrue(e.getMessage().contains("out of date"), e.getMessage());
      assertTrue(e.getMessage().contains("--first-stage coil"), e.getMessage());

      // Sync the maintained structure; derive a reference from scratch with the same parameters.
      Path dir = FirstStageIndex.dir(main, "coil");
      try (var d = FSDirectory.open(dir);
          var w =
              new org.apache.lucene.index.IndexWriter(
                  d,
                  new org.apache.lucene.index.IndexWriterConfig()
                      .setOpenMode(org.apache.lucene.index.IndexWriterConfig.OpenMode.APPEND))) {
        FirstStageIndex.SyncResult s;
        try (DirectoryReader current = DirectoryReader.open(w)) {
          s = FirstStageIndex.sync(w, coil.deriver(d, meta), current, r, DIM, IndexProgress.NONE);
        }
        assertEquals(2, s.added(), "the new version of d3 and d30");
        assertEquals(3, s.deleted(), "the old d3, d7, d0");
        w.setLiveCommitData(
            Map.of(FirstStageIndex.FORMAT_KEY, CoilBuilder.FORMAT.stamp()).entrySet());
        w.commit();
      }
      assertTrue(FirstStageIndex.isFresh(main, CoilBuilder.FORMAT, r), "in step after the sync");

      Path ref = tmp.resolve("ref");
      java.nio.file.Files.createDirectories(ref);
      java.nio.file.Files.copy(
          dir.resolve(CoilBuilder.PROJECTION_FILE), ref.resolve(CoilBuilder.PROJECTION_FILE));
      FirstStageIndex.derive(coil, ref, r, meta, IndexProgress.NONE);

      Map<Long, String> ids = seqToId(r);
      FirstStageIndex.Linked live = FirstStageIndex.open(main, CoilBuilder.FORMAT, r);
      try (DirectoryReader fresh = DirectoryReader.open(FSDirectory.open(ref))) {
        FirstStageIndex.Link freshLink = FirstStageIndex.link(fresh, r, CoilBuilder.FORMAT);
        assertTrue(freshLink.fresh());
        // Same main documents, same COIL postings (term, positions, payloads) per main document.
        assertEquals(
            postings(fresh, freshLink.mainDocs()), postings(live.reader(), live.mainDocs()));
        assertEquals(r.numDocs(), ids.size());
      } finally {
        live.reader().close();
      }
    }
  }

  /** Per main doc id: its COIL postings as "term@position:payload" strings, sorted. */
  static Map<Integer, java.util.List<String>> postings(DirectoryReader derived, int[] mainDocs)
      throws Exception {
    Map<Integer, java.util.List<String>> out = new java.util.TreeMap<>();
    for (LeafReaderContext leaf : derived.leaves()) {
      var terms = leaf.reader().terms(CoilBuilder.FIELD);
      if (terms == null) continue;
      var te = terms.iterator();
      var live = leaf.reader().getLiveDocs();
      for (var t = te.next(); t != null; t = te.next()) {
        var pe = te.postings(null, org.apache.lucene.index.PostingsEnum.ALL);
        for (int d = pe.nextDoc();
            d != org.apache.lucene.search.DocIdSetIterator.NO_MORE_DOCS;
            d = pe.nextDoc()) {
          if (live != null && !live.get(d)) continue;
          int m = mainDocs[leaf.docBase + d];
          for (int i = 0; i < pe.freq(); i++) {
            int pos = pe.nextPosition();
            var p = pe.getPayload();
            out.computeIfAbsent(m, k -> new java.util.ArrayList<>())
                .add(
                    t.utf8ToString()
                        + "@"
                        + pos
                        + ":"
                        + java.util.HexFormat.of()
                            .formatHex(p.bytes, p.offset, p.offset + p.length));
          }
        }
      }
    }
    out.values().forEach(java.util.Collections::sort);
    return out;
  }

  @Test
  void anOfflineRebuildRefusesAnIndexSomeoneIsWriting() throws Exception {
    Path main = tmp.resolve("busy");
    try (LatteIndexWriter w =
        LatteIndexWriter.openForEncoded(main, MODEL, "t", "", IndexOptions.DEFAULT)) {
      add(w, "a");
      w.commit();
      var e =
          assertThrows(
              IndexMismatchException.class,
              () ->
                  FirstStages.build(
                      main,
                      java.util.List.of("lucene-stock"),
                      false,
                      n -> IndexProgress.NONE,
                      System.out));
      assertTrue(e.getMessage().contains("another process"), e.getMessage());
      assertFalse(java.nio.file.Files.exists(FirstStageIndex.dir(main, "lucene-stock")));
    }
    FirstStages.build(
        main, java.util.List.of("lucene-stock"), false, n -> IndexProgress.NONE, System.out);
    try (DirectoryReader r = DirectoryReader.open(FSDirectory.open(main))) {
      assertTrue(FirstStageIndex.isFresh(main, LuceneStockBuilder.FORMAT, r));
    }
  }

  @Test
  void sequenceNumbersSurviveReopeningAndAreNeverReused() throws Exception {
    Path main = tmp.resolve("seq");
    try (LatteIndexWriter w =
        LatteIndexWriter.openForEncoded(main, MODEL, "t", "", IndexOptions.DEFAULT)) {
      add(w, "a");
      add(w, "b");
      w.commit();
    }
    try (LatteIndexWriter w =
        LatteIndexWriter.openForEncoded(main, MODEL, "t", "", IndexOptions.DEFAULT)) {
      add(w, "a"); // a new version of a
      add(w, "c");
      w.commit();
    }
    try (DirectoryReader r = DirectoryReader.open(FSDirectory.open(main))) {
      Map<Long, String> seqs = seqToId(r);
      assertEquals(3, seqs.size());
      long[] sorted = seqs.keySet().stream().mapToLong(Long::longValue).sorted().toArray();
      assertArrayEquals(new long[] {2, 3, 4}, sorted, "b=2, a=3, c=4; a's old 1 is gone");
      assertEquals("a", seqs.get(3L));
      assertEquals("5", r.getIndexCommit().getUserData().get(IndexLayout.COMMIT_SEQ_KEY));
    }
  }

  /**
   * A first-stage build on an interrupted thread (a live index closing or dropping the stage) stops
   * at its first check and leaves no side folder; k-means and PCA stop between iterations. The
   * interrupt flag stays set for the caller.
   */
  @Test
  void interruptedBuildsStopAndLeaveNothingBehind() throws Exception {
    Path main = tmp.resolve("main");
    try (LatteIndexWriter w =
        LatteIndexWriter.openForEncoded(main, MODEL, "t", "", IndexOptions.DEFAULT)) {
      for (int i = 0; i < 600; i++) add(w, "d" + i);
      w.commit();
    }
    try (DirectoryReader r = DirectoryReader.open(FSDirectory.open(main))) {
      IndexMetadata meta = LatteIndexReaderSupport.metadataOf(r.getIndexCommit());
      for (FirstStageBuilder b :
          new FirstStageBuilder[] {
            new XtrBuilder(new XtrBuilder.Params(8, 16, 4, 1, 1)),
            new CoilBuilder(new CoilBuilder.Params(4, 1000, 1))
          }) {
        Thread.currentThread().interrupt();
        try {
          assertThrows(
              java.util.concurrent.CancellationException.class,
              () -> LiveFirstStage.buildAside(main, b, r, meta),
              b.name());
          assertTrue(Thread.currentThread().isInterrupted(), "the flag stays set");
        } finally {
          Thread.interrupted();
        }
        try (var files = java.nio.file.Files.list(main)) {
          assertEquals(
              java.util.List.of(),
              files
                  .filter(java.nio.file.Files::isDirectory)
                  .map(f -> f.getFileName().toString())
                  .filter(f -> f.startsWith(FirstStageIndex.PREFIX))
                  .toList(),
              b.name() + " left a folder");
        }
        // Not interrupted, the same build completes.
        Path aside = LiveFirstStage.buildAside(main, b, r, meta);
        assertTrue(java.nio.file.Files.isDirectory(aside));
        FirstStageIndex.deleteFolder(aside);
      }
    }
    float[] sample = new float[200 * DIM];
    for (int i = 0; i < sample.length; i++) sample[i] = (float) rnd.nextGaussian();
    Thread.currentThread().interrupt();
    try {
      assertThrows(
          java.util.concurrent.CancellationException.class,
          () ->
              new SphericalKMeans(dev.latte.core.kernel.VectorKernel.get(), 1)
                  .train(sample, 200, DIM, 8, 5, 1));
      assertThrows(
          java.util.concurrent.CancellationException.class,
          () -> Pca.topDirections(sample, 200, DIM, 4, 5, 1));
    } finally {
      Thread.interrupted();
    }
  }
}
