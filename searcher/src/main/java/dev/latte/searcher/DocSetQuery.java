package dev.latte.searcher;

import java.io.IOException;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.search.ConstantScoreScorer;
import org.apache.lucene.search.ConstantScoreWeight;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.QueryVisitor;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.ScorerSupplier;
import org.apache.lucene.search.Weight;
import org.apache.lucene.util.BitSetIterator;
import org.apache.lucene.util.FixedBitSet;

/**
 * Matches the documents of a precomputed set of index-wide doc ids of the reader it runs against
 * (constant score). The filter of a query, resolved once to a bitset, as a Lucene query: over a
 * derived index (SLIM, lucene-stock) it is the set of derived documents whose main document passes
 * the filter, used as a FILTER clause or as the pre-filter of a KNN query. Never cached (equality
 * is identity; the set belongs to one query).
 */
public final class DocSetQuery extends Query {
  private final FixedBitSet docs;

  /** {@code docs}: index-wide doc ids of the reader the query will run on. */
  public DocSetQuery(FixedBitSet docs) {
    this.docs = docs;
  }

  /**
   * The derived documents whose main document is in {@code mainBits}: {@code mainDocs[d]} is the
   * main doc of derived doc d ({@link dev.latte.indexer.firststage.FirstStageIndex#link}).
   */
  public static FixedBitSet derived(FixedBitSet mainBits, int[] mainDocs) {
    FixedBitSet out = new FixedBitSet(Math.max(1, mainDocs.length));
    for (int d = 0; d < mainDocs.length; d++) {
      int m = mainDocs[d];
      if (m >= 0 && m < mainBits.length() && mainBits.get(m)) out.set(d);
    }
    return out;
  }

  @Override
  public Weight createWeight(IndexSearcher searcher, ScoreMode scoreMode, float boost) {
    return new ConstantScoreWeight(this, boost) {
      @Override
      public ScorerSupplier scorerSupplier(LeafReaderContext context) throws IOException {
        int base = context.docBase, max = context.reader().maxDoc();
        FixedBitSet leaf;
        if (base == 0 && docs.length() == max) {
          leaf = docs;
        } else {
          leaf = new FixedBitSet(Math.max(1, max));
          int end = Math.min(base + max, docs.length());
          for (int d = base < end ? docs.nextSetBit(base) : DocIdSetIterator.NO_MORE_DOCS;
              d < end;
              d = d + 1 < end ? docs.nextSetBit(d + 1) : DocIdSetIterator.NO_MORE_DOCS)
            leaf.set(d - base);
        }
        int count = leaf.cardinality();
        if (count == 0) return null;
        var scorer = new ConstantScoreScorer(score(), scoreMode, new BitSetIterator(leaf, count));
        return new DefaultScorerSupplier(scorer);
      }

      @Override
      public boolean isCacheable(LeafReaderContext ctx) {
        return false;
      }
    };
  }

  @Override
  public String toString(String field) {
    return "DocSetQuery(" + docs.cardinality() + " docs)";
  }

  @Override
  public void visit(QueryVisitor visitor) {
    visitor.visitLeaf(this);
  }

  @Override
  public boolean equals(Object other) {
    return this == other;
  }

  @Override
  public int hashCode() {
    return System.identityHashCode(this);
  }
}
