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
   * A uniform sample (reservoir, seeded) of {@code n} rows of the live documents' token vectors,
   * row-major; fewer when the index holds fewer rows. Trains centroids and projections.
   */
  public static float[] sampleRows(
      DirectoryReader reader, int dimension, boolean needAnnotations, int n, long seed)
      throws IOException {
    int size = (int) Math.min(n, tokens(reader));
    float[] sample = new float[size * dimension];
    java.util.Random r = new java.util.Random(seed);
    long[] seen = {0};
    forEach(
        reader,
        dimension,
        needAnnotations,
        (doc, m, a) -> {
          for (int row = 0; row < m.rows(); row++, seen[0]++) {
            long slot = seen[0] < size ? seen[0] : (long) (r.nextDouble() * (seen[0] + 1));
            if (slot < size)
              System.arraycopy(
                  m.data(), row * dimension, sample, (int) slot * dimension, dimension);
          }
        });
    return sample;
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
