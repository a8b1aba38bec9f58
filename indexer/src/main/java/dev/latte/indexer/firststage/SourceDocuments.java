package dev.latte.indexer.firststage;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.indexer.IndexLayout;
import dev.latte.indexer.TokenAnnotations;
import java.io.IOException;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;

/** Walks the live documents of a main index with their token matrices decoded to float. */
public final class SourceDocuments {
  private SourceDocuments() {}

  /** One live document: index-wide id, float matrix, and annotations (null if not stored). */
  @FunctionalInterface
  public interface Visitor {
    void visit(int globalDoc, TokenMatrix matrix, TokenAnnotations annotations) throws IOException;
  }

  /**
   * Visits every live document in doc-id order. With {@code needAnnotations}, fails on an index
   * that has none (pooled, or written by layout 1) with a message saying what to do.
   */
  public static void forEach(
      DirectoryReader reader, int dimension, boolean needAnnotations, Visitor visitor)
      throws IOException {
    for (LeafReaderContext leaf : reader.leaves()) {
      BinaryDocValues values = dev.latte.indexer.lists.DocumentTokens.of(leaf.reader());
      if (values == null) continue;
      BinaryDocValues info = leaf.reader().getBinaryDocValues(IndexLayout.TOKEN_INFO);
      Bits live = leaf.reader().getLiveDocs();
      for (int doc = values.nextDoc();
          doc != DocIdSetIterator.NO_MORE_DOCS;
          doc = values.nextDoc()) {
        if (live != null && !live.get(doc)) continue;
        if ((doc & 255) == 0) Cancellation.check();
        BytesRef v = values.binaryValue();
        TokenMatrix m = decode(reader, v, dimension);
        TokenAnnotations a =
            info != null && info.advanceExact(doc)
                ? TokenAnnotations.decode(info.binaryValue())
                : null;
        if (needAnnotations && a == null && m.rows() > 0) {
          throw new dev.latte.indexer.IndexMismatchException(
              "this first stage needs the token strings of every row, which the index does not"
                  + " store (it is pooled, or was written by layout 1); build it on an unpooled"
                  + " index written by this version");
        }
        visitor.visit(leaf.docBase + doc, m, a);
      }
    }
  }

  /** A live document with its write sequence number ({@code -1} if it has none). */
  @FunctionalInterface
  public interface LinkedVisitor {
    void visit(int globalDoc, long seq, TokenMatrix matrix, TokenAnnotations annotations)
        throws IOException;
  }

  /**
   * Visits, in doc-id order, the live documents whose sequence number ({@code -1} for none) {@code
   * wanted} accepts; only those are decoded.
   */
  public static void forEachLinked(
      DirectoryReader reader,
      int dimension,
      boolean needAnnotations,
      java.util.function.LongPredicate wanted,
      LinkedVisitor visitor)
      throws IOException {
    for (LeafReaderContext leaf : reader.leaves()) {
      var seqs = leaf.reader().getNumericDocValues(IndexLayout.SEQ);
      BinaryDocValues values = dev.latte.indexer.lists.DocumentTokens.of(leaf.reader());
      BinaryDocValues info = leaf.reader().getBinaryDocValues(IndexLayout.TOKEN_INFO);
      Bits live = leaf.reader().getLiveDocs();
      for (int doc = 0; doc < leaf.reader().maxDoc(); doc++) {
        if (live != null && !live.get(doc)) continue;
        if ((doc & 255) == 0) Cancellation.check();
        long seq = seqs != null && seqs.advanceExact(doc) ? seqs.longValue() : -1;
        if (!wanted.test(seq)) continue;
        visit(
            reader,
            values,
            info,
            doc,
            dimension,
            needAnnotations,
            leaf.docBase + doc,
            seq,
            visitor);
      }
    }
  }

