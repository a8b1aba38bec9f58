package dev.latte.indexer.firststage;

import dev.latte.core.TokenMatrix;
import dev.latte.indexer.IndexLayout;
import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.IndexMismatchException;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.TokenAnnotations;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexCommit;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.InPlaceMergeSorter;

/**
 * A first stage derived from a Latte index: a Lucene index of its own in the sub-folder {@code
 * latte-<name>} of the main index (Lucene leaves folders it did not write alone), built from the
 * main index's stored token matrices, never by re-encoding. Trained parameters (centroids,
 * projections) live in the derived folder as checksummed files and are frozen once trained.
 *
 * <p><b>Links.</b> Every derived document carries the write sequence number ({@link
 * IndexLayout#SEQ}, doc values and a point) of the main document version it was derived from.
 * Sequence numbers are unique per write, so a first stage is <em>fresh</em> exactly when the
 * sequence numbers of its live documents are those of the main index's live documents: no commit
 * stamp is needed, and a live index keeps the structure fresh by deriving what is missing and
 * deleting what is gone ({@link #sync}), in step with its writes and after a crash alike. Searches
 * map derived to main doc ids through the numbers ({@link #link}), so main-index merges do not
 * matter. Structures built from a main index written before sequence numbers existed link by the
 * main doc id ({@value #MAIN_DOC}) instead and are fresh only for the main commit they were built
 * from ({@value #STAMP_KEY}).
 */
public final class FirstStageIndex {
  public static final String MAIN_DOC = "latte_main_doc";
  public static final String STAMP_KEY = "latte.derived.from";
  public static final String FORMAT_KEY = "latte.derived.format";

  /** Commit user data: live main documents the structure's parameters were trained on. */
  public static final String TRAINED_ON_KEY = "latte.derived.trained_on";

  public static final String PREFIX = "latte-";
  static final int BATCH_ROWS = 32_768;

  private FirstStageIndex() {}

  public static Path dir(Path mainIndex, String name) {
    return mainIndex.resolve(PREFIX + name);
  }

  /** Identifies a main-index commit: segments file, doc counts. */
  public static String stamp(DirectoryReader main) throws IOException {
    IndexCommit c = main.getIndexCommit();
    return c.getSegmentsFileName() + ";maxDoc=" + main.maxDoc() + ";numDocs=" + main.numDocs();
  }

  /** The doc-values field linking a derived document to its source document's doc id. */
  public static NumericDocValuesField mainDoc(int globalDoc) {
    return new NumericDocValuesField(MAIN_DOC, globalDoc);
  }

  static String stamp(DirectoryReader main, FirstStageFormat format) throws IOException {
    return stamp(main) + ";format=" + format.stamp();
  }

  /** The commit user data of a structure written in {@code format}, derived from {@code main}. */
  static Map<String, String> commitData(DirectoryReader main, FirstStageFormat format)
      throws IOException {
    return Map.of(STAMP_KEY, stamp(main, format), FORMAT_KEY, format.stamp());
  }

  /**
   * Ends a build: merges to one segment (searches walk one set of lists), stamps the source commit
   * and format, and commits.
   */
  public static void finish(IndexWriter writer, DirectoryReader main, FirstStageFormat format)
      throws IOException {
    writer.forceMerge(1);
    writer.setLiveCommitData(commitData(main, format).entrySet());
    writer.commit();
  }

  /**
   * Builds the structure of {@code builder} into {@code folder} (replaced if it exists): trains its
   * parameters on {@code main}, then derives every live document of {@code main}.
   */
  public static void build(
      FirstStageBuilder builder,
      Path folder,
      DirectoryReader main,
      IndexMetadata metadata,
      IndexProgress progress)
      throws IOException {
    deleteFolder(folder);
    try (Directory dir = FSDirectory.open(folder)) {
      builder.train(dir, main, metadata);
    }
    derive(
        builder,
        folder,
        main,
        metadata,
        progress,
        Map.of(TRAINED_ON_KEY, Integer.toString(main.numDocs())));
  }

  /**
   * Writes the documents of the structure of {@code builder} in {@code folder} from every live
   * document of {@code main}, with the parameters already in {@code folder} (trained there, or
   * copied from another index so that both derive alike); replaces documents it holds.
   */
  public static void derive(
      FirstStageBuilder builder,
      Path folder,
      DirectoryReader main,
      IndexMetadata metadata,
      IndexProgress progress)
      throws IOException {
    derive(builder, folder, main, metadata, progress, Map.of());
  }

