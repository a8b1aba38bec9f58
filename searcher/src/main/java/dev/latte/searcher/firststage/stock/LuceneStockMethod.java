package dev.latte.searcher.firststage.stock;

import dev.latte.core.TokenMatrix;
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.searcher.DocSetQuery;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.MethodResult;
import dev.latte.searcher.QueryContext;
import dev.latte.searcher.ScoredDoc;
import dev.latte.searcher.SearchMethod;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.LateInteractionRescorer;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.util.FixedBitSet;

/**
 * The stock-Lucene baseline: late interaction the way a Lucene or OpenSearch user can do it today
 * with nothing but Lucene 10.5's own building blocks, on the {@code lucene-stock} first stage built
 * by {@link LuceneStockBuilder}. It is the baseline Latte's methods must beat on quality per unit
 * of latency; anything Latte adds is only worth it if it does better than this.
 *
 * <ol>
 *   <li>First stage: the query's token vectors are mean-pooled and L2-normalised into one vector,
 *       exactly as each document was at build time, and a {@link KnnFloatVectorQuery} over the HNSW
 *       graph of the pooled document vectors (dot product, Lucene's default HNSW settings) returns
 *       {@code depth} candidates (the method returns at most that many, like every Latte {@code
 *       +maxsim} method).
 *   <li>Rescoring: Lucene's {@link LateInteractionRescorer} (built with {@code
 *       LateInteractionRescorer.create("tokens", queryRows, DOT_PRODUCT)}) scores every candidate
 *       by sum-of-max-similarity of the query rows against the document's {@code
 *       LateInteractionField}, and keeps the top {@code k}.
 * </ol>
 *
 * <p>The order is Lucene's. Lucene's DOT_PRODUCT similarity rescales each pair to {@code (1 + dot)
 * / 2}, so its rescored score is {@code (queryRows + MaxSim) / 2}; the scores returned here are
 * mapped back to raw MaxSim ({@code 2 * score - queryRows}, a monotone map, so the order is
 * unchanged) to be comparable with {@link ExactMaxSimMethod}. The derived index is loaded once per
 * open {@link LatteIndex}; a stale or missing one fails with a rebuild hint.
 */
public final class LuceneStockMethod implements SearchMethod {
  public static final String NAME = LuceneStockBuilder.NAME;

  private final int depth;

  /**
   * @param depth how many candidates the KNN stage returns (at least {@code k} are always taken)
   */
  public LuceneStockMethod(int depth) {
    if (depth < 1) throw new IllegalArgumentException("depth must be >= 1, got " + depth);
    this.depth = depth;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String firstStage() {
    return NAME;
  }

  @Override
  public boolean needsQueryMatrix() {
    return true;
  }

  public int depth() {
    return depth;
  }

  /** The opened derived index: reader, a searcher over it, and derived doc to main doc. */
  record Stock(DirectoryReader reader, IndexSearcher searcher, int[] mainDocs)
      implements Closeable {
    static Stock load(LatteIndex index) throws IOException {
      FirstStageIndex.Linked linked = index.openDerived(LuceneStockBuilder.FORMAT);
      DirectoryReader reader = linked.reader();
      return new Stock(reader, new IndexSearcher(reader), linked.mainDocs());
    }

    @Override
    public void close() throws IOException {
      reader.close();
    }
  }

  @Override
  public MethodResult search(LatteIndex index, QueryContext query, int k) throws IOException {
    Stock stock = index.firstStage(NAME, Stock::load);
    TokenMatrix q = query.encoded().matrix();
    if (q.rows() == 0 || k < 1) return new MethodResult(List.of(), 0, 0, 0);

    long t0 = System.nanoTime();
    float[] pooled = LuceneStockBuilder.meanNormalized(q);
    FixedBitSet filter = query.filterBits(index);
    // A filter pre-filters the HNSW search (Lucene's filtered KNN: the graph walk accepts only
    // matching documents, and falls back to exact search when few match), so depth candidates
    // are the nearest matching documents.
    KnnFloatVectorQuery knn =
        filter == null
            ? new KnnFloatVectorQuery(LuceneStockBuilder.POOLED, pooled, depth)
            : new KnnFloatVectorQuery(
                LuceneStockBuilder.POOLED,
                pooled,
                depth,
                new DocSetQuery(DocSetQuery.derived(filter, stock.mainDocs())));
    TopDocs candidates = stock.searcher().search(knn, depth);
    long t1 = System.nanoTime();
    if (candidates.scoreDocs.length == 0) {
      // the rescorer takes the reader's first leaf unconditionally: an empty index has none
      return new MethodResult(List.of(), 0, (t1 - t0) / 1e6, 0);
    }
    TopDocs rescored =
        LateInteractionRescorer.create(
                LuceneStockBuilder.TOKENS, q.toArray(), VectorSimilarityFunction.DOT_PRODUCT)
            .rescore(stock.searcher(), candidates, Math.min(k, candidates.scoreDocs.length));
    List<ScoredDoc> docs = new ArrayList<>(rescored.scoreDocs.length);
    for (ScoreDoc sd : rescored.scoreDocs) {
      docs.add(new ScoredDoc(stock.mainDocs()[sd.doc], 2 * sd.score - q.rows()));
    }
    long t2 = System.nanoTime();
    return new MethodResult(docs, candidates.scoreDocs.length, (t1 - t0) / 1e6, (t2 - t1) / 1e6);
  }
}