  /**
   * Visits the documents {@code docs[0..n)} (global doc ids, ascending) with their sequence numbers
   * {@code seqs[i]}: random access to just those documents, for a sync that knows what it lacks.
   */
  public static void forDocs(
      DirectoryReader reader,
      int[] docs,
      long[] seqs,
      int n,
      int dimension,
      boolean needAnnotations,
      LinkedVisitor visitor)
      throws IOException {
    java.util.List<LeafReaderContext> leaves = reader.leaves();
    int i = 0;
    for (int l = 0; l < leaves.size() && i < n; l++) {
      LeafReaderContext leaf = leaves.get(l);
      int end = leaf.docBase + leaf.reader().maxDoc();
      if (docs[i] >= end) continue;
      BinaryDocValues values = dev.latte.indexer.lists.DocumentTokens.of(leaf.reader());
      BinaryDocValues info = leaf.reader().getBinaryDocValues(IndexLayout.TOKEN_INFO);
      for (; i < n && docs[i] < end; i++) {
        if ((i & 255) == 0) Cancellation.check();
        int doc = docs[i] - leaf.docBase;
        visit(reader, values, info, doc, dimension, needAnnotations, docs[i], seqs[i], visitor);
      }
    }
    if (i < n) throw new IllegalArgumentException("doc " + docs[i] + " is not in the reader");
  }

  /** Decodes document {@code doc} of a segment (its matrix and annotations) and visits it. */
  private static void visit(
      DirectoryReader reader,
      BinaryDocValues values,
      BinaryDocValues info,
      int doc,
      int dimension,
      boolean needAnnotations,
      int globalDoc,
      long seq,
      LinkedVisitor visitor)
      throws IOException {
    TokenMatrix m =
        values != null && values.advanceExact(doc)
            ? decode(reader, values.binaryValue(), dimension)
            : new TokenMatrix(new float[0], 0, dimension);
    TokenAnnotations a =
        info != null && info.advanceExact(doc) ? TokenAnnotations.decode(info.binaryValue()) : null;
    if (needAnnotations && a == null && m.rows() > 0) throw noAnnotations();
    visitor.visit(globalDoc, seq, m, a);
  }

  private static RuntimeException noAnnotations() {
    return new dev.latte.indexer.IndexMismatchException(
        "this first stage needs the token strings of every row, which the index does not"
            + " store (it is pooled, or was written by layout 1); build it on an unpooled"
            + " index written by this version");
  }

  /** Rows stored over the live documents, from the token-count doc values (no decoding). */
  public static long tokens(DirectoryReader reader) throws IOException {
    long total = 0;
    for (LeafReaderContext leaf : reader.leaves()) {
      var counts = leaf.reader().getNumericDocValues(IndexLayout.TOKEN_COUNT);
      if (counts == null) continue;
      Bits live = leaf.reader().getLiveDocs();
      for (int d = counts.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = counts.nextDoc())
        if (live == null || live.get(d)) total += counts.longValue();
    }
    return total;
  }

  /**
   * A sample of {@code n} rows of the live documents' token vectors, row-major; fewer when the
   * index holds fewer rows. Trains centroids and projections.
   *
   * <p>The sample depends on the rows' contents only, never on the order documents reached the
   * index (parallel encoding hands them to Lucene in a scheduling-dependent order): each row gets a
   * seeded 64-bit hash of its float bits ({@link #rowKey}), the {@code n} rows with the smallest
   * keys are kept (a bottom-n sample, uniform since the keys are), and they are returned in key
   * order. Two indexes of the same documents therefore train the same centroids, whatever their
   * doc-id order or segment layout. Identical rows get identical keys, which is harmless: which
   * copy is kept does not change the sample.
   */
  public static float[] sampleRows(
      DirectoryReader reader, int dimension, boolean needAnnotations, int n, long seed)
      throws IOException {
    int size = (int) Math.min(n, tokens(reader));
    float[] rows = new float[size * dimension];
    BottomKeys heap = new BottomKeys(size);
    forEach(
        reader,
        dimension,
        needAnnotations,
        (doc, m, a) -> {
          for (int row = 0; row < m.rows(); row++) {
            int slot = heap.offer(rowKey(m.data(), row * dimension, dimension, seed));
            if (slot >= 0)
              System.arraycopy(m.data(), row * dimension, rows, slot * dimension, dimension);
          }
        });
    int[] order = heap.slotsInKeyOrder();
    float[] sample = new float[order.length * dimension];
    for (int i = 0; i < order.length; i++)
      System.arraycopy(rows, order[i] * dimension, sample, i * dimension, dimension);
    return sample;
  }

