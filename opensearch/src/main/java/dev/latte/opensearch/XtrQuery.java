package dev.latte.opensearch;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.ResidualCodebook;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.searcher.Candidates;
import dev.latte.searcher.firststage.xtr.XtrIndex;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.Explanation;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.QueryVisitor;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.Scorer;
import org.apache.lucene.search.ScorerSupplier;
import org.apache.lucene.search.Weight;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.FixedBitSet;

/**
 * {@code latte_xtr} on one shard: on rewrite, Latte's XTR retrieval ({@link XtrIndex#over}) over
 * the shard's lists, optionally exact MaxSim on the best {@code maxsim_depth} (as Latte's {@code
 * xtr+maxsim}), and the result as a fixed set of scored documents (the pattern of Lucene's k-NN
 * queries). The retrieval is per shard: each shard retrieves its own {@code token_depth} documents
 * per query token and imputes from its own cut-offs, so on several shards the candidates differ
 * from one index holding everything. Negative scores are reported as 0 (OpenSearch's rule).
 */
final class XtrQuery extends Query {
  private final String field;
  private final TokenMatrix query;
  private final XtrLists.Trained xtr;
  private final ResidualCodebook codebook;
  private final LatteXtrQueryBuilder.XtrParams params;
  private final Query filter;

  XtrQuery(
      String field,
      TokenMatrix query,
      XtrLists.Trained xtr,
      ResidualCodebook codebook,
      LatteXtrQueryBuilder.XtrParams params,
      Query filter) {
    this.field = field;
    this.query = query;
    this.xtr = xtr;
    this.codebook = codebook;
    this.params = params;
    this.filter = filter;
  }

  @Override
  public Query rewrite(IndexSearcher searcher) throws IOException {
    IndexReader reader = searcher.getIndexReader();
    VectorKernel kernel = VectorKernel.get();
    Candidates ranked =
        XtrIndex.over(reader, field + XtrLists.SUFFIX, xtr.lists())
            .search(query, kernel, params.probes(), params.tokenDepth(), matches(searcher))
            .ranked();
    int[] docs = ranked.docs();
    float[] scores = ranked.scores();
    if (params.maxsimDepth() > 0) {
      // A tie at the cut is kept whole, as Latte's own XTR candidates are (Candidates.cut).
      docs = ranked.cut(params.maxsimDepth()).docs();
      scores = maxSims(reader.leaves(), docs);
    }
    return new ScoredDocs(this, docs, scores, reader.getContext().id());
  }

  /** The filter's matches as top-level doc ids (live documents only), or null without a filter. */
  private FixedBitSet matches(IndexSearcher searcher) throws IOException {
    if (filter == null) return null;
    IndexReader reader = searcher.getIndexReader();
    FixedBitSet bits = new FixedBitSet(Math.max(1, reader.maxDoc()));
    Weight w = searcher.createWeight(searcher.rewrite(filter), ScoreMode.COMPLETE_NO_SCORES, 1f);
    for (LeafReaderContext leaf : reader.leaves()) {
      Scorer s = w.scorer(leaf);
      if (s == null) continue;
      Bits live = leaf.reader().getLiveDocs();
      DocIdSetIterator it = s.iterator();
      for (int d = it.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = it.nextDoc()) {
        if (live == null || live.get(d)) bits.set(leaf.docBase + d);
      }
    }
    return bits;
  }

  /** Exact MaxSim of each document (top-level ids) on its stored matrix. */
  private float[] maxSims(List<LeafReaderContext> leaves, int[] docs) throws IOException {
    MaxSimQuery.Prepared prepared = MaxSimQuery.Prepared.of(query, codebook);
    Integer[] order = new Integer[docs.length];
    for (int i = 0; i < order.length; i++) order[i] = i;
    Arrays.sort(order, (a, b) -> Integer.compare(docs[a], docs[b]));
    float[] out = new float[docs.length];
    BinaryDocValues values = null;
    int leafIndex = -1;
    for (int i : order) {
      int leaf = ReaderUtil.subIndex(docs[i], leaves);
      if (leaf != leafIndex) {
        leafIndex = leaf;
        values = leaves.get(leaf).reader().getBinaryDocValues(field);
      }
      int doc = docs[i] - leaves.get(leaf).docBase;
      if (values == null || !values.advanceExact(doc)) {
        throw new IllegalStateException("document " + doc + " is in XTR lists but has no matrix");
      }
      out[i] = prepared.maxSim(values.binaryValue());
    }
    return out;
  }

  @Override
  public Weight createWeight(IndexSearcher searcher, ScoreMode scoreMode, float boost)
      throws IOException {
    // Reached only if the query was not rewritten first.
    return searcher.rewrite(this).createWeight(searcher, scoreMode, boost);
  }

