package dev.latte.indexer.pooling;

import dev.latte.core.kernel.VectorKernel;
import java.util.Arrays;

/**
 * Ward agglomerative clustering of one document's token vectors into {@code k} clusters, exactly
 * the greedy textbook result, for {@link TokenPooler}.
 *
 * <h2>How</h2>
 *
 * <ol>
 *   <li>Squared Euclidean distances {@code ||a-b||² = |a|² + |b|² - 2 a·b} between all clusterable
 *       rows, from one Gram matrix in double precision (products of floats are exact in double, so
 *       the only rounding is the accumulation; norms are computed, not assumed to be 1). The Gram
 *       step is {@link VectorKernel#upperGram}: Vector API when {@code jdk.incubator.vector} is
 *       present, plain Java otherwise, bit-identical either way.
 *   <li>The full Ward dendrogram by the nearest-neighbour-chain algorithm with Lance–Williams
 *       updates {@code D(i∪j,x) = ((ni+nx) D(i,x) + (nj+nx) D(j,x) - nx D(i,j)) / (ni+nj+nx)}. With
 *       singleton distances {@code D = ||a-b||²} this keeps {@code D(A,B) = 2 |A||B|/(|A|+|B|)
 *       ||μA-μB||²}, twice the Ward merge cost (the increase of the within-cluster sum of squares).
 *   <li>The dendrogram cut at {@code k} clusters: replay the {@code m - k} lowest merges (see
 *       {@link #cutDendrogram}) with union-find.
 * </ol>
 *
 * <p>Why this equals the textbook algorithm (repeatedly merge the pair of clusters with the
 * smallest Ward cost, stop at {@code k} clusters), ties included:
 *
 * <ul>
 *   <li><b>Ties.</b> Pairs are ordered by the strict total order {@code (D(A,B), min(a,b),
 *       max(a,b))} where {@code a}, {@code b} are the clusters' smallest member indices (a cluster
 *       lives in the slot of its smallest member). The reference greedy algorithm breaks ties the
 *       same way: among pairs of equal cost, the lexicographically smallest pair of smallest
 *       members.
 *   <li><b>NN-chain finds the greedy dendrogram.</b> Ward is <i>reducible</i>: if {@code D(i,j) <=
 *       min(D(i,x), D(j,x))} then {@code D(i∪j,x) >= min(D(i,x), D(j,x))}, with equality only when
 *       {@code D(i,x) = D(j,x) = D(i,j)}; in that case the merged cluster inherits the smaller
 *       slot, so the tie-broken order is reducible as well. Under a reducible strict order, merging
 *       a pair of reciprocal nearest neighbours cannot bring the merged cluster closer to any third
 *       cluster than its parts were, so every other reciprocal pair stays reciprocal and every
 *       other chain link stays valid; the greedy algorithm merges every reciprocal pair eventually,
 *       and NN-chain yields exactly the greedy set of merges (Murtagh 1983; Müllner 2011, "Modern
 *       hierarchical, agglomerative clustering algorithms", arXiv:1109.2378) — but in a different
 *       order, not sorted by height.
 *   <li><b>Heights are monotone, so stopping at k equals cutting at k.</b> Reducibility also makes
 *       the greedy merge sequence non-decreasing in that order (no inversions for Ward). Stopping
 *       the greedy agglomeration after {@code m - k} merges therefore keeps exactly the {@code m -
 *       k} lowest merges of the full dendrogram, which is what cutting the dendrogram into {@code
 *       k} clusters means. NN-chain cannot stop early (it may perform a high merge before a low
 *       one), so it records all {@code m - 1} merges and the cut replays the lowest {@code m - k}
 *       of them.
 *   <li><b>Rounding.</b> In floating point the Lance–Williams values can, in principle, break
 *       reducibility by an ulp (e.g. a parent merge a hair below its child). Two guards keep the
 *       result a valid dendrogram cut whatever happens: merge heights are clamped to be at least
 *       their children's, and the replay takes merges in that order only once both children have
 *       been taken (a priority queue over ready merges, i.e. a topological order). Exact duplicate
 *       rows are exactly tied: their Gram entries are bit-identical, so their distances are exactly
 *       0, and Lance–Williams keeps 0 exactly.
 * </ul>
 */
final class WardClustering {
  /** The Gram step: Vector API when available, else plain Java; both give bit-identical results. */
  private static final VectorKernel GRAM = VectorKernel.get();

  private WardClustering() {}

