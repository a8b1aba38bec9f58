package dev.latte.indexer.pooling;

import dev.latte.core.TokenMatrix;
import java.util.Arrays;

/**
 * Token pooling: shrinks a document's token matrix at index time by clustering its token vectors
 * and replacing every cluster by its mean direction.
 *
 * <h2>What</h2>
 *
 * <p>The published method is "token pooling" (Clavié, Chaffin, Adams, <i>Reducing the Footprint of
 * Multi-Vector Retrieval with Minimal Performance Impact via Token Pooling</i>, 2024,
 * arXiv:2409.14683; shipped in RAGatouille, PyLate and colpali-engine): hierarchical agglomerative
 * clustering with Ward linkage of a document's token vectors, the number of clusters set from a
 * pool factor, each cluster mean-pooled and L2 re-normalised, the first token (ColBERT's marker /
 * {@code [CLS]}-like token) kept out of the clustering. Storage and MaxSim cost drop by about the
 * pool factor while retrieval quality barely moves, because late interaction only keeps each query
 * token's best match and near-duplicate document tokens are redundant for that.
 *
 * <p>The exact rule implemented here, for a document of {@code n} rows and pool factor {@code p}:
 *
 * <ul>
 *   <li>{@code kept = (protectFirst && n > 0) ? 1 : 0} leading rows are copied unchanged (bit for
 *       bit) to the front of the output;
 *   <li>the other {@code m = n - kept} rows are clustered into {@code k = ceil(m / p)} clusters;
 *   <li>if {@code k >= m} (pool factor 1, or {@code m <= 1}) the input matrix itself is returned;
 *   <li>otherwise the output has {@code kept + k} rows: the protected row, then one row per cluster
 *       ordered by the cluster's smallest member index, each the normalised sum (equivalently the
 *       normalised mean) of its members computed in double precision. If a cluster's sum is the
 *       zero vector (antipodal members) its smallest member's row is emitted unchanged instead.
 * </ul>
 *
 * <p>So {@code pooledRows(n) = kept + ceil((n - kept) / p)}; with the first row protected and
 * {@code n > 1} that is {@code 1 + ceil((n - 1) / p)}. Differences from the Python implementations,
 * on purpose: they use {@code max(floor(m / p), 1)} clusters (this class rounds up, so it never
 * pools harder than asked), and they hand scipy the square {@code 1 - cosine} matrix as if it were
 * observation vectors; this class runs Ward on the token vectors themselves, which is the method as
 * described.
 *
 * <p>A {@link Rule} can pool less than that ({@link Rule#FACTOR_ONLY}, the rule above, is what
 * every index uses): also keep the last row, leave short documents alone, or merge only clusters
 * closer than a Ward height. Measured on SciFact train and the classic collections (README, "The
 * default index"), none gained beyond noise, so none is the default; they stay for measurement.
 *
 * <h2>How</h2>
 *
 * <p>Ward clustering by the nearest-neighbour-chain algorithm and a dendrogram cut, with the proof
 * that it equals the textbook greedy algorithm ties included: {@link WardClustering}.
 *
 * <h2>Cost</h2>
 *
 * <p>Time {@code O(m² · dim)} for the Gram matrix (the dominant term, SIMD), plus {@code O(m²)} for
 * NN-chain (each nearest-neighbour search is {@code O(m)}, and there are {@code O(m)} of them: a
 * search either pushes a chain link or ends in a merge, and each merge pops two links), plus {@code
 * O(m log m)} for the cut. Memory {@code O(m² + m · dim)} doubles of scratch per thread, kept in a
 * thread-local workspace and reused across documents (a 512 × 768 document needs about 5 MB).
 * Measured on one thread of a shared, heavily loaded 2-vCPU machine, 210 × 384 documents at factor
 * 2: about 0.9 ms of CPU per document with the Vector API Gram kernel, 1.3 ms with the scalar one.
 *
 * <h2>Threads</h2>
 *
 * <p>Instances are immutable and thread-safe: scratch space is per thread. Inputs are never
 * modified.
 */
public final class TokenPooler {

  private static final ThreadLocal<WardClustering.Workspace> WORKSPACE =
      ThreadLocal.withInitial(WardClustering.Workspace::new);

  /**
   * What may be pooled besides the pool factor's cap (the rules Clavié et al. and the PLAID/ColBERT
   * tooling leave open): {@link #FACTOR_ONLY} is the published method.
   *
   * @param protectLast keep the last row (a document's {@code [SEP]}) out of the clustering too,
   *     copied unchanged to the last output row
   * @param minRows documents of at most this many rows are not pooled at all
   * @param maxMergeHeight only clusters this close are merged: the Ward dendrogram is cut at this
   *     height ({@code 2(1 - cos)} for two unit tokens), but never into fewer clusters than the
   *     pool factor allows; {@code +inf}: exactly the pool factor's count
   */
  public record Rule(boolean protectLast, int minRows, double maxMergeHeight) {
    public static final Rule FACTOR_ONLY = new Rule(false, 0, Double.POSITIVE_INFINITY);

    public Rule {
      if (minRows < 0) throw new IllegalArgumentException("minRows must be >= 0, got " + minRows);
      if (!(maxMergeHeight >= 0))
        throw new IllegalArgumentException("maxMergeHeight must be >= 0, got " + maxMergeHeight);
    }
  }

  private final int poolFactor;
  private final boolean protectFirst;
  private final Rule rule;

  /**
   * @param poolFactor target reduction: {@code m} clusterable rows become {@code ceil(m /
   *     poolFactor)} rows; 1 disables pooling
   * @param protectFirst keep row 0 out of the clustering and copy it unchanged to output row 0
   */
  public TokenPooler(int poolFactor, boolean protectFirst) {
    this(poolFactor, protectFirst, Rule.FACTOR_ONLY);
  }

