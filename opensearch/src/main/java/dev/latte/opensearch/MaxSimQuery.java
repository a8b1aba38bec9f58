package dev.latte.opensearch;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.ResidualCodebook;
import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.core.kernel.PreparedQuery;
import dev.latte.core.kernel.ResidualQuery;
import dev.latte.core.kernel.VectorKernel;
import java.io.IOException;
import java.util.Objects;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.DocValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.Explanation;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.QueryVisitor;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.Scorer;
import org.apache.lucene.search.ScorerSupplier;
import org.apache.lucene.search.Weight;
import org.apache.lucene.util.BytesRef;

/**
 * Exact MaxSim as a Lucene query: matches every document with a value in {@code field} and scores
 * it on the stored bytes with {@link VectorKernel} (in place, any codec; bit documents are scored
 * asymmetrically, as Latte's {@code maxsim-exact} does). Scores are computed only for documents the
 * enclosing query reaches, so a filter or a rescore window bounds the work.
 *
 * <p>OpenSearch requires non-negative scores: a document whose MaxSim is negative (every query
 * token points away from all its tokens) scores 0.
 */
final class MaxSimQuery extends Query {
  private final String field;
  private final TokenMatrix query;
  private final ResidualCodebook codebook;

  MaxSimQuery(String field, TokenMatrix query, ResidualCodebook codebook) {
    this.field = field;
    this.query = query;
    this.codebook = codebook;
  }

  /**
   * One query prepared for a field's stored values, scored in place with Latte's kernel: the plain
   * codecs through {@link PreparedQuery}, the residual ones in the code domain against the field's
   * codebook (as Latte's searcher scores a residual index).
   */
  record Prepared(VectorKernel kernel, PreparedQuery plain, ResidualQuery residual, int dim) {
    static Prepared of(TokenMatrix query, ResidualCodebook codebook) {
      VectorKernel kernel = VectorKernel.get();
      return new Prepared(
          kernel,
          kernel.prepare(query),
          codebook == null ? null : kernel.prepareResidual(query, codebook),
          query.dim());
    }

    String kernelName() {
      return kernel.name();
    }

    /** MaxSim against one stored value, after checking its header. */
    float maxSim(BytesRef value) {
      StoredTokenMatrix.Header h =
          StoredTokenMatrix.header(value.bytes, value.offset, value.length, dim);
      int payload = StoredTokenMatrix.Header.payloadOffset(value.offset);
      if (h.codec().isResidual()) {
        if (residual == null || residual.codebook().codec() != h.codec()) {
          throw new IllegalStateException(
              "a " + h.codec().cliName() + " value in a field without that codebook");
        }
        residual.codebook().checkScaled(h);
        return kernel.maxSimResidual(residual, value.bytes, payload, h.tokens());
      }
      return kernel.maxSim(plain, h.codec(), value.bytes, payload, h.tokens());
    }
  }

  @Override
  public Weight createWeight(IndexSearcher searcher, ScoreMode scoreMode, float boost) {
    // Prepared once per search: immutable, shared by the leaves' scorers.
    Prepared prepared = Prepared.of(query, codebook);
    return new Weight(this) {
      @Override
      public ScorerSupplier scorerSupplier(LeafReaderContext context) throws IOException {
        BinaryDocValues values = context.reader().getBinaryDocValues(field);
        if (values == null) return null;
        return new DefaultScorerSupplier(new DocScorer(prepared, values, boost));
      }

      @Override
      public Explanation explain(LeafReaderContext context, int doc) throws IOException {
        BinaryDocValues values = context.reader().getBinaryDocValues(field);
        if (values == null || !values.advanceExact(doc)) {
          return Explanation.noMatch("no token matrix in [" + field + "]");
        }
        float maxSim = prepared.maxSim(values.binaryValue());
        return Explanation.match(
            Math.max(0f, maxSim) * boost,
            "MaxSim of " + query.rows() + " query tokens against [" + field + "] x boost " + boost,
            Explanation.match(maxSim, "MaxSim (" + prepared.kernelName() + " kernel)"));
      }

      @Override
      public boolean isCacheable(LeafReaderContext context) {
        return DocValues.isCacheable(context, field);
      }
    };
  }

  private static final class DocScorer extends Scorer {
    private final Prepared query;
    private final BinaryDocValues values;
    private final float boost;

    DocScorer(Prepared query, BinaryDocValues values, float boost) {
      this.query = query;
      this.values = values;
      this.boost = boost;
    }

    @Override
    public int docID() {
      return values.docID();
    }

    @Override
    public DocIdSetIterator iterator() {
      return values;
    }

    @Override
    public float getMaxScore(int upTo) {
      return Float.MAX_VALUE;
    }

    @Override
    public float score() throws IOException {
      return Math.max(0f, query.maxSim(values.binaryValue())) * boost;
    }
  }

  @Override
  public void visit(QueryVisitor visitor) {
    if (visitor.acceptField(field)) visitor.visitLeaf(this);
  }

  @Override
  public String toString(String defaultField) {
    return "latte_maxsim(" + field + ", " + query.rows() + "x" + query.dim() + " query)";
  }

  @Override
  public boolean equals(Object o) {
    return sameClassAs(o)
        && field.equals(((MaxSimQuery) o).field)
        && query.equals(((MaxSimQuery) o).query);
  }

  @Override
  public int hashCode() {
    return Objects.hash(classHash(), field, query);
  }
}
