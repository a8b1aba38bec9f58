package dev.latte.searcher.firststage.xtr;

import dev.latte.core.TokenMatrix;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.indexer.firststage.SphericalKMeans;
import dev.latte.searcher.Candidates;
import dev.latte.searcher.FirstStageParams;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.PayloadCodes;
import java.io.Closeable;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.internal.hppc.IntIntHashMap;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.util.Bits;
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
  private final IndexReader reader;
  private final String field;
  private final int[] mainDocs; // null: the reader's doc ids are the ids returned
  private final float[] centroidsT;
  private final int centroids;
  private final int dim;
  private final BytesRef[] terms;
  private final dev.latte.searcher.sharded.ShardFanOut fanOut; // null: scan on the caller only

  /** The centroids as searches use them: transposed, and their terms. */
  public record Centroids(int count, int dim, float[] transposed, BytesRef[] terms) {
    public static Centroids of(TokenMatrix c) {
      BytesRef[] terms = new BytesRef[c.rows()];
      for (int i = 0; i < c.rows(); i++) terms[i] = new BytesRef(XtrBuilder.term(i));
      return new Centroids(
          c.rows(), c.dim(), SphericalKMeans.transpose(c.data(), c.rows(), c.dim()), terms);
    }
  }

  private XtrIndex(
      FirstStageIndex.Linked linked, Centroids c, dev.latte.searcher.sharded.ShardFanOut fanOut) {
    this(linked.reader(), XtrBuilder.FIELD, linked.mainDocs(), c, fanOut);
  }

  private XtrIndex(
      IndexReader reader,
      String field,
      int[] mainDocs,
      Centroids c,
      dev.latte.searcher.sharded.ShardFanOut fanOut) {
    this.reader = reader;
    this.field = field;
    this.fanOut = fanOut;
    this.mainDocs = mainDocs;
    this.centroids = c.count();
    this.dim = c.dim();
    this.centroidsT = c.transposed();
    this.terms = c.terms();
  }

  /**
   * XTR over lists kept in another reader, in field {@code field} with {@link XtrBuilder}'s layout
   * (the OpenSearch plugin's per-shard lists): results are that reader's doc ids. The caller owns
   * the reader: do not close the returned index.
   */
  public static XtrIndex over(IndexReader reader, String field, Centroids c) {
    return new XtrIndex(reader, field, null, c, null);
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
          return new XtrIndex(linked, c, index.fanOut());
        });
  }

  long bytes() throws IOException {
    // Every shard's, when sharded; only indexes loaded from a Latte index report bytes.
    return dev.latte.indexer.ShardedCommits.folderBytes((DirectoryReader) reader);
  }

  /** Retrieved documents (main-index ids) with their XTR scores, best first. */
  public record Result(Candidates ranked, long tokensScored) {}

  public Result search(TokenMatrix query, VectorKernel kernel, int probes, int tokenDepth)
      throws IOException {
    return search(query, kernel, probes, tokenDepth, null);
  }

  /**
   * As {@link #search(TokenMatrix, VectorKernel, int, int)}, over the main documents in {@code
   * filter} only (null: all): postings of other documents are skipped before scoring, so the
   * per-token top k' and the imputed values are those of the matching documents.
   */
  public Result search(
      TokenMatrix query, VectorKernel kernel, int probes, int tokenDepth, FixedBitSet filter)
      throws IOException {
    int nq = query.rows();
    if (nq == 0 || centroids == 0) return new Result(new Candidates(new int[0], new float[0]), 0);
    if (query.dim() != dim)
      throw new IllegalArgumentException("query is " + query.dim() + "-d, the index " + dim + "-d");
    int p = Math.min(probes, centroids);
    float[] s = centroidScores(query, kernel);
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
    // Each shard's lists are scanned on its own (in parallel on a sharded index): a document lives
    // in one shard, and the shards' documents, concatenated in shard order, come in the order one
    // walk over all leaves meets them, so everything after is computed on the same arrays.
    int[] shards = dev.latte.searcher.sharded.ShardFanOut.shardLeaves(reader);
    List<Scan> scans =
        fanOut == null || shards.length <= 2
            ? List.of(scan(query, kernel, probers, count, filter, 0, shards[shards.length - 1]))
            : fanOut.map(
                shards.length - 1,
                sh -> scan(query, kernel, probers, count, filter, shards[sh], shards[sh + 1]));
    Scan all = scans.size() == 1 ? scans.getFirst() : Scan.concat(scans, nq);
    int used = all.used;
    float[] best = all.best;
    int[] keys = all.keys;
    long scored = all.scored;
    // Per query token: the k'-th best document score is the retrieval cut-off and imputed value.
    float[] cut = new float[nq];
    float[] column = new float[used];
    for (int i = 0; i < nq; i++) {
      int m = 0;
      for (int sl = 0; sl < used; sl++) {
        float v = best[sl * nq + i];
        if (v != Float.NEGATIVE_INFINITY) column[m++] = v;
      }
      cut[i] = m == 0 ? 0f : kthLargest(column, m, Math.min(tokenDepth, m));
    }
    int[] docs = new int[used];
    float[] scores = new float[used];
    int out = 0;
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
      docs[out] = mainDocs == null ? keys[sl] : mainDocs[keys[sl]];
      scores[out++] = total;
    }
    return new Result(sortByScore(Arrays.copyOf(docs, out), Arrays.copyOf(scores, out)), scored);
  }

  /**
   * The query x centroid scores ({@code nq x centroids}). On a sharded index the query's rows split
   * over the fan-out's threads in blocks of eight (the GEMM's register block); each score is one
   * FMA chain over the dimensions whatever the block, so the split changes no bit.
   */
  private float[] centroidScores(TokenMatrix query, VectorKernel kernel) throws IOException {
    int nq = query.rows();
    float[] s = new float[nq * centroids];
    int parts = fanOut == null ? 1 : Math.min(fanOut.threads(), (nq + 7) / 8);
    if (parts <= 1) {
      kernel.dotMatrix(query.data(), 0, nq, centroidsT, centroids, dim, s);
      return s;
    }
    int per = ((nq + parts - 1) / parts + 7) / 8 * 8;
    fanOut.map(
        parts,
        p -> {
          int from = Math.min(nq, p * per), rows = Math.min(nq, from + per) - from;
          if (rows == 0) return null;
          float[] part = new float[rows * centroids];
          kernel.dotMatrix(query.data(), from * dim, rows, centroidsT, centroids, dim, part);
          System.arraycopy(part, 0, s, from * centroids, part.length);
          return null;
        });
    return s;
  }

  /**
   * What a scan of some leaves found: per document met (in the order met; {@code keys} its doc id
   * in the XTR reader) the best score of each query token ({@code best[slot * nq + i]}).
   */
  private record Scan(int used, int[] keys, float[] best, long scored) {
    static Scan concat(List<Scan> parts, int nq) {
      int used = 0;
      long scored = 0;
      for (Scan p : parts) {
        used += p.used;
        scored += p.scored;
      }
      int[] keys = new int[used];
      float[] best = new float[used * nq];
      int at = 0;
      for (Scan p : parts) {
        System.arraycopy(p.keys, 0, keys, at, p.used);
        System.arraycopy(p.best, 0, best, at * nq, p.used * nq);
        at += p.used;
      }
      return new Scan(used, keys, best, scored);
    }
  }

  /** Scores the probed lists of leaves {@code [from, to)}: each document's best per query token. */
  private Scan scan(
      TokenMatrix query,
      VectorKernel kernel,
      int[][] probers,
      int[] count,
      FixedBitSet filter,
      int from,
      int to)
      throws IOException {
    int nq = query.rows();
    float[] q = query.data();
    float[] dots = new float[64];
    IntIntHashMap slots = new IntIntHashMap();
    float[] best = new float[0];
    int used = 0;
    byte[] buf = new byte[64 * (dim + 4)];
    long scored = 0;
    for (LeafReaderContext leaf : reader.leaves().subList(from, to)) {
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
          if (filter != null
              && !filter.get(mainDocs == null ? leaf.docBase + doc : mainDocs[leaf.docBase + doc]))
            continue;
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
    int[] keys = new int[used];
    for (var e : slots) keys[e.value] = e.key;
    return new Scan(used, keys, best, scored);
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