  /**
   * Ward clustering of rows {@code [rowOffset, rowOffset + m)} of {@code data} into {@code k}
   * clusters ({@code 1 <= k < m}); writes {@code labels[0, m)} in {@code [0, k)}, clusters numbered
   * in order of their smallest member.
   */
  static void cluster(
      float[] data, int rowOffset, int m, int dim, int k, Workspace ws, int[] labels) {
    if (k == 1) {
      checkFinite(data, rowOffset * dim, (rowOffset + m) * dim);
      Arrays.fill(labels, 0, m, 0);
      return;
    }
    ws.ensure(m);
    squaredDistances(data, rowOffset, m, dim, ws);
    nnChain(m, ws);
    cutDendrogram(m, k, ws, labels);
  }

  /**
   * Like {@link #cluster}, but the number of clusters comes from the dendrogram: every merge of
   * Ward height (twice the merge's increase of the within-cluster sum of squares; {@code 2(1 -
   * cos)} for two unit vectors) at most {@code maxHeight} is applied, but never more than {@code m
   * - minClusters} of them (lowest first). Returns the number of clusters {@code k}, in {@code
   * [minClusters, m]}; {@code labels[0, m)} in {@code [0, k)} as {@link #cluster} numbers them.
   */
  static int clusterBelowHeight(
      float[] data,
      int rowOffset,
      int m,
      int dim,
      int minClusters,
      double maxHeight,
      Workspace ws,
      int[] labels) {
    if (minClusters < 1 || minClusters > m)
      throw new IllegalArgumentException("minClusters " + minClusters + " not in [1, " + m + "]");
    ws.ensure(m);
    squaredDistances(data, rowOffset, m, dim, ws);
    nnChain(m, ws);
    int low = 0;
    // Heights are clamped monotone along the tree, so the merges at most maxHeight are closed
    // under "child of": applying them (lowest first) is a valid cut.
    for (int t = 0; t < m - 1; t++) if (ws.mergeHeight[t] <= maxHeight) low++;
    int k = Math.max(minClusters, m - low);
    cutDendrogram(m, k, ws, labels);
    return k;
  }

  private static void checkFinite(float[] data, int from, int to) {
    for (int i = from; i < to; i++) {
      if (!Float.isFinite(data[i])) {
        throw new IllegalArgumentException(
            "token matrix holds a non-finite value (" + data[i] + ") at flat index " + i);
      }
    }
  }

  /**
   * Fills {@code ws.dist} (m × m, row-major, symmetric, diagonal unused) with squared Euclidean
   * distances {@code G(i,i) + G(j,j) - 2 G(i,j)} from the double-precision Gram matrix of {@link
   * #GRAM} (which writes the upper triangle in place).
   */
  private static void squaredDistances(float[] data, int rowOffset, int m, int dim, Workspace ws) {
    double[] dist = ws.dist;
    GRAM.upperGram(data, rowOffset, m, dim, dist);
    for (int i = 0; i < m; i++) {
      // A row holds a NaN or an infinity iff its sum of squares in double is not finite (finite
      // floats cannot overflow it): one check per row instead of one per value.
      if (!Double.isFinite(dist[i * m + i])) {
        checkFinite(data, (rowOffset + i) * dim, (rowOffset + i + 1) * dim);
      }
    }
    for (int i = 0; i < m; i++) {
      double gii = dist[i * m + i];
      for (int j = i + 1; j < m; j++) {
        double v = gii + dist[j * m + j] - 2.0 * dist[i * m + j];
        if (v < 0) {
          v = 0; // rounding on (near-)identical rows
        }
        dist[i * m + j] = v;
        dist[j * m + i] = v;
      }
    }
  }

