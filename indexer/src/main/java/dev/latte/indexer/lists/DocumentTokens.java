package dev.latte.indexer.lists;

import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.indexer.IndexLayout;
import dev.latte.indexer.IndexMismatchException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.FilterLeafReader;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.SegmentReader;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.FilterDirectory;
import org.apache.lucene.util.BytesRef;

/**
 * The one way to read documents' stored token matrices ({@link IndexLayout#TOKENS}): every value
 * comes out in {@link StoredTokenMatrix} version 1 (header, payload), wherever its codes live.
 * Documents written since the last WARP build keep their codes in the main index (the staging
 * area); documents the build moved keep only their header and centroid ids there ({@link
 * StoredTokenMatrix#LISTED_VERSION}) and their codes once, in the WARP lists beside the index,
 * found through the lists' refs by the document's write sequence number ({@link ListedCodes}).
 * Resolved values are gathered into a buffer reused from document to document (valid until the next
 * call, like any doc values).
 */
public final class DocumentTokens {
  private DocumentTokens() {}

  /** The leaf's token matrices (null when it has none), listed documents resolved. */
  public static BinaryDocValues of(LeafReader leaf) throws IOException {
    BinaryDocValues raw = leaf.getBinaryDocValues(IndexLayout.TOKENS);
    return raw == null ? null : new Resolving(raw, leaf);
  }

  /**
   * The current document's codes where the WARP lists keep them, for a scorer that reads them in
   * place ({@code VectorKernel.maxSimResidualListed}): null when its value holds its codes (read
   * {@link BinaryDocValues#binaryValue} then) or {@code values} is not from {@link #of}. Valid
   * until the next call on {@code values}; nothing is copied.
   */
  public static Listed listed(BinaryDocValues values) throws IOException {
    return values instanceof Resolving r ? r.listed() : null;
  }

  /**
   * A listed document's codes in place: its header, its stored value (header and centroid ids: the
   * payload's ids from {@link StoredTokenMatrix.Header#payloadOffset}{@code (value.offset)}), and
   * where byte x of token t lies in {@link #codes}: {@code at[t] + x * step[t]} (the arrays are
   * reused, longer than the tokens).
   */
  public static final class Listed {
    private StoredTokenMatrix.Header header;
    private BytesRef value;
    private MemorySegment codes;
    private long[] at = new long[256];
    private int[] step = new int[256];

    public StoredTokenMatrix.Header header() {
      return header;
    }

    public BytesRef value() {
      return value;
    }

    public MemorySegment codes() {
      return codes;
    }

    public long[] at() {
      return at;
    }

    public int[] step() {
      return step;
    }
  }

  /** The main index folder a segment of {@code leaf} lives in (null if not a file system one). */
  static Path folderOf(LeafReader leaf) {
    LeafReader r = FilterLeafReader.unwrap(leaf);
    if (!(r instanceof SegmentReader s)) return null;
    return FilterDirectory.unwrap(s.directory()) instanceof FSDirectory fs
        ? fs.getDirectory()
        : null;
  }

  private static final class Resolving extends BinaryDocValues {
    private final BinaryDocValues raw;
    private final LeafReader leaf;
    private NumericDocValues seqs;
    private ListedCodes codes;
    private final BytesRef resolved = new BytesRef(new byte[1024]);
    private byte[] block;
    private Listed listed;
    private int rawDoc = -1; // the document whose raw value is rawValue (read once per document)
    private BytesRef rawValue;

    Resolving(BinaryDocValues raw, LeafReader leaf) {
      this.raw = raw;
      this.leaf = leaf;
    }

    private BytesRef raw() throws IOException {
      if (rawDoc != raw.docID()) {
        rawValue = raw.binaryValue();
        rawDoc = raw.docID();
      }
      return rawValue;
    }

    Listed listed() throws IOException {
      BytesRef v = raw();
      if (!StoredTokenMatrix.isListed(v.bytes, v.offset, v.length)) return null;
      long seq = seq();
      if (listed == null) listed = new Listed();
      Listed l = listed;
      StoredTokenMatrix.Header h = codes.header(v);
      if (l.at.length < h.tokens()) {
        l.at = new long[Math.max(h.tokens(), 2 * l.at.length)];
        l.step = new int[l.at.length];
      }
      codes.locate(seq, v, h, l.at, l.step);
      l.header = h;
      l.value = v;
      l.codes = codes.segment();
      return l;
    }

    @Override
    public BytesRef binaryValue() throws IOException {
      BytesRef v = raw();
      if (!StoredTokenMatrix.isListed(v.bytes, v.offset, v.length)) return v;
      long seq = seq();
      if (block == null) block = new byte[codes.blockBytes()];
      codes.resolve(seq, v, resolved, block);
      return resolved;
    }

    /** The current (listed) document's write sequence number, the lists opened on first use. */
    private long seq() throws IOException {
      if (codes == null) {
        Path folder = folderOf(leaf);
        if (folder == null)
          throw new IndexMismatchException(
              "a document's codes are in WARP lists but its segment is not in a folder");
        codes = ListedCodes.of(folder);
        seqs = leaf.getNumericDocValues(IndexLayout.SEQ);
      }
      int doc = docID();
      if (seqs != null && seqs.docID() > doc) seqs = leaf.getNumericDocValues(IndexLayout.SEQ);
      if (seqs == null || !seqs.advanceExact(doc))
        throw new IndexMismatchException(
            "document " + doc + " keeps its codes in WARP lists but has no write sequence number");
      return seqs.longValue();
    }

    @Override
    public boolean advanceExact(int target) throws IOException {
      rawDoc = -1;
      return raw.advanceExact(target);
    }

    @Override
    public int docID() {
      return raw.docID();
    }

    @Override
    public int nextDoc() throws IOException {
      rawDoc = -1;
      return raw.nextDoc();
    }

    @Override
    public int advance(int target) throws IOException {
      rawDoc = -1;
      return raw.advance(target);
    }

    @Override
    public long cost() {
      return raw.cost();
    }
  }
}
