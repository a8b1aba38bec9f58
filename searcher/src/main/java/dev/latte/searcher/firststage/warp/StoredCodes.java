package dev.latte.searcher.firststage.warp;

import dev.latte.core.codec.ResidualCodebook;
import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.indexer.lists.DocumentTokens;
import java.io.IOException;
import java.util.List;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;

/**
 * The stored codes (centroid ids and residual codes) of a residual-coded main index, live documents
 * in doc-id order (the order a build derives them in), read one document at a time as the build
 * asks for them: the lists then hold each document's own codes byte for byte. Decoding and coding
 * again is not the same: a token whose decoded vector lies nearer another centroid, or a decoded
 * residual on a bucket cutoff, would get another code, and the main index could not drop its copy
 * ({@link dev.latte.indexer.lists.TokenCompaction} moves only identical codes).
 */
final class StoredCodes {
  private final List<LeafReaderContext> leaves;
  private final int dim;
  private final ResidualCodebook book;
  private int leaf = -1;
  private BinaryDocValues values;
  private Bits live;

  private StoredCodes(DirectoryReader main, ResidualCodebook book) {
    this.leaves = main.leaves();
    this.dim = book.dim();
    this.book = book;
  }

  /** Null unless {@code main} is coded with {@code book}. */
  static StoredCodes of(DirectoryReader main, ResidualCodebook book) throws IOException {
    var own = dev.latte.indexer.ResidualCodebookFile.readIfPresent(main.directory());
    if (own == null || !own.fingerprint().equals(book.fingerprint())) return null;
    return new StoredCodes(main, book);
  }

  /**
   * The next live document's {@code n} centroid ids into {@code ids} and its codes (row-major,
   * {@code n} x the codebook's code stride) into {@code codes}.
   */
  void next(int n, int[] ids, byte[] codes) throws IOException {
    BytesRef v = nextValue();
    StoredTokenMatrix.Header h = StoredTokenMatrix.header(v.bytes, v.offset, v.length, dim);
    if (h.codec() != book.codec())
      throw new IllegalStateException(
          "a document of the residual index is stored as " + h.codec().cliName());
    book.checkScaled(h);
    if (h.tokens() != n)
      throw new IllegalStateException(
          "the WARP build derived documents in another order than the index stores them");
    int payload = StoredTokenMatrix.Header.payloadOffset(v.offset);
    for (int t = 0; t < n; t++)
      ids[t] = (v.bytes[payload + 2 * t] & 0xFF) | (v.bytes[payload + 2 * t + 1] & 0xFF) << 8;
    System.arraycopy(v.bytes, payload + 2 * n, codes, 0, n * book.codeStride());
  }

  private BytesRef nextValue() throws IOException {
    while (true) {
      if (values != null) {
        for (int d = values.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = values.nextDoc())
          if (live == null || live.get(d)) return values.binaryValue();
      }
      if (++leaf >= leaves.size())
        throw new IllegalStateException(
            "the WARP build derived more documents than the index stores");
      values = DocumentTokens.of(leaves.get(leaf).reader());
      live = leaves.get(leaf).reader().getLiveDocs();
    }
  }
}
