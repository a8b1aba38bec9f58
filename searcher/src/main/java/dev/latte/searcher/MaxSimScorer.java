package dev.latte.searcher;

import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.core.kernel.MaxSimKernel;
import dev.latte.core.kernel.PreparedQuery;
import dev.latte.indexer.IndexLayout;
import java.io.IOException;
import java.util.List;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;

/**
 * Late-interaction scoring over the stored token matrices: reads each document's value from doc
 * values, decodes it into one scratch buffer (no allocation per document) and calls the kernel.
 * Exact search scores every live document; a rescorer scores the candidates a first stage found.
 * Not thread-safe (one scratch buffer): one instance per searching thread.
 */
public final class MaxSimScorer {
  private final MaxSimKernel kernel;
  private final int dimension;
  private float[] scratch = new float[0];
  private long documentsScored;

  public MaxSimScorer(MaxSimKernel kernel, int dimension) {
    this.kernel = kernel;
    this.dimension = dimension;
  }

  /** Scores every live document of the index and returns the top k, best first. */
  public List<ScoredDoc> scoreAll(LatteIndex index, PreparedQuery query, int k) throws IOException {
    TopK top = new TopK(k);
    for (LeafReaderContext leaf : index.reader().leaves()) {
      BinaryDocValues values = leaf.reader().getBinaryDocValues(IndexLayout.TOKENS);
      if (values == null) continue;
      Bits live = leaf.reader().getLiveDocs();
      for (int doc = values.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = values.nextDoc()) {
        if (live != null && !live.get(doc)) continue;
        top.offer(leaf.docBase + doc, score(query, values.binaryValue()));
      }
    }
    return top.results();
  }

  /**
   * Scores the given index-wide doc ids (any order) and returns them best first; documents without a
   * token matrix score 0.
   */
  public List<ScoredDoc> rescore(LatteIndex index, PreparedQuery query, int[] docs, int k) throws IOException {
    int[] sorted = docs.clone();
    java.util.Arrays.sort(sorted);
    TopK top = new TopK(Math.max(1, Math.min(k, sorted.length)));
    List<LeafReaderContext> leaves = index.reader().leaves();
    int leafIndex = -1;
    BinaryDocValues values = null;
    LeafReaderContext leaf = null;
    for (int global : sorted) {
      while (leaf == null || global >= leaf.docBase + leaf.reader().maxDoc()) {
        leaf = leaves.get(++leafIndex);
        values = leaf.reader().getBinaryDocValues(IndexLayout.TOKENS);
      }
      int doc = global - leaf.docBase;
      float s = values != null && values.advanceExact(doc) ? score(query, values.binaryValue()) : 0f;
      top.offer(global, s);
    }
    return sorted.length == 0 ? List.of() : top.results();
  }

  private float score(PreparedQuery query, BytesRef value) {
    int tokens = StoredTokenMatrix.tokens(value.bytes, value.offset, value.length, dimension);
    scratch = StoredTokenMatrix.decodeFloat32(value.bytes, value.offset, tokens, dimension, scratch);
    documentsScored++;
    return kernel.maxSim(query, scratch, 0, tokens);
  }

  public long documentsScored() {
    return documentsScored;
  }
}