  private static void derive(
      FirstStageBuilder builder,
      Path folder,
      DirectoryReader main,
      IndexMetadata metadata,
      IndexProgress progress,
      Map<String, String> extraCommitData)
      throws IOException {
    try (Directory dir = FSDirectory.open(folder)) {
      Deriver deriver = builder.deriver(dir, metadata);
      IndexWriterConfig cfg =
          new IndexWriterConfig()
              .setOpenMode(IndexWriterConfig.OpenMode.CREATE)
              .setRAMBufferSizeMB(256);
      try (IndexWriter w = new IndexWriter(dir, cfg)) {
        progress.start(main.numDocs());
        sync(w, deriver, null, main, metadata.dimension(), progress);
        progress.close();
        w.forceMerge(1);
        Map<String, String> data = new HashMap<>(commitData(main, builder.format()));
        data.putAll(extraCommitData);
        w.setLiveCommitData(data.entrySet());
        w.commit();
      }
    }
  }

  /** What a {@link #sync} changed. */
  public record SyncResult(int added, int deleted) {}

  /**
   * Brings the structure written by {@code writer} (whose current state {@code derived} shows; null
   * when it is empty) in step with the live documents of {@code main}: derives the main documents
   * whose sequence number it lacks, deletes its documents whose sequence number is no longer live
   * in {@code main}. Nothing is committed. A main index whose documents have no sequence numbers
   * can only be derived into an empty structure (linked by doc id).
   */
  public static SyncResult sync(
      IndexWriter writer,
      Deriver deriver,
      DirectoryReader derived,
      DirectoryReader main,
      int dimension,
      IndexProgress progress)
      throws IOException {
    Seqs have = derived == null ? Seqs.NONE : Seqs.of(derived);
    if (derived != null && !have.complete(derived))
      throw new IndexMismatchException(
          "first-stage documents without sequence numbers: rebuild the structure with"
              + " ./latte index --index DIR --first-stage NAMES");
    Seqs mainSeqs = Seqs.of(main);
    if (!mainSeqs.complete(main) && have.n() > 0)
      throw new IndexMismatchException(
          "documents of this index have no write sequence numbers (written by an older version),"
              + " so its first stages cannot be maintained; rebuild them with ./latte index --index"
              + " DIR --first-stage NAMES");

    // One pass over both sorted lists: numbers the structure has that the index no longer has are
    // stale; numbers the index has that the structure lacks are to derive.
    List<Long> stale = new ArrayList<>();
    long[] missingDocs = new long[mainSeqs.n()]; // doc ids, with their positions in mainSeqs
    int[] missingAt = new int[mainSeqs.n()];
    int missing = 0;
    for (int i = 0, j = 0; i < have.n() || j < mainSeqs.n(); ) {
      if (j == mainSeqs.n() || (i < have.n() && have.seqs()[i] < mainSeqs.seqs()[j])) {
        stale.add(have.seqs()[i++]);
      } else if (i == have.n() || mainSeqs.seqs()[j] < have.seqs()[i]) {
        missingDocs[missing] = mainSeqs.docs()[j];
        missingAt[missing++] = j++;
      } else {
        i++;
        j++;
      }
    }
    for (int from = 0; from < stale.size(); from += 1024) {
      var chunk = stale.subList(from, Math.min(stale.size(), from + 1024));
      writer.deleteDocuments(
          LongPoint.newSetQuery(
              IndexLayout.SEQ, chunk.stream().mapToLong(Long::longValue).toArray()));
    }

    List<TokenMatrix> mats = new ArrayList<>();
    List<TokenAnnotations> anns = new ArrayList<>();
    List<long[]> links = new ArrayList<>(); // {globalDoc, seq or -1}
    int[] rows = {0};
    int[] added = {0};
    SourceDocuments.LinkedVisitor collect =
        (doc, seq, m, a) -> {
          mats.add(m);
          anns.add(a);
          links.add(new long[] {doc, seq});
          rows[0] += m.rows();
          if (rows[0] >= BATCH_ROWS) {
            added[0] += write(writer, deriver, mats, anns, links);
            progress.advance(mats.size());
            mats.clear();
            anns.clear();
            links.clear();
            rows[0] = 0;
          }
        };
    if (mainSeqs.complete(main)) {
      // Only the documents it lacks are read, in doc-id order.
      sortPairs(missingDocs, missingAt, missing);
      int[] docs = new int[missing];
      long[] seqs = new long[missing];
      for (int k = 0; k < missing; k++) {
        docs[k] = (int) missingDocs[k];
        seqs[k] = mainSeqs.seqs()[missingAt[k]];
      }
      SourceDocuments.forDocs(
          main, docs, seqs, missing, dimension, deriver.needsAnnotations(), collect);
    } else {
      // Documents written before sequence numbers (a full derivation of an older index): all.
      SourceDocuments.forEachLinked(
          main,
          dimension,
          deriver.needsAnnotations(),
          seq -> seq < 0 || have.indexOf(seq) < 0,
          collect);
    }
    added[0] += write(writer, deriver, mats, anns, links);
    progress.advance(mats.size());
    return new SyncResult(added[0], stale.size());
  }

