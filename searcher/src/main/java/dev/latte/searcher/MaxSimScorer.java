package dev.latte.searcher;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.core.codec.TokenCodec;
import dev.latte.core.kernel.PreparedBitQuery;
import dev.latte.core.kernel.PreparedQuery;
import dev.latte.core.kernel.ResidualQuery;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.indexer.IndexLayout;
import dev.latte.indexer.Passages;
import dev.latte.indexer.lists.DocumentTokens;
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
   * itself (its passage scoring, and), whose residual tables are made on first use against a
   * residual index.
   */
  public record Prepared(PreparedQuery floats, PreparedBitQuery bits, QueryContext context) {
    /** Documents of several passages score by their best passage ({@link PassageScoring#MAXP}). */
    boolean maxP() {
      return context != null && context.passageScoring() == PassageScoring.MAXP;
    }

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

  /** The passages of the leaf's documents when MaxP needs them, else null. */
  private static BinaryDocValues passages(Prepared query, LeafReaderContext leaf)
      throws IOException {
    return query.maxP() ? leaf.reader().getBinaryDocValues(IndexLayout.PASSAGES) : null;
  }

  private static BytesRef passagesOf(BinaryDocValues passages, int doc) throws IOException {
    return passages != null && passages.advanceExact(doc) ? passages.binaryValue() : null;
  }

  /** Scores every live document of the index and returns the top k, best first. */
  public List<ScoredDoc> scoreAll(LatteIndex index, Prepared query, int k) throws IOException {
    return scoreAll(index, query, k, null);
  }

  /**
   * Scores the live documents in {@code filter} (index-wide doc ids; null means every live
   * document) and returns the top k of them, best first: only matching documents are read. A
   * sharded index scores its shards in parallel ({@link LatteIndex#fanOut()}) and merges their top
   * k, which is the top k of one walk over all of them (ties go to the smaller doc id either way).
   */
  public List<ScoredDoc> scoreAll(LatteIndex index, Prepared query, int k, FixedBitSet filter)
      throws IOException {
    ResidualQuery residual = query.residual(index); // made once, before the shards share it
    int[] shards = dev.latte.searcher.sharded.ShardFanOut.shardLeaves(index.reader());
    var fan = index.fanOut();
    if (fan == null || shards.length <= 2) {
      TopK top = new TopK(k);
      scoreLeaves(index, query, residual, filter, 0, shards[shards.length - 1], top);
      return top.results();
    }
    List<Shard> parts =
        fan.map(
            shards.length - 1,
            s -> {
              MaxSimScorer own = new MaxSimScorer(kernel, dimension, bitScoring);
              TopK top = new TopK(k);
              own.scoreLeaves(index, query, residual, filter, shards[s], shards[s + 1], top);
              return new Shard(top.results(), own.documentsScored);
            });
    return merge(parts, k);
  }

  /** One shard's top documents and how many it scored. */
  private record Shard(List<ScoredDoc> top, long scored) {}

  private List<ScoredDoc> merge(List<Shard> parts, int k) {
    TopK top = new TopK(k);
    for (Shard p : parts) {
      documentsScored += p.scored();
      for (ScoredDoc d : p.top()) top.offer(d.doc(), d.score());
    }
    return top.results();
  }

  /** Offers every live document of leaves {@code [from, to)} in {@code filter} (null: all). */
  private void scoreLeaves(
      LatteIndex index,
      Prepared query,
      ResidualQuery residual,
      FixedBitSet filter,
      int from,
      int to,
      TopK top)
      throws IOException {
    List<LeafReaderContext> leaves = index.reader().leaves();
    for (LeafReaderContext leaf : leaves.subList(from, to)) {
      BinaryDocValues values = dev.latte.indexer.lists.DocumentTokens.of(leaf.reader());
      if (values == null) continue;
      Bits live = leaf.reader().getLiveDocs();
      if (filter == null) {
        BinaryDocValues parts = passages(query, leaf);
        for (int doc = values.nextDoc();
            doc != DocIdSetIterator.NO_MORE_DOCS;
            doc = values.nextDoc()) {
          if (live != null && !live.get(doc)) continue;
          top.offer(leaf.docBase + doc, score(query, residual, values, passagesOf(parts, doc)));
        }
        continue;
      }
      int base = leaf.docBase, end = Math.min(base + leaf.reader().maxDoc(), filter.length());
      if (base >= end) continue;
      int first = filter.nextSetBit(base);
      if (first >= end) continue;
      BinaryDocValues parts = passages(query, leaf);
      for (int g = first;
          g < end;
          g = g + 1 < end ? filter.nextSetBit(g + 1) : DocIdSetIterator.NO_MORE_DOCS) {
        int doc = g - base;
        if (live != null && !live.get(doc)) continue;
        if (values.advanceExact(doc))
          top.offer(g, score(query, residual, values, passagesOf(parts, doc)));
      }
    }
  }

  /**
   * Scores the given index-wide doc ids (any order) and returns the best k of them, best first;
   * documents without a token matrix score 0. A sharded index scores each shard's candidates in
   * parallel and merges.
   */
  public List<ScoredDoc> rescore(LatteIndex index, Prepared query, int[] docs, int k)
      throws IOException {
    if (docs.length == 0) return List.of();
    int[] sorted = docs.clone();
    java.util.Arrays.sort(sorted);
    int size = Math.max(1, Math.min(k, sorted.length));
    ResidualQuery residual = query.residual(index);
    int[] shards = dev.latte.searcher.sharded.ShardFanOut.shardLeaves(index.reader());
    var fan = index.fanOut();
    if (fan == null || shards.length <= 2) {
      TopK top = new TopK(size);
      rescoreSorted(index, query, residual, sorted, 0, sorted.length, top);
      return top.results();
    }
    // Shard s holds the doc ids from the doc base of its first leaf on.
    List<LeafReaderContext> leaves = index.reader().leaves();
    int[] cut = new int[shards.length];
    for (int s = 1; s < shards.length - 1; s++) {
      int base = shards[s] < leaves.size() ? leaves.get(shards[s]).docBase : Integer.MAX_VALUE;
      cut[s] = firstAtLeast(sorted, base);
    }
    cut[shards.length - 1] = sorted.length;
    List<Shard> parts =
        fan.map(
            shards.length - 1,
            s -> {
              if (cut[s] == cut[s + 1]) return new Shard(List.of(), 0);
              MaxSimScorer own = new MaxSimScorer(kernel, dimension, bitScoring);
              TopK top = new TopK(size);
              own.rescoreSorted(index, query, residual, sorted, cut[s], cut[s + 1], top);
              return new Shard(top.results(), own.documentsScored);
            });
    return merge(parts, size);
  }

  /** The first index of {@code sorted} whose value is at least {@code v} (its length if none). */
  private static int firstAtLeast(int[] sorted, int v) {
    int lo = 0, hi = sorted.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (sorted[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Offers the sorted doc ids {@code sorted[from, to)} with their scores. */
  private void rescoreSorted(
      LatteIndex index,
      Prepared query,
      ResidualQuery residual,
      int[] sorted,
      int from,
      int to,
      TopK top)
      throws IOException {
    List<LeafReaderContext> leaves = index.reader().leaves();
    int leafIndex = org.apache.lucene.index.ReaderUtil.subIndex(sorted[from], leaves) - 1;
    BinaryDocValues values = null;
    BinaryDocValues parts = null;
    LeafReaderContext leaf = null;
    for (int i = from; i < to; i++) {
      int global = sorted[i];
      while (leaf == null || global >= leaf.docBase + leaf.reader().maxDoc()) {
        leaf = leaves.get(++leafIndex);
        values = dev.latte.indexer.lists.DocumentTokens.of(leaf.reader());
        parts = passages(query, leaf);
      }
      int doc = global - leaf.docBase;
      float s =
          values != null && values.advanceExact(doc)
              ? score(query, residual, values, passagesOf(parts, doc))
              : 0f;
      top.offer(global, s);
    }
  }

  /**
   * The score of the current document of {@code values}; a document whose codes the WARP lists keep
   * (one copy of the tokens) is scored where they lie, without gathering them ({@link
   * VectorKernel#maxSimResidualListed}, equal bit for bit), unless MaxP needs its passages' rows.
   */
  private float score(
      Prepared query, ResidualQuery residual, BinaryDocValues values, BytesRef passages)
      throws IOException {
    if (residual != null && passages == null) {
      DocumentTokens.Listed listed = DocumentTokens.listed(values);
      if (listed != null) {
        StoredTokenMatrix.Header h = listed.header();
        if (h.dim() != dimension || h.codec() != residual.codebook().codec())
          throw new dev.latte.indexer.IndexMismatchException(
              "a listed document is "
                  + h.codec().cliName()
                  + " "
                  + h.dim()
                  + "-d, the index's codebook "
                  + residual.codebook().codec().cliName()
                  + " "
                  + dimension
                  + "-d; the index folder is inconsistent");
        checkCodebook(residual, h);
        documentsScored++;
        BytesRef v = listed.value();
        return kernel.maxSimResidualListed(
            residual,
            v.bytes,
            StoredTokenMatrix.Header.payloadOffset(v.offset),
            h.tokens(),
            listed.codes(),
            listed.at(),
            listed.step());
      }
    }
    return score(query, residual, values.binaryValue(), passages);
  }

  /**
   * The document's score: union-MaxSim over all its rows, or with {@code passages} (MaxP) the best
   * passage's MaxSim over its own rows.
   */
  private float score(Prepared query, ResidualQuery residual, BytesRef value, BytesRef passages) {
    StoredTokenMatrix.Header h =
        StoredTokenMatrix.header(value.bytes, value.offset, value.length, dimension);
    int payload = StoredTokenMatrix.Header.payloadOffset(value.offset);
    documentsScored++;
    if (h.codec().isResidual()) {
      checkCodebook(residual, h);
      if (passages == null)
        return kernel.maxSimResidual(residual, value.bytes, payload, h.tokens());
    }
    if (passages == null)
      return rows(query, h.codec(), value.bytes, payload, h.tokens(), 0, h.tokens());
    float[] scores =
        passageScores(query, residual, h, value.bytes, payload, Passages.decode(passages));
    float best = Float.NEGATIVE_INFINITY;
    for (float s : scores) best = Math.max(best, s);
    return best == Float.NEGATIVE_INFINITY ? 0f : best;
  }

  /**
   * MaxSim of the query against rows {@code [from, from + count)} of a payload of {@code tokens}
   * rows. Float32, float16 and bit rows lie one after another, so a range is scored in place; int8
   * keeps all scales before all codes, so a range of it is decoded first.
   */
  private float rows(
      Prepared query,
      TokenCodec codec,
      byte[] bytes,
      int payload,
      int tokens,
      int from,
      int count) {
    if (codec == TokenCodec.INT8 && (from != 0 || count != tokens)) {
      TokenMatrix m = codec.decodePayload(bytes, payload, tokens, dimension);
      return kernel.maxSim(query.floats(), m.data(), from * dimension, count);
    }
    int at = payload + from * codec.bytesPerToken(dimension);
    return switch (codec) {
      case FLOAT32 -> kernel.maxSimFloat32(query.floats(), bytes, at, count);
      case FLOAT16 -> kernel.maxSimFloat16(query.floats(), bytes, at, count);
      case INT8 -> kernel.maxSimInt8(query.floats(), bytes, at, count);
      case BIT ->
          bitScoring == BitScoring.HAMMING
              ? kernel.maxSimHamming(query.bits(), bytes, at, count)
              : kernel.maxSimBit(query.floats(), bytes, at, count);
      case RESIDUAL_1, RESIDUAL_2, RESIDUAL_4 ->
          throw new IllegalStateException("residual matrices are scored whole, in score()");
    };
  }

  private static void checkCodebook(ResidualQuery residual, StoredTokenMatrix.Header h) {
    if (residual == null)
      throw new dev.latte.indexer.IndexMismatchException(
          "a residual token matrix in an index without its codebook ("
              + dev.latte.indexer.ResidualCodebookFile.FILE
              + "); the folder is incomplete: index again");
    residual.codebook().checkScaled(h);
  }

  /**
   * Each passage's MaxSim over its rows; an empty passage scores negative infinity. Int8 keeps all
   * scales before all codes and residual payloads all centroid ids before all codes, so a passage's
   * rows are not contiguous there: the payload is decoded once (residual: {@code s (c[id] + r)}
   * with the index's codebook, the vectors the residual kernel scores) and each passage scored on
   * floats.
   */
  private float[] passageScores(
      Prepared query,
      ResidualQuery residual,
      StoredTokenMatrix.Header h,
      byte[] bytes,
      int payload,
      Passages p) {
    if (p.totalRows() != h.tokens())
      throw new IllegalStateException(
          "passages of " + p.totalRows() + " rows for a matrix of " + h.tokens());
    float[] out = new float[p.count()];
    TokenMatrix decoded = null;
    if (h.codec() == TokenCodec.INT8) {
      decoded = h.codec().decodePayload(bytes, payload, h.tokens(), dimension);
    } else if (h.codec().isResidual()) {
      checkCodebook(residual, h);
      decoded = residual.codebook().decodePayload(bytes, payload, h.tokens());
    }
    for (int i = 0; i < p.count(); i++) {
      if (p.rows(i) == 0) {
        out[i] = Float.NEGATIVE_INFINITY;
      } else if (decoded != null) {
        out[i] =
            kernel.maxSim(query.floats(), decoded.data(), p.rowStart(i) * dimension, p.rows(i));
      } else {
        out[i] = rows(query, h.codec(), bytes, payload, h.tokens(), p.rowStart(i), p.rows(i));
      }
    }
    return out;
  }

  /**
   * Each passage's score for document {@code doc} (index-wide id), in passage order; null when the
   * document is one passage (it has no {@link IndexLayout#PASSAGES}) or no token matrix.
   */
  public PassageScores passageScores(LatteIndex index, Prepared query, int doc) throws IOException {
    List<LeafReaderContext> leaves = index.reader().leaves();
    LeafReaderContext leaf = leaves.get(org.apache.lucene.index.ReaderUtil.subIndex(doc, leaves));
    int local = doc - leaf.docBase;
    BinaryDocValues parts = leaf.reader().getBinaryDocValues(IndexLayout.PASSAGES);
    BinaryDocValues values = dev.latte.indexer.lists.DocumentTokens.of(leaf.reader());
    if (parts == null
        || values == null
        || !parts.advanceExact(local)
        || !values.advanceExact(local)) return null;
    Passages p = Passages.decode(parts.binaryValue());
    BytesRef value = values.binaryValue();
    StoredTokenMatrix.Header h =
        StoredTokenMatrix.header(value.bytes, value.offset, value.length, dimension);
    int payload = StoredTokenMatrix.Header.payloadOffset(value.offset);
    ResidualQuery residual = h.codec().isResidual() ? query.residual(index) : null;
    return new PassageScores(p, passageScores(query, residual, h, value.bytes, payload, p));
  }

  /** A document's passages with each one's score. */
  public record PassageScores(Passages passages, float[] scores) {
    /** The best passage (the first of equals); -1 when every passage is empty. */
    public int best() {
      int best = -1;
      for (int i = 0; i < scores.length; i++)
        if (scores[i] != Float.NEGATIVE_INFINITY && (best < 0 || scores[i] > scores[best]))
          best = i;
      return best;
    }
  }

  public long documentsScored() {
    return documentsScored;
  }
}