  /** Pools by {@code poolFactor} at most, within {@code rule}. */
  public TokenPooler(int poolFactor, boolean protectFirst, Rule rule) {
    if (poolFactor < 1) {
      throw new IllegalArgumentException("poolFactor must be >= 1, got " + poolFactor);
    }
    this.poolFactor = poolFactor;
    this.protectFirst = protectFirst;
    this.rule = java.util.Objects.requireNonNull(rule, "rule");
  }

  public Rule rule() {
    return rule;
  }

  public int poolFactor() {
    return poolFactor;
  }

  public boolean protectFirst() {
    return protectFirst;
  }

  /**
   * The number of rows {@link #pool} returns for a document of {@code rows} rows; with a finite
   * {@link Rule#maxMergeHeight} the most it returns (the count depends on the vectors).
   */
  public int pooledRows(int rows) {
    if (rows < 0) {
      throw new IllegalArgumentException("rows must be >= 0, got " + rows);
    }
    if (rows <= rule.minRows()) return rows;
    int kept = kept(rows);
    int tail = keptLast(rows);
    int m = rows - kept - tail;
    if (rule.maxMergeHeight() != Double.POSITIVE_INFINITY) return rows;
    return kept + Math.ceilDiv(m, poolFactor) + tail;
  }

  /**
   * Pools {@code doc} (see the class comment for the exact rule). Returns {@code doc} itself when
   * nothing would be merged, otherwise a new matrix of {@link #pooledRows} rows.
   *
   * @throws IllegalArgumentException if a clusterable value is NaN or infinite
   */
  public TokenMatrix pool(TokenMatrix doc) {
    int n = doc.rows();
    int dim = doc.dim();
    int kept = kept(n);
    int tail = keptLast(n);
    int m = n - kept - tail;
    int cap = Math.ceilDiv(m, poolFactor);
    if (cap >= m || n <= rule.minRows()) {
      return doc;
    }
    WardClustering.Workspace ws = WORKSPACE.get();
    int[] labels = ws.labels(m);
    int k = cluster(doc.data(), kept, m, dim, cap, ws, labels);
    if (k >= m) {
      return doc;
    }

    float[] in = doc.data();
    double[] sums = ws.sums(k * dim);
    int[] firstMember = ws.firstMember(k);
    Arrays.fill(sums, 0, k * dim, 0.0);
    Arrays.fill(firstMember, 0, k, -1);
    for (int r = 0; r < m; r++) {
      int c = labels[r];
      if (firstMember[c] < 0) {
        firstMember[c] = r;
      }
      int src = (kept + r) * dim;
      int dst = c * dim;
      for (int d = 0; d < dim; d++) {
        sums[dst + d] += in[src + d];
      }
    }
    float[] out = new float[(kept + k + tail) * dim];
    if (kept == 1) {
      System.arraycopy(in, 0, out, 0, dim);
    }
    if (tail == 1) {
      System.arraycopy(in, (n - 1) * dim, out, (kept + k) * dim, dim);
    }
    for (int c = 0; c < k; c++) {
      int off = c * dim;
      int dst = (kept + c) * dim;
      double sq = 0;
      for (int d = 0; d < dim; d++) {
        sq += sums[off + d] * sums[off + d];
      }
      if (sq > 0) {
        // The mean and the sum have the same direction; normalising the sum skips a division.
        double inv = 1.0 / Math.sqrt(sq);
        for (int d = 0; d < dim; d++) {
          out[dst + d] = (float) (sums[off + d] * inv);
        }
      } else {
        System.arraycopy(in, (kept + firstMember[c]) * dim, out, dst, dim);
      }
    }
    return new TokenMatrix(out, kept + k + tail, dim);
  }

  /** Clusters the m clusterable rows into {@code cap} clusters, or more under the rule's height. */
  private int cluster(
      float[] data, int kept, int m, int dim, int cap, WardClustering.Workspace ws, int[] labels) {
    if (rule.maxMergeHeight() == Double.POSITIVE_INFINITY) {
      WardClustering.cluster(data, kept, m, dim, cap, ws, labels);
      return cap;
    }
    return WardClustering.clusterBelowHeight(
        data, kept, m, dim, cap, rule.maxMergeHeight(), ws, labels);
  }

  /**
   * For every input row, the output row of {@link #pool} it ends up in: the protected row maps to
   * 0, the others to {@code kept + cluster}, clusters numbered by their smallest member. When
   * {@code pool} would return its input unchanged this is the identity.
   */
  public int[] clusterAssignments(TokenMatrix doc) {
    int n = doc.rows();
    int kept = kept(n);
    int tail = keptLast(n);
    int m = n - kept - tail;
    int cap = Math.ceilDiv(m, poolFactor);
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = i;
    }
    if (cap >= m || n <= rule.minRows()) {
      return out;
    }
    WardClustering.Workspace ws = WORKSPACE.get();
    int[] labels = ws.labels(m);
    int k = cluster(doc.data(), kept, m, doc.dim(), cap, ws, labels);
    if (k >= m) {
      return out;
    }
    for (int r = 0; r < m; r++) {
      out[kept + r] = kept + labels[r];
    }
    if (tail == 1) {
      out[n - 1] = kept + k;
    }
    return out;
  }

  @Override
  public String toString() {
    return "TokenPooler[poolFactor="
        + poolFactor
        + ", protectFirst="
        + protectFirst
        + ", rule="
        + rule
        + "]";
  }

  private int kept(int rows) {
    return protectFirst && rows > 0 ? 1 : 0;
  }

  private int keptLast(int rows) {
    return rule.protectLast() && rows - kept(rows) > 0 ? 1 : 0;
  }
}