  private static int write(
      IndexWriter writer,
      Deriver deriver,
      List<TokenMatrix> mats,
      List<TokenAnnotations> anns,
      List<long[]> links)
      throws IOException {
    if (mats.isEmpty()) return 0;
    List<Document> docs = deriver.derive(mats, anns);
    for (int i = 0; i < docs.size(); i++) {
      Document d = docs.get(i);
      long[] link = links.get(i);
      d.add(mainDoc((int) link[0]));
      if (link[1] >= 0) {
        d.add(new NumericDocValuesField(IndexLayout.SEQ, link[1]));
        d.add(new LongPoint(IndexLayout.SEQ, link[1]));
      }
      writer.addDocument(d);
    }
    return docs.size();
  }

  /**
   * The sequence numbers of a reader's live documents with their doc ids, sorted by number; {@code
   * n} of its live documents have one.
   */
  private record Seqs(long[] seqs, int[] docs, int n) {
    static final Seqs NONE = new Seqs(new long[0], new int[0], 0);

    static Seqs of(DirectoryReader reader) throws IOException {
      List<LeafReaderContext> leaves = reader.leaves();
      long[][] ls = new long[leaves.size()][];
      int[][] ld = new int[leaves.size()][];
      int[] ln = new int[leaves.size()];
      int total = 0;
      for (int l = 0; l < leaves.size(); l++) {
        LeafReaderContext leaf = leaves.get(l);
        SegmentSeqs all = SegmentSeqs.of(leaf.reader());
        Bits live = leaf.reader().getLiveDocs();
        long[] seqs = new long[all.seqs.length];
        int[] docs = new int[all.seqs.length];
        int n = 0;
        for (int i = 0; i < all.seqs.length; i++) {
          int d = all.docs[i];
          if (live != null && !live.get(d)) continue;
          seqs[n] = all.seqs[i];
          docs[n++] = leaf.docBase + d;
        }
        ls[l] = seqs;
        ld[l] = docs;
        ln[l] = n;
        total += n;
      }
      // k-way merge of the per-segment sorted runs (numbers are unique across the index).
      long[] seqs = new long[total];
      int[] docs = new int[total];
      int[] at = new int[leaves.size()];
      org.apache.lucene.util.PriorityQueue<Integer> heap =
          new org.apache.lucene.util.PriorityQueue<>(Math.max(1, leaves.size())) {
            @Override
            protected boolean lessThan(Integer a, Integer b) {
              return ls[a][at[a]] < ls[b][at[b]];
            }
          };
      for (int l = 0; l < leaves.size(); l++) if (ln[l] > 0) heap.add(l);
      for (int k = 0; k < total; k++) {
        int l = heap.top();
        seqs[k] = ls[l][at[l]];
        docs[k] = ld[l][at[l]];
        if (++at[l] < ln[l]) heap.updateTop();
        else heap.pop();
      }
      return new Seqs(seqs, docs, total);
    }

    /** Every live document of {@code reader} has a number. */
    boolean complete(DirectoryReader reader) {
      return n == reader.numDocs();
    }

    /** Position of {@code seq} (negative if absent). */
    int indexOf(long seq) {
      return Arrays.binarySearch(seqs, 0, n, seq);
    }
  }

  /**
   * Every sequence number a segment holds, sorted, with the segment's doc ids, deleted documents
   * included: immutable for the life of the segment's core (sequence numbers are written once and
   * never updated in place), so computed once per segment and shared by every reader over it until
   * the segment is closed. Live documents are filtered per reader.
   */
  private record SegmentSeqs(long[] seqs, int[] docs) {
    private static final java.util.concurrent.ConcurrentHashMap<Object, SegmentSeqs> CACHE =
        new java.util.concurrent.ConcurrentHashMap<>();

