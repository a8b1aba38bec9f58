package dev.latte.searcher.firststage.warp;

import dev.latte.core.codec.ResidualCodebook;
import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.core.codec.TokenCodec;
import dev.latte.indexer.IndexLayout;
import java.io.IOException;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;

/**
 * The centroid id of every stored token of a residual-coded main index, live documents in doc-id
 * order (the order a build derives them in), so that the lists hold each token under the centroid
 * it was coded with: decoding then re-assigning could move a token whose decoded vector lies nearer
 * another centroid. Two bytes per token while a build runs.
 */
final class StoredCentroids {
  private final short[] ids;
  private final int[] counts;
  private int at;
  private int doc;

  private StoredCentroids(short[] ids, int[] counts) {
    this.ids = ids;
    this.counts = counts;
  }

  /** Null unless {@code main} is coded with {@code book}. */
  static StoredCentroids of(DirectoryReader main, ResidualCodebook book) throws IOException {
    var own = dev.latte.indexer.ResidualCodebookFile.readIfPresent(main.directory());
    if (own == null || !own.fingerprint().equals(book.fingerprint())) return null;
    int dim = book.dim();
    short[] ids = new short[1024];
    int[] counts = new int[main.numDocs()];
    int n = 0, docs = 0;
    for (LeafReaderContext leaf : main.leaves()) {
      BinaryDocValues values = leaf.reader().getBinaryDocValues(IndexLayout.TOKENS);
      if (values == null) continue;
      Bits live = leaf.reader().getLiveDocs();
      for (int d = values.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = values.nextDoc()) {
        if (live != null && !live.get(d)) continue;
        BytesRef v = values.binaryValue();
        StoredTokenMatrix.Header h = StoredTokenMatrix.header(v.bytes, v.offset, v.length, dim);
        if (h.codec() != book.codec())
          throw new IllegalStateException(
              "a document of the residual index is stored as " + h.codec().cliName());
        int payload = StoredTokenMatrix.Header.payloadOffset(v.offset);
        counts[docs++] = h.tokens();
        if (n + h.tokens() > ids.length)
          ids = java.util.Arrays.copyOf(ids, Math.max(ids.length * 2, n + h.tokens()));
        for (int t = 0; t < h.tokens(); t++)
          ids[n++] = (short) TokenCodec.residualCentroid(v.bytes, payload, t);
      }
    }
    return new StoredCentroids(
        java.util.Arrays.copyOf(ids, n), java.util.Arrays.copyOf(counts, docs));
  }

  /** The centroids of the next document's {@code n} tokens. */
  int[] next(int n) {
    if (doc >= counts.length || counts[doc++] != n)
      throw new IllegalStateException(
          "the WARP build derived documents in another order than the index stores them");
    int[] out = new int[n];
    for (int i = 0; i < n; i++) out[i] = Short.toUnsignedInt(ids[at++]);
    return out;
  }
}
