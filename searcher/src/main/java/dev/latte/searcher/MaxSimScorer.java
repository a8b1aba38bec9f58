package dev.latte.searcher;

import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.core.kernel.PreparedBitQuery;
import dev.latte.core.kernel.PreparedQuery;
import dev.latte.core.kernel.ResidualQuery;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.indexer.IndexLayout;
import java.io.IOException;
import java.util.List;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.FixedBitSet;

/**
 * Late-interaction scoring over the stored token matrices: reads each document's value from doc
 * values and scores it with the kernel for its codec, in place on the stored bytes (no per-document
 * allocation). Exact search scores every live document; a rescorer scores the candidates a first
 * stage found. Cheap to create; one instance per searching thread (it counts what it scored).
 */
public final class MaxSimScorer {
  /** How a query meets binary documents: float query × sign bits, or sign bits × sign bits. */
  public enum BitScoring {
    ASYMMETRIC,
    HAMMING
  }

  private final VectorKernel kernel;
  private final int dimension;
  private final BitScoring bitScoring;
  private long documentsScored;

  public MaxSimScorer(VectorKernel kernel, int dimension) {
    this(kernel, dimension, BitScoring.ASYMMETRIC);
  }

  public MaxSimScorer(VectorKernel kernel, int dimension, BitScoring bitScoring) {
    this.kernel = kernel;
    this.dimension = dimension;
    this.bitScoring = bitScoring;
  }

  /**
   * A query prepared for this scorer: the float layout, for hamming the sign bits, and the query
   * itself, whose residual tables are made on first use against a residual index.
   */
  public record Prepared(PreparedQuery floats, PreparedBitQuery bits, QueryContext context) {
    public Prepared(PreparedQuery floats, PreparedBitQuery bits) {
      this(floats, bits, null);
    }

    /** The residual tables for {@code index}'s codebook; null when it is not a residual index. */
    ResidualQuery residual(LatteIndex index) throws IOException {
      var book = index.residualCodebook();
      if (book == null) return null;
      if (context == null)
        throw new IllegalStateException(
            "a residual index needs the query prepared from its context");
      return context.preparedResidual(book);
    }
  }

  public Prepared prepare(QueryContext query) {
    return new Prepared(
        query.prepared(), bitScoring == BitScoring.HAMMING ? query.preparedBits() : null, query);
  }

  /** Scores every live document of the index and returns the top k, best first. */
  public List<ScoredDoc> scoreAll(LatteIndex index, Prepared query, int k) throws IOException {
    TopK top = new TopK(k);
    ResidualQuery residual = query.residual(index);
    for (LeafReaderContext leaf : index.reader().leaves()) {
      BinaryDocValues values = leaf.reader().getBinaryDocValues(IndexLayout.TOKENS);
      if (values == null) continue;
      Bits live = leaf.reader().getLiveDocs();
      for (int doc = values.nextDoc();
          doc != DocIdSetIterator.NO_MORE_DOCS;
          doc = values.nextDoc()) {
        if (live != null && !live.get(doc)) continue;
        top.offer(leaf.docBase + doc, score(query, residual, values.binaryValue()));
      }
    }
    return top.results();
  }

  /**
   * Scores the live documents in {@code filter} (index-wide doc ids; null means every live
   * document) and returns the top k of them, best first: only matching documents are read.
   */
  public List<ScoredDoc> scoreAll(LatteIndex index, Prepared query, int k, FixedBitSet filter)
      throws IOException {
    if (filter == null) return scoreAll(index, query, k);
    TopK top = new TopK(k);
    ResidualQuery residual = query.residual(index);
    for (LeafReaderContext leaf : index.reader().leaves()) {
      int base = leaf.docBase, end = Math.min(base + leaf.reader().maxDoc(), filter.length());
      if (base >= end) continue;
      int first = filter.nextSetBit(base);
      if (first >= end) continue;
      BinaryDocValues values = leaf.reader().getBinaryDocValues(IndexLayout.TOKENS);
      if (values == null) continue;
      Bits live = leaf.reader().getLiveDocs();
      for (int g = first;
          g < end;
          g = g + 1 < end ? filter.nextSetBit(g + 1) : DocIdSetIterator.NO_MORE_DOCS) {
        int doc = g - base;
        if (live != null && !live.get(doc)) continue;
        if (values.advanceExact(doc)) top.offer(g, score(query, residual, values.binaryValue()));
      }
    }
    return top.results();
  }

  /**
   * Scores the given index-wide doc ids (any order) and returns the best k of them, best first;
   * documents without a token matrix score 0.
   */
  public List<ScoredDoc> rescore(LatteIndex index, Prepared query, int[] docs, int k)
      throws IOException {
    if (docs.length == 0) return List.of();
    int[] sorted = docs.clone();
    java.util.Arrays.sort(sorted);
    TopK top = new TopK(Math.max(1, Math.min(k, sorted.length)));
    ResidualQuery residual = query.residual(index);
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
      float s =
          values != null && values.advanceExact(doc)
              ? score(query, residual, values.binaryValue())
              : 0f;
      top.offer(global, s);
    }
    return top.results();
  }

  private float score(Prepared query, ResidualQuery residual, BytesRef value) {
    StoredTokenMatrix.Header h =
        StoredTokenMatrix.header(value.bytes, value.offset, value.length, dimension);
    int payload = StoredTokenMatrix.Header.payloadOffset(value.offset);
    documentsScored++;
    return switch (h.codec()) {
      case FLOAT32 -> kernel.maxSimFloat32(query.floats(), value.bytes, payload, h.tokens());
      case FLOAT16 -> kernel.maxSimFloat16(query.floats(), value.bytes, payload, h.tokens());
      case INT8 -> kernel.maxSimInt8(query.floats(), value.bytes, payload, h.tokens());
      case BIT ->
          bitScoring == BitScoring.HAMMING
              ? kernel.maxSimHamming(query.bits(), value.bytes, payload, h.tokens())
              : kernel.maxSimBit(query.floats(), value.bytes, payload, h.tokens());
      case RESIDUAL_1, RESIDUAL_2, RESIDUAL_4 -> {
        if (residual == null)
          throw new dev.latte.indexer.IndexMismatchException(
              "a residual token matrix in an index without its codebook ("
                  + dev.latte.indexer.ResidualCodebookFile.FILE
                  + "); the folder is incomplete: index again");
        yield kernel.maxSimResidual(residual, value.bytes, payload, h.tokens());
      }
    };
  }

  public long documentsScored() {
    return documentsScored;
  }
}
