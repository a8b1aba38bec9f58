package dev.latte.searcher.firststage.xtr;

import dev.latte.core.TokenMatrix;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.indexer.firststage.SphericalKMeans;
import dev.latte.searcher.Candidates;
import dev.latte.searcher.FirstStageParams;
import dev.latte.searcher.LatteIndex;
import java.io.Closeable;
import java.io.IOException;
import java.util.Arrays;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.FixedBitSet;

/**
 * The XTR token index of one open Latte index (built by {@link XtrBuilder}), and XTR retrieval over
 * it. Thread-safe: every search uses its own postings enums and buffers.
 *
 * <p>Retrieval, per query: score the query tokens against every centroid ({@link
 * VectorKernel#dotMatrix}); each query token probes its {@code probes} best centroids; every
 * document token in a probed list is scored exactly on its int8 code, and for query token i and
 * document d the best such score is kept. Per query token the {@code tokenDepth} best documents are
 * "retrieved" (XTR's top-k' tokens, counted in documents since only a document's best token per
 * query token can matter) and the smallest retrieved score is the imputation value m_i. A retrieved
 * document scores the sum over query tokens of its retrieved score, or m_i where it was not
 * retrieved for i. No token matrix of the main index is read.
 */
public final class XtrIndex implements Closeable {
  private final DirectoryReader reader;
  private final int[] mainDocs;
  private final float[] centroidsT;
  private final int centroids;
  private final int dim;
  private final BytesRef[] terms;

  /** The centroids as searches use them: transposed, and their terms. */
  public record Centroids(int count, int dim, float[] transposed, BytesRef[] terms) {
    public static Centroids of(TokenMatrix c) {
      BytesRef[] terms = new BytesRef[c.rows()];
      for (int i = 0; i < c.rows(); i++) terms[i] = new BytesRef(XtrBuilder.term(i));
      return new Centroids(
          c.rows(), c.dim(), SphericalKMeans.transpose(c.data(), c.rows(), c.dim()), terms);
    }
  }

  private XtrIndex(FirstStageIndex.Linked linked, Centroids c) {
    this.reader = linked.reader();
    this.mainDocs = linked.mainDocs();
    this.centroids = c.count();
    this.dim = c.dim();
    this.centroidsT = c.transposed();
    this.terms = c.terms();
  }

  static XtrIndex load(LatteIndex index) throws IOException {
    return FirstStageParams.open(
        index,
        XtrBuilder.FORMAT,
        linked -> {
          Centroids c =
              FirstStageParams.of(
                  index,
                  XtrBuilder.NAME,
                  XtrBuilder.CENTROIDS_FILE,
                  Centroids.class,
                  dir -> Centroids.of(XtrBuilder.readCentroids(dir)));
          if (c.dim() != index.metadata().dimension())
            throw new dev.latte.indexer.IndexMismatchException(
                "XTR centroids are "
                    + c.dim()
                    + "-d, the index "
                    + index.metadata().dimension()
                    + "-d");
          return new XtrIndex(linked, c);
        });
  }

  long bytes() throws IOException {
    long total = 0;
    var dir = reader.directory();
    for (String f : dir.listAll()) total += dir.fileLength(f);
    return total;
  }

  /** Retrieved documents (main-index ids) with their XTR scores, best first. */
  record Result(Candidates ranked, long tokensScored) {}

  Result search(TokenMatrix query, VectorKernel kernel, int probes, int tokenDepth)
      throws IOException {
    return search(query, kernel, probes, tokenDepth, null);
  }

  /**
   * As {@link #search(TokenMatrix, VectorKernel, int, int)}, over the main documents in {@code
   * filter} only (null: all): postings of other documents are skipped before scoring, so the
   * per-token top k' and the imputed values are those of the matching documents.
   */
  Result search(
      TokenMatrix query, VectorKernel kernel, int probes, int tokenDepth, FixedBitSet filter)
      throws IOException {
    XtrRetrieval.Retrieved r =
        XtrRetrieval.search(
            reader,
            XtrBuilder.FIELD,
            new Centroids(centroids, dim, centroidsT, terms),
            query,
            kernel,
            probes,
            tokenDepth,
            filter == null ? null : doc -> filter.get(mainDocs[doc]));
    int[] docs = r.docs();
    for (int i = 0; i < docs.length; i++) docs[i] = mainDocs[docs[i]];
    return new Result(sortByScore(docs, r.scores()), r.tokensScored());
  }

  /** Candidates best first (ties: smaller doc id first). */
  public static Candidates sortByScore(int[] docs, float[] scores) {
    Integer[] order = new Integer[docs.length];
    for (int i = 0; i < order.length; i++) order[i] = i;
    Arrays.sort(
        order,
        (a, b) -> scores[a] != scores[b] ? Float.compare(scores[b], scores[a]) : docs[a] - docs[b]);
    int[] d = new int[docs.length];
    float[] s = new float[docs.length];
    for (int i = 0; i < order.length; i++) {
      d[i] = docs[order[i]];
      s[i] = scores[order[i]];
    }
    return new Candidates(d, s);
  }

  /** The k-th largest of the first m values (1-based k); reorders them. */
  static float kthLargest(float[] a, int m, int k) {
    int lo = 0, hi = m - 1, target = k - 1;
    java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
    while (lo < hi) {
      float pivot = a[lo + r.nextInt(hi - lo + 1)];
      int i = lo, j = hi;
      while (i <= j) {
        while (a[i] > pivot) i++;
        while (a[j] < pivot) j--;
        if (i <= j) {
          float t = a[i];
          a[i] = a[j];
          a[j] = t;
          i++;
          j--;
        }
      }
      if (target <= j) hi = j;
      else if (target >= i) lo = i;
      else return a[target];
    }
    return a[target];
  }

  @Override
  public void close() throws IOException {
    reader.close();
  }
}
