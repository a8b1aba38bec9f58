package dev.latte.indexer.lists;

import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.indexer.IndexLayout;
import dev.latte.indexer.IndexMismatchException;
import java.io.IOException;
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

    Resolving(BinaryDocValues raw, LeafReader leaf) {
      this.raw = raw;
      this.leaf = leaf;
    }

    @Override
    public BytesRef binaryValue() throws IOException {
      BytesRef v = raw.binaryValue();
      if (!StoredTokenMatrix.isListed(v.bytes, v.offset, v.length)) return v;
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
      if (block == null) block = new byte[codes.blockBytes()];
      codes.resolve(seqs.longValue(), v, resolved, block);
      return resolved;
    }

    @Override
    public boolean advanceExact(int target) throws IOException {
      return raw.advanceExact(target);
    }

    @Override
    public int docID() {
      return raw.docID();
    }

    @Override
    public int nextDoc() throws IOException {
      return raw.nextDoc();
    }

    @Override
    public int advance(int target) throws IOException {
      return raw.advance(target);
    }

    @Override
    public long cost() {
      return raw.cost();
    }
  }
}