  /**
   * The full Ward dendrogram by the nearest-neighbour chain. Records {@code m - 1} merges in {@code
   * ws}: slots {@code mergeLo < mergeHi} (each cluster lives in the slot of its smallest member),
   * the height (clamped to be monotone along the tree) and the merges that built each side.
   */
  private static void nnChain(int m, Workspace ws) {
    double[] dist = ws.dist;
    int[] active = ws.active;
    int[] size = ws.size;
    int[] slotMerge = ws.slotMerge;
    int[] chain = ws.chain;
    boolean[] inChain = ws.inChain;
    for (int i = 0; i < m; i++) {
      active[i] = i;
      size[i] = 1;
      slotMerge[i] = -1;
      inChain[i] = false;
    }
    int nActive = m;
    int len = 0;
    int fresh = 0; // chain links at positions >= fresh were pushed after the last merge
    for (int step = 0; step < m - 1; step++) {
      if (len == 0) {
        chain[len++] = active[0];
        inChain[active[0]] = true;
      }
      int a;
      int b;
      while (true) {
        a = chain[len - 1];
        b = nearest(dist, m, a, active, nActive);
        if (len >= 2 && b == chain[len - 2]) {
          // a was pushed as b's nearest neighbour. If that happened after the last merge it is
          // current and the pair is reciprocal; an older link is re-checked (see below).
          if (len - 1 >= fresh || nearest(dist, m, b, active, nActive) == a) {
            break; // reciprocal nearest neighbours
          }
          // Stale link: drop a and continue from b.
          inChain[a] = false;
          len--;
          fresh = Math.min(fresh, len);
          continue;
        }
        if (inChain[b]) {
          // Neither this nor the stale link above can happen while the computed distances are
          // reducible (chain links stay valid across merges). A rounding-level violation could make
          // an older link stale; then restart from b, dropping the links above it. Between merges a
          // fresh nearest-neighbour path strictly decreases in the (distance, slot) order, so it
          // never revisits its own links; each restart therefore lands strictly lower in the chain
          // and the loop terminates.
          while (chain[len - 1] != b) {
            inChain[chain[--len]] = false;
          }
          fresh = Math.min(fresh, len);
          continue;
        }
        chain[len++] = b;
        inChain[b] = true;
      }
      len -= 2;
      fresh = len;
      inChain[a] = false;
      inChain[b] = false;

      int lo = Math.min(a, b);
      int hi = Math.max(a, b);
      double h = dist[lo * m + hi];
      double nLo = size[lo];
      double nHi = size[hi];
      int loRow = lo * m;
      int hiRow = hi * m;
      int w = 0;
      for (int q = 0; q < nActive; q++) {
        int x = active[q];
        if (x == hi) {
          continue; // drop the absorbed slot, keep the list sorted
        }
        active[w++] = x;
        if (x == lo) {
          continue;
        }
        double nx = size[x];
        double v =
            ((nLo + nx) * dist[loRow + x] + (nHi + nx) * dist[hiRow + x] - nx * h)
                / (nLo + nHi + nx);
        if (v < 0) {
          v = 0;
        }
        dist[loRow + x] = v;
        dist[x * m + lo] = v;
      }
      nActive = w;
      size[lo] += size[hi];
      size[hi] = 0;

      int childLo = slotMerge[lo];
      int childHi = slotMerge[hi];
      double height = h;
      if (childLo >= 0) height = Math.max(height, ws.mergeHeight[childLo]);
      if (childHi >= 0) height = Math.max(height, ws.mergeHeight[childHi]);
      ws.mergeLo[step] = lo;
      ws.mergeHi[step] = hi;
      ws.mergeHeight[step] = height;
      ws.mergeChildLo[step] = childLo;
      ws.mergeChildHi[step] = childHi;
      slotMerge[lo] = step;
    }
  }

  /**
   * The active slot nearest to {@code a}; ties go to the smallest slot (strict {@code <}, slot
   * order).
   */
  private static int nearest(double[] dist, int m, int a, int[] active, int nActive) {
    int row = a * m;
    int best = -1;
    double bestD = Double.POSITIVE_INFINITY;
    for (int q = 0; q < nActive; q++) {
      int x = active[q];
      if (x == a) {
        continue;
      }
      double v = dist[row + x];
      if (best < 0 || v < bestD) {
        bestD = v;
        best = x;
      }
    }
    return best;
  }