    static SegmentSeqs of(org.apache.lucene.index.LeafReader reader) throws IOException {
      var helper = reader.getCoreCacheHelper();
      if (helper == null) return read(reader);
      var key = helper.getKey();
      SegmentSeqs s = CACHE.get(key);
      if (s != null) return s;
      s = read(reader);
      if (CACHE.putIfAbsent(key, s) == null) helper.addClosedListener(CACHE::remove);
      return s;
    }

    private static SegmentSeqs read(org.apache.lucene.index.LeafReader reader) throws IOException {
      NumericDocValues v = reader.getNumericDocValues(IndexLayout.SEQ);
      if (v == null) return new SegmentSeqs(new long[0], new int[0]);
      long[] seqs = new long[reader.maxDoc()];
      int[] docs = new int[reader.maxDoc()];
      int n = 0;
      for (int d = v.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = v.nextDoc()) {
        seqs[n] = v.longValue();
        docs[n++] = d;
      }
      sortPairs(seqs, docs, n);
      return new SegmentSeqs(Arrays.copyOf(seqs, n), Arrays.copyOf(docs, n));
    }
  }

  /**
   * How a derived reader maps to a main reader: {@code mainDocs[d]} is the main doc id of derived
   * doc d (-1 if it has none, e.g. deleted), and whether the structure is fresh for {@code main}
   * (else {@code why} says how it differs).
   */
  public record Link(int[] mainDocs, boolean fresh, String why) {}

  /** Maps {@code derived} to {@code main} (see the class comment for the two kinds of links). */
  public static Link link(DirectoryReader derived, DirectoryReader main, FirstStageFormat format)
      throws IOException {
    int[] out = new int[derived.maxDoc()];
    Arrays.fill(out, -1);
    if (!seqLinked(derived)) {
      for (LeafReaderContext leaf : derived.leaves()) {
        NumericDocValues v = leaf.reader().getNumericDocValues(MAIN_DOC);
        if (v == null) continue;
        for (int d = v.nextDoc(); d != NumericDocValues.NO_MORE_DOCS; d = v.nextDoc())
          out[leaf.docBase + d] = (int) v.longValue();
      }
      String built = derived.getIndexCommit().getUserData().get(STAMP_KEY);
      boolean fresh = stamp(main, format).equals(built);
      return new Link(out, fresh, fresh ? null : "the index changed since it was built");
    }
    Seqs m = Seqs.of(main);
    Seqs d = Seqs.of(derived);
    int linked = 0;
    for (int i = 0, j = 0; i < d.n() && j < m.n(); ) {
      long a = d.seqs()[i];
      long b = m.seqs()[j];
      if (a < b) i++;
      else if (b < a) j++;
      else {
        out[d.docs()[i++]] = m.docs()[j++];
        linked++;
      }
    }
    boolean complete = m.complete(main);
    boolean fresh = complete && linked == derived.numDocs() && linked == main.numDocs();
    String why =
        fresh
            ? null
            : "it covers "
                + linked
                + " of the index's "
                + main.numDocs()
                + " documents and "
                + (derived.numDocs() - linked)
                + " it no longer has";
    return new Link(out, fresh, why);
  }

  /** Linked by sequence numbers: has the field, or has no documents at all. */
  private static boolean seqLinked(DirectoryReader derived) {
    if (derived.maxDoc() == 0) return true;
    for (LeafReaderContext leaf : derived.leaves())
      if (leaf.reader().getFieldInfos().fieldInfo(IndexLayout.SEQ) != null) return true;
    return false;
  }

  /** Sorts {@code keys[0, n)} ascending, moving {@code values} with them. */
  static void sortPairs(long[] keys, int[] values, int n) {
    new InPlaceMergeSorter() {
      @Override
      protected int compare(int i, int j) {
        return Long.compare(keys[i], keys[j]);
      }

      @Override
      protected void swap(int i, int j) {
        long k = keys[i];
        keys[i] = keys[j];
        keys[j] = k;
        int v = values[i];
        values[i] = values[j];
        values[j] = v;
      }
    }.sort(0, n);
  }

  /** A derived reader with its links to the main reader it was checked against. */
  public record Linked(DirectoryReader reader, int[] mainDocs) {}

  /** True if the first stage of {@code format} exists, was written in that format and is fresh. */
  public static boolean isFresh(Path mainIndex, FirstStageFormat format, DirectoryReader main)
      throws IOException {
    String name = format.name();
    Path d = dir(mainIndex, name);
    if (!Files.isDirectory(d)) return false;
    try (Directory dir = FSDirectory.open(d)) {
      if (!DirectoryReader.indexExists(dir)) return false;
      try (DirectoryReader r = DirectoryReader.open(dir)) {
        return format.stamp().equals(formatOf(r.getIndexCommit().getUserData()))
            && link(r, main, format).fresh();
      }
    }
  }