  /** A fixed set of documents with their scores, for one reader (the shard's at rewrite). */
  static final class ScoredDocs extends Query {
    private final XtrQuery source;
    private final int[] docs; // ascending after construction
    private final float[] scores;
    private final Object readerId;

    ScoredDocs(XtrQuery source, int[] docs, float[] scores, Object readerId) {
      this.source = source;
      Integer[] order = new Integer[docs.length];
      for (int i = 0; i < order.length; i++) order[i] = i;
      Arrays.sort(order, (a, b) -> Integer.compare(docs[a], docs[b]));
      this.docs = new int[docs.length];
      this.scores = new float[docs.length];
      for (int i = 0; i < order.length; i++) {
        this.docs[i] = docs[order[i]];
        this.scores[i] = Math.max(0f, scores[order[i]]);
      }
      this.readerId = readerId;
    }

    @Override
    public Weight createWeight(IndexSearcher searcher, ScoreMode scoreMode, float boost) {
      if (searcher.getIndexReader().getContext().id() != readerId) {
        throw new IllegalStateException("latte_xtr was rewritten for another reader");
      }
      return new Weight(this) {
        @Override
        public ScorerSupplier scorerSupplier(LeafReaderContext context) {
          int from = lowerBound(context.docBase);
          int to = lowerBound(context.docBase + context.reader().maxDoc());
          if (from == to) return null;
          return new DefaultScorerSupplier(new Slice(from, to, context.docBase, boost));
        }

        @Override
        public Explanation explain(LeafReaderContext context, int doc) {
          int i = Arrays.binarySearch(docs, context.docBase + doc);
          if (i < 0) return Explanation.noMatch("not retrieved by latte_xtr");
          return Explanation.match(scores[i] * boost, source.toString(null) + " x boost " + boost);
        }

        @Override
        public boolean isCacheable(LeafReaderContext ctx) {
          return false;
        }
      };
    }

    private int lowerBound(int doc) {
      int i = Arrays.binarySearch(docs, doc);
      return i >= 0 ? i : -i - 1;
    }

    /** The documents of one leaf: positions [from, to) of the arrays. */
    private final class Slice extends Scorer {
      private final int from, to, docBase;
      private final float boost;
      private int at;
      private final DocIdSetIterator it =
          new DocIdSetIterator() {
            @Override
            public int docID() {
              return at < from ? -1 : at >= to ? NO_MORE_DOCS : docs[at] - docBase;
            }

            @Override
            public int nextDoc() {
              at++;
              return docID();
            }

            @Override
            public int advance(int target) {
              while (docID() < target) at++;
              return docID();
            }

            @Override
            public long cost() {
              return to - from;
            }
          };

      Slice(int from, int to, int docBase, float boost) {
        this.from = from;
        this.to = to;
        this.docBase = docBase;
        this.boost = boost;
        this.at = from - 1;
      }

      @Override
      public int docID() {
        return it.docID();
      }

      @Override
      public DocIdSetIterator iterator() {
        return it;
      }

      @Override
      public float getMaxScore(int upTo) {
        return Float.MAX_VALUE;
      }

      @Override
      public float score() {
        return scores[at] * boost;
      }
    }

    @Override
    public void visit(QueryVisitor visitor) {
      visitor.visitLeaf(this);
    }

    @Override
    public String toString(String defaultField) {
      return "latte_xtr_docs(" + docs.length + ")";
    }

    @Override
    public boolean equals(Object o) {
      return sameClassAs(o)
          && readerId == ((ScoredDocs) o).readerId
          && Arrays.equals(docs, ((ScoredDocs) o).docs)
          && Arrays.equals(scores, ((ScoredDocs) o).scores);
    }

    @Override
    public int hashCode() {
      return Objects.hash(classHash(), Arrays.hashCode(docs), Arrays.hashCode(scores));
    }
  }

  @Override
  public void visit(QueryVisitor visitor) {
    if (visitor.acceptField(field)) visitor.visitLeaf(this);
  }

  @Override
  public String toString(String defaultField) {
    return "latte_xtr("
        + field
        + ", "
        + query.rows()
        + "x"
        + query.dim()
        + " query, probes "
        + params.probes()
        + ", token_depth "
        + params.tokenDepth()
        + ", maxsim_depth "
        + params.maxsimDepth()
        + ")";
  }

  @Override
  public boolean equals(Object o) {
    return sameClassAs(o)
        && field.equals(((XtrQuery) o).field)
        && query.equals(((XtrQuery) o).query)
        && xtr.name().equals(((XtrQuery) o).xtr.name())
        && params.equals(((XtrQuery) o).params)
        && Objects.equals(filter, ((XtrQuery) o).filter);
  }

  @Override
  public int hashCode() {
    return Objects.hash(classHash(), field, query, xtr.name(), params, filter);
  }
}
