package dev.latte.searcher;

import dev.latte.core.kernel.PreparedQuery;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.encoders.EncodedText;
import dev.latte.encoders.TokenEncoder;
import java.io.IOException;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.Scorer;
import org.apache.lucene.search.Weight;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.FixedBitSet;

/**
 * One query as the methods see it: its text, its token matrix encoded at most once (lazily, so a
 * BM25-only search never runs the model) with the encoding time recorded, and an optional metadata
 * filter every method applies before scoring (resolved once to a bitset of matching documents).
 */
public final class QueryContext {
  private final String text;
  private final TokenEncoder encoder;
  private final VectorKernel kernel;
  private EncodedText encoded;
  private PreparedQuery prepared;
  private dev.latte.core.kernel.PreparedBitQuery preparedBits;
  private long encodeNanos;
  private Query filter;
  private LatteIndex filteredIndex;
  private FixedBitSet filterBits;
  private PassageScoring passageScoring = PassageScoring.DEFAULT;

  public QueryContext(String text, TokenEncoder encoder, VectorKernel kernel) {
    this.text = text;
    this.encoder = encoder;
    this.kernel = kernel;
  }

  /**
   * A query given as pre-computed token vectors (a client's own encoder, same model space): no
   * encoding. {@code text} (may be empty) is what BM25 sees; the rows have no token strings, so
   * COIL's exact-match lists find nothing and SLIM scores each row against its whole table.
   */
  public static QueryContext ofVectors(
      String text, dev.latte.core.TokenMatrix vectors, VectorKernel kernel) {
    String[] tokens = new String[vectors.rows()];
    for (int i = 0; i < tokens.length; i++) tokens[i] = "[vector " + i + "]";
    return ofEncoded(text, vectors, tokens, kernel);
  }

  /**
   * A query already encoded elsewhere: its vectors and each row's token string (which COIL and SLIM
   * key on); no spans. For clients and tools that hold the query matrix, and for tests.
   */
  public static QueryContext ofEncoded(
      String text, dev.latte.core.TokenMatrix vectors, String[] tokens, VectorKernel kernel) {
    QueryContext q = new QueryContext(text, null, kernel);
    int[] none = new int[vectors.rows()];
    java.util.Arrays.fill(none, -1);
    q.encoded = new EncodedText(vectors, tokens, none, none.clone());
    return q;
  }

  /** A query already encoded elsewhere, with its token strings and spans (which stay as given). */
  public static QueryContext ofEncoded(String text, EncodedText encoded, VectorKernel kernel) {
    QueryContext q = new QueryContext(text, null, kernel);
    q.encoded = encoded;
    return q;
  }

  public String text() {
    return text;
  }

  /** True when the query's matrix is at hand (given as vectors, or already encoded). */
  public synchronized boolean isEncoded() {
    return encoded != null;
  }

  public synchronized EncodedText encoded() {
    if (encoded == null) {
      if (encoder == null) throw new IllegalStateException("no encoder to encode the query with");
      long t0 = System.nanoTime();
      encoded = encoder.encodeQuery(text);
      encodeNanos = System.nanoTime() - t0;
    }
    return encoded;
  }

  public synchronized PreparedQuery prepared() {
    if (prepared == null) prepared = kernel.prepare(encoded().matrix());
    return prepared;
  }

  private dev.latte.core.kernel.ResidualQuery preparedResidual;

  /** The query's tables for residual codes of {@code book} (computed once per codebook). */
  public synchronized dev.latte.core.kernel.ResidualQuery preparedResidual(
      dev.latte.core.codec.ResidualCodebook book) {
    return preparedResidual(book, null);
  }

  /**
   * As above, the tables made in parts on {@code parts} (a sharded index's fan-out; null: on this
   * thread), identical either way.
   */
  public synchronized dev.latte.core.kernel.ResidualQuery preparedResidual(
      dev.latte.core.codec.ResidualCodebook book, dev.latte.core.kernel.PartRunner parts) {
    if (preparedResidual == null || preparedResidual.codebook() != book)
      preparedResidual =
          parts == null
              ? kernel.prepareResidual(encoded().matrix(), book)
              : kernel.prepareResidual(encoded().matrix(), book, parts);
    return preparedResidual;
  }

  /** The query's sign bits, for hamming scoring against binary documents. */
  public synchronized dev.latte.core.kernel.PreparedBitQuery preparedBits() {
    if (preparedBits == null) preparedBits = kernel.prepareBits(encoded().matrix());
    return preparedBits;
  }

  /**
   * Restricts every method to documents matching {@code filter} (a query over the main index, e.g.
   * from {@link Filters#parse}), applied before scoring; null removes the filter. Returns this.
   */
  public synchronized QueryContext withFilter(Query filter) {
    this.filter = filter;
    this.filteredIndex = null;
    this.filterBits = null;
    return this;
  }

  /** How documents of several passages are scored (union-MaxSim or MaxP). Returns this. */
  public synchronized QueryContext withPassageScoring(PassageScoring scoring) {
    this.passageScoring = scoring == null ? PassageScoring.DEFAULT : scoring;
    return this;
  }

  public synchronized PassageScoring passageScoring() {
    return passageScoring;
  }

  /** The filter, or null. */
  public synchronized Query filter() {
    return filter;
  }

  /**
   * The live documents of {@code index} matching the filter, as index-wide doc ids; computed once
   * per index (on first use); null when there is no filter (so unfiltered searches allocate
   * nothing).
   */
  public synchronized FixedBitSet filterBits(LatteIndex index) throws IOException {
    if (filter == null) return null;
    if (filterBits == null || filteredIndex != index) {
      filterBits = matching(index, filter);
      filteredIndex = index;
    }
    return filterBits;
  }

  static FixedBitSet matching(LatteIndex index, Query filter) throws IOException {
    IndexSearcher searcher = index.searcher();
    FixedBitSet bits = new FixedBitSet(Math.max(1, index.reader().maxDoc()));
    Weight w = searcher.createWeight(searcher.rewrite(filter), ScoreMode.COMPLETE_NO_SCORES, 1f);
    for (LeafReaderContext leaf : index.reader().leaves()) {
      Scorer scorer = w.scorer(leaf);
      if (scorer == null) continue;
      Bits live = leaf.reader().getLiveDocs();
      DocIdSetIterator it = scorer.iterator();
      for (int d = it.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = it.nextDoc())
        if (live == null || live.get(d)) bits.set(leaf.docBase + d);
    }
    return bits;
  }

  public VectorKernel kernel() {
    return kernel;
  }

  /** Time spent encoding this query; 0 if it was never encoded. */
  public synchronized double encodeMillis() {
    return encodeNanos / 1e6;
  }
}
