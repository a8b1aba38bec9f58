package dev.latte.searcher.firststage.xtr;

import dev.latte.core.TokenMatrix;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.searcher.PayloadCodes;
import java.io.IOException;
import java.util.Arrays;
import java.util.function.IntPredicate;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.internal.hppc.IntIntHashMap;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;

/**
 * XTR retrieval over any Lucene reader holding XTR lists (a field whose terms are centroid numbers
 * and whose positions carry int8 token codes, as {@link XtrBuilder} writes them): the algorithm
 * {@link XtrIndex} describes, shared by Latte's own XTR structure and the OpenSearch plugin's
 * per-shard lists. Doc ids in and out are the reader's (top-level) ids.
 */
public final class XtrRetrieval {
  private XtrRetrieval() {}

  /** Retrieved documents (unsorted) with their XTR scores, and the tokens scored. */
  public record Retrieved(int[] docs, float[] scores, long tokensScored) {}

  /**
   * @param accept which documents may be retrieved (null: all live ones); tested before a
   *     document's tokens are scored, so the per-token top k' and the imputed values are those of
   *     the accepted documents
   */
  public static Retrieved search(
      IndexReader reader,
      String field,
      XtrIndex.Centroids lists,
      TokenMatrix query,
      VectorKernel kernel,
      int probes,
      int tokenDepth,
      IntPredicate accept)
      throws IOException {
    int nq = query.rows();
    int centroids = lists.count();
    int dim = lists.dim();
    float[] centroidsT = lists.transposed();
    BytesRef[] terms = lists.terms();
    if (nq == 0 || centroids == 0) return new Retrieved(new int[0], new float[0], 0);
    if (query.dim() != dim)
      throw new IllegalArgumentException("query is " + query.dim() + "-d, the index " + dim + "-d");
    int p = Math.min(probes, centroids);
    float[] s = new float[nq * centroids];
    kernel.dotMatrix(query.data(), 0, nq, centroidsT, centroids, dim, s);
    // Which query tokens probe each centroid.
    int[][] probers = new int[centroids][];
    int[] count = new int[centroids];
    int[] chosen = new int[p];
    for (int i = 0; i < nq; i++) {
      dev.latte.searcher.firststage.LargestIndices.of(s, i * centroids, centroids, chosen);
      for (int c : chosen) {
        if (probers[c] == null) probers[c] = new int[4];
        else if (count[c] == probers[c].length)
          probers[c] = Arrays.copyOf(probers[c], count[c] * 2);
        probers[c][count[c]++] = i;
      }
    }
    float[] q = query.data();
    float[] dots = new float[64];
    IntIntHashMap slots = new IntIntHashMap();
    float[] best = new float[0];
    int used = 0;
    byte[] buf = new byte[64 * (dim + 4)];
    long scored = 0;
    for (LeafReaderContext leaf : reader.leaves()) {
      Terms t = leaf.reader().terms(field);
      if (t == null) continue;
      TermsEnum te = t.iterator();
      Bits live = leaf.reader().getLiveDocs();
      PostingsEnum pe = null;
      for (int c = 0; c < centroids; c++) {
        if (count[c] == 0 || !te.seekExact(terms[c])) continue;
        pe = te.postings(pe, PostingsEnum.PAYLOADS);
        for (int doc = pe.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = pe.nextDoc()) {
          if (live != null && !live.get(doc)) continue;
          if (accept != null && !accept.test(leaf.docBase + doc)) continue;
          int n = pe.freq();
          buf = PayloadCodes.gather(pe, n, dim, buf);
          scored += n;
          int global = leaf.docBase + doc;
          int slot = slots.getOrDefault(global, -1);
          if (slot < 0) {
            slot = used++;
            slots.put(global, slot);
            if (best.length < used * nq) {
              int old = best.length;
              best = Arrays.copyOf(best, Math.max(used * nq, old * 2));
              Arrays.fill(best, old, best.length, Float.NEGATIVE_INFINITY);
            }
          }
          int np = count[c];
          if (dots.length < n * np) dots = new float[n * np * 2];
          kernel.dotsInt8(q, dim, probers[c], np, buf, 0, n, dots);
          for (int j = 0; j < n; j++) {
            for (int k = 0; k < np; k++) {
              int at = slot * nq + probers[c][k];
              float v = dots[j * np + k];
              if (v > best[at]) best[at] = v;
            }
          }
        }
      }
    }
    // Per query token: the k'-th best document score is the retrieval cut-off and imputed value.
    float[] cut = new float[nq];
    float[] column = new float[used];
    for (int i = 0; i < nq; i++) {
      int m = 0;
      for (int sl = 0; sl < used; sl++) {
        float v = best[sl * nq + i];
        if (v != Float.NEGATIVE_INFINITY) column[m++] = v;
      }
      cut[i] = m == 0 ? 0f : XtrIndex.kthLargest(column, m, Math.min(tokenDepth, m));
    }
    int[] docs = new int[used];
    float[] scores = new float[used];
    int out = 0;
    int[] keys = new int[used];
    for (var e : slots) keys[e.value] = e.key;
    for (int sl = 0; sl < used; sl++) {
      boolean retrieved = false;
      float total = 0;
      for (int i = 0; i < nq; i++) {
        float v = best[sl * nq + i];
        if (v >= cut[i] && v != Float.NEGATIVE_INFINITY) {
          retrieved = true;
          total += v;
        } else {
          total += cut[i];
        }
      }
      if (!retrieved) continue;
      docs[out] = keys[sl];
      scores[out++] = total;
    }
    return new Retrieved(Arrays.copyOf(docs, out), Arrays.copyOf(scores, out), scored);
  }
}