  /**
   * Opens a derived index for reading, failing with a rebuild hint when it is missing, was written
   * by another format version, or is not fresh for {@code main}.
   */
  public static Linked open(Path mainIndex, FirstStageFormat format, DirectoryReader main)
      throws IOException {
    String name = format.name();
    Path d = dir(mainIndex, name);
    Directory dir = null;
    DirectoryReader r = null;
    try {
      if (Files.isDirectory(d)) {
        dir = FSDirectory.open(d);
        if (DirectoryReader.indexExists(dir)) r = DirectoryReader.open(dir);
      }
      if (r == null) throw missing(mainIndex, name, " has no '" + name + "' first stage");
      if (!format.stamp().equals(formatOf(r.getIndexCommit().getUserData())))
        throw missing(
            mainIndex,
            name,
            "'s '" + name + "' first stage was written by another version of Latte");
      Link link = link(r, main, format);
      if (!link.fresh())
        throw missing(
            mainIndex, name, "'s '" + name + "' first stage is out of date: " + link.why());
      return new Linked(r, link.mainDocs());
    } catch (IOException | RuntimeException e) {
      if (r != null) r.close();
      if (dir != null) dir.close();
      throw e;
    }
  }

  /**
   * Checks a derived reader that a live index keeps in step (it owns the writer) against {@code
   * main}; fails if they are not in step (closing nothing).
   */
  public static Linked linked(
      DirectoryReader derived, DirectoryReader main, FirstStageFormat format) throws IOException {
    String name = format.name();
    Link link = link(derived, main, format);
    if (!link.fresh())
      throw new IndexMismatchException(
          "the '" + name + "' first stage is not in step with this snapshot: " + link.why());
    return new Linked(derived, link.mainDocs());
  }

  private static IndexMismatchException missing(Path mainIndex, String name, String what) {
    return new IndexMismatchException(
        "index "
            + mainIndex
            + what
            + "; build it with: ./latte index --index "
            + mainIndex
            + " --first-stage "
            + name);
  }

  /** Deletes a derived folder (before a rebuild). */
  public static void delete(Path mainIndex, String name) throws IOException {
    deleteFolder(dir(mainIndex, name));
  }

  /** Suffix of a structure's previous folder while {@link #replaceFolder} swaps in a new one. */
  public static final String REPLACED = ".replaced";

  /**
   * Replaces {@code folder} by the complete folder {@code aside} in two atomic renames (the old
   * folder first aside as {@value #REPLACED}, then the new one in) before deleting the old one, so
   * that a crash at any point leaves a complete structure: the new one, or the old one that {@link
   * #restoreInterrupted} puts back. The WARP lists may hold the only copy of documents' codes, so a
   * half-deleted folder must never be the one in place.
   */
  public static void replaceFolder(Path folder, Path aside) throws IOException {
    Path old = folder.resolveSibling(folder.getFileName() + REPLACED);
    restoreInterrupted(folder);
    if (Files.exists(folder)) Files.move(folder, old, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    Files.move(aside, folder, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    deleteFolder(old);
  }

  /**
   * After a crash inside {@link #replaceFolder}: puts the old folder back when the new one never
   * arrived, else deletes what is left of the old one.
   */
  public static void restoreInterrupted(Path folder) throws IOException {
    Path old = folder.resolveSibling(folder.getFileName() + REPLACED);
    if (!Files.exists(old)) return;
    if (Files.exists(folder)) deleteFolder(old);
    else Files.move(old, folder, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /** Deletes a folder and everything in it (absent: nothing to do). */
  public static void deleteFolder(Path d) throws IOException {
    if (!Files.isDirectory(d)) return;
    dev.latte.core.FileTrees.deleteRecursively(d);
  }

  /** The format a derived commit records (before {@value #FORMAT_KEY}, the stamp's suffix). */
  static String formatOf(Map<String, String> userData) {
    String f = userData.get(FORMAT_KEY);
    if (f != null) return f;
    String stamp = userData.get(STAMP_KEY);
    int at = stamp == null ? -1 : stamp.lastIndexOf(";format=");
    return at < 0 ? null : stamp.substring(at + ";format=".length());
  }

  static Map<String, String> userData(IndexWriter w) {
    Map<String, String> m = new HashMap<>();
    var live = w.getLiveCommitData();
    if (live != null) for (var e : live) m.put(e.getKey(), e.getValue());
    return m;
  }
}