  /**
   * Cuts the recorded dendrogram into {@code k} clusters: applies the {@code m - k} lowest merges
   * in the order {@code (height, lo, hi)}, each only once both of its children are applied (which
   * in exact arithmetic is automatic, heights being monotone), then labels clusters by smallest
   * member.
   */
  private static void cutDendrogram(int m, int k, Workspace ws, int[] labels) {
    int merges = m - 1;
    int[] parentMerge = ws.parentMerge;
    int[] pending = ws.pending;
    Arrays.fill(parentMerge, 0, merges, -1);
    for (int t = 0; t < merges; t++) {
      int p = 0;
      if (ws.mergeChildLo[t] >= 0) {
        parentMerge[ws.mergeChildLo[t]] = t;
        p++;
      }
      if (ws.mergeChildHi[t] >= 0) {
        parentMerge[ws.mergeChildHi[t]] = t;
        p++;
      }
      pending[t] = p;
    }
    int[] heap = ws.heap;
    int heapSize = 0;
    for (int t = 0; t < merges; t++) {
      if (pending[t] == 0) {
        heapSize = heapPush(heap, heapSize, t, ws);
      }
    }
    int[] uf = ws.unionFind;
    for (int i = 0; i < m; i++) {
      uf[i] = i;
    }
    for (int applied = 0; applied < m - k; applied++) {
      int t = heap[0];
      heapSize = heapPop(heap, heapSize, ws);
      int rootLo = find(uf, ws.mergeLo[t]);
      int rootHi = find(uf, ws.mergeHi[t]);
      uf[rootHi] = rootLo;
      int p = parentMerge[t];
      if (p >= 0 && --pending[p] == 0) {
        heapSize = heapPush(heap, heapSize, p, ws);
      }
    }
    int[] clusterOfRoot = ws.pending; // free again; reuse as root -> label map
    Arrays.fill(clusterOfRoot, 0, m, -1);
    int next = 0;
    for (int i = 0; i < m; i++) {
      int root = find(uf, i);
      if (clusterOfRoot[root] < 0) {
        clusterOfRoot[root] = next++;
      }
      labels[i] = clusterOfRoot[root];
    }
    if (next != k) {
      throw new AssertionError("dendrogram cut produced " + next + " clusters, expected " + k);
    }
  }

  private static int find(int[] uf, int i) {
    while (uf[i] != i) {
      uf[i] = uf[uf[i]];
      i = uf[i];
    }
    return i;
  }

  private static boolean before(int s, int t, Workspace ws) {
    double hs = ws.mergeHeight[s];
    double ht = ws.mergeHeight[t];
    if (hs != ht) {
      return hs < ht;
    }
    if (ws.mergeLo[s] != ws.mergeLo[t]) {
      return ws.mergeLo[s] < ws.mergeLo[t];
    }
    return ws.mergeHi[s] < ws.mergeHi[t];
  }

  private static int heapPush(int[] heap, int size, int t, Workspace ws) {
    int i = size;
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      if (!before(t, heap[parent], ws)) {
        break;
      }
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = t;
    return size + 1;
  }

  private static int heapPop(int[] heap, int size, Workspace ws) {
    int last = heap[--size];
    int i = 0;
    while (true) {
      int c = 2 * i + 1;
      if (c >= size) {
        break;
      }
      if (c + 1 < size && before(heap[c + 1], heap[c], ws)) {
        c++;
      }
      if (!before(heap[c], last, ws)) {
        break;
      }
      heap[i] = heap[c];
      i = c;
    }
    if (size > 0) {
      heap[i] = last;
    }
    return size;
  }

  /** Per-thread scratch, grown on demand and reused across documents. */
  static final class Workspace {
    double[] dist = new double[0];
    int[] active = new int[0];
    int[] size = new int[0];
    int[] slotMerge = new int[0];
    int[] chain = new int[0];
    boolean[] inChain = new boolean[0];
    int[] mergeLo = new int[0];
    int[] mergeHi = new int[0];
    int[] mergeChildLo = new int[0];
    int[] mergeChildHi = new int[0];
    double[] mergeHeight = new double[0];
    int[] parentMerge = new int[0];
    int[] pending = new int[0];
    int[] heap = new int[0];
    int[] unionFind = new int[0];
    private int[] labels = new int[0];
    private double[] sums = new double[0];
    private int[] firstMember = new int[0];

    void ensure(int m) {
      if (dist.length < m * m) {
        dist = new double[m * m];
      }
      if (active.length < m) {
        active = new int[m];
        size = new int[m];
        slotMerge = new int[m];
        chain = new int[m];
        inChain = new boolean[m];
        mergeLo = new int[m];
        mergeHi = new int[m];
        mergeChildLo = new int[m];
        mergeChildHi = new int[m];
        mergeHeight = new double[m];
        parentMerge = new int[m];
        pending = new int[m];
        heap = new int[m];
        unionFind = new int[m];
      }
    }

    int[] labels(int m) {
      if (labels.length < m) {
        labels = new int[m];
      }
      return labels;
    }

    double[] sums(int n) {
      if (sums.length < n) {
        sums = new double[n];
      }
      return sums;
    }

    int[] firstMember(int k) {
      if (firstMember.length < k) {
        firstMember = new int[k];
      }
      return firstMember;
    }
  }
}