  /** A seeded 64-bit hash of {@code dim} floats' bits (splitmix64 finalizer per step). */
  public static long rowKey(float[] data, int offset, int dim, long seed) {
    long h = seed * 0x9E3779B97F4A7C15L + dim;
    for (int d = 0; d < dim; d++) {
      h += Float.floatToIntBits(data[offset + d]) & 0xFFFFFFFFL;
      h = mix(h);
    }
    return h;
  }

  /** The splitmix64 finalizer: a bijection of 64-bit values that mixes every bit into every bit. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31) ^ 0x9E3779B97F4A7C15L;
  }

  /**
   * The {@code capacity} smallest keys offered so far (a max-heap of keys over slot numbers):
   * {@link #offer} says which slot a key takes (a free one, or the evicted largest key's), or -1
   * when it is not among the smallest.
   */
  static final class BottomKeys {
    private final long[] keys;
    private final int[] slots;
    private int size;

    BottomKeys(int capacity) {
      keys = new long[capacity];
      slots = new int[capacity];
    }

    int offer(long key) {
      if (size < keys.length) {
        int i = size++;
        keys[i] = key;
        slots[i] = i;
        siftUp(i);
        return i; // while filling, the i-th key offered takes slot i (the heap moves keys, not
        // rows)
      }
      if (size == 0 || key >= keys[0]) return -1;
      int slot = slots[0];
      keys[0] = key;
      siftDown(0);
      return slot;
    }

    /** The slots by ascending key (ends the heap's use). */
    int[] slotsInKeyOrder() {
      FirstStageIndex.sortPairs(keys, slots, size);
      return java.util.Arrays.copyOf(slots, size);
    }

    private void siftUp(int i) {
      while (i > 0) {
        int parent = (i - 1) >>> 1;
        if (keys[i] <= keys[parent]) return;
        swap(i, parent);
        i = parent;
      }
    }

    private void siftDown(int i) {
      while (true) {
        int l = 2 * i + 1;
        if (l >= size) return;
        int big = l + 1 < size && keys[l + 1] > keys[l] ? l + 1 : l;
        if (keys[big] <= keys[i]) return;
        swap(i, big);
        i = big;
      }
    }

    private void swap(int a, int b) {
      long k = keys[a];
      keys[a] = keys[b];
      keys[b] = k;
      int s = slots[a];
      slots[a] = slots[b];
      slots[b] = s;
    }
  }

  /**
   * A stored matrix as floats; residual values are decoded with the index's codebook ({@link
   * dev.latte.indexer.ResidualCodebookFile}, read once per index directory: it is frozen).
   */
  static TokenMatrix decode(DirectoryReader reader, BytesRef v, int dimension) throws IOException {
    StoredTokenMatrix.Header h = StoredTokenMatrix.header(v.bytes, v.offset, v.length, dimension);
    if (!h.codec().isResidual())
      return h.codec()
          .decodePayload(
              v.bytes, StoredTokenMatrix.Header.payloadOffset(v.offset), h.tokens(), dimension);
    return codebook(reader).decode(v.bytes, v.offset, v.length);
  }

  private static final java.util.Map<Object, dev.latte.core.codec.ResidualCodebook> CODEBOOKS =
      java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

  private static dev.latte.core.codec.ResidualCodebook codebook(DirectoryReader reader)
      throws IOException {
    var book = CODEBOOKS.get(reader.directory());
    if (book == null) {
      book = dev.latte.indexer.ResidualCodebookFile.read(reader.directory());
      CODEBOOKS.put(reader.directory(), book);
    }
    return book;
  }
}
