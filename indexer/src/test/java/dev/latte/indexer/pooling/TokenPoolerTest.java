package dev.latte.indexer.pooling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.latte.core.TokenMatrix;
import dev.latte.core.kernel.VectorKernel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TokenPoolerTest {

  // ---------------------------------------------------------------------------------------------
  // 1. Vector counts

  /** The rule, written independently of the implementation. */
  private static int expectedRows(int n, int p, boolean protect) {
    if (n <= 1) return n;
    if (protect) return 1 + (n - 1 + p - 1) / p; // 1 + ceil((n-1)/p)
    return (n + p - 1) / p; // ceil(n/p)
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void outputRowCountDimAndUnitNorms(boolean protect) {
    Random rnd = new Random(1);
    for (int n : new int[] {0, 1, 2, 3, 7, 64, 211}) {
      for (int p = 1; p <= 4; p++) {
        TokenPooler pooler = new TokenPooler(p, protect);
        int dim = 24;
        TokenMatrix doc = n == 0 ? TokenMatrix.empty(dim) : randomUnit(rnd, n, dim);
        TokenMatrix out = pooler.pool(doc);
        String what = "n=" + n + " p=" + p + " protect=" + protect;
        assertEquals(expectedRows(n, p, protect), out.rows(), what);
        assertEquals(expectedRows(n, p, protect), pooler.pooledRows(n), what);
        assertEquals(dim, out.dim(), what);
        for (int r = 0; r < out.rows(); r++) {
          assertEquals(1.0, norm(out, r), 1e-5, what + " row " + r);
        }
        int[] assign = pooler.clusterAssignments(doc);
        assertEquals(n, assign.length);
        Set<Integer> used = new HashSet<>();
        for (int a : assign) used.add(a);
        assertEquals(out.rows(), used.size(), "every output row is used: " + what);
      }
    }
  }

  @Test
  void unchangedCasesReturnTheInput() {
    Random rnd = new Random(2);
    // One row; two rows with the first protected (one clusterable row): nothing to merge.
    TokenMatrix one = randomUnit(rnd, 1, 8);
    TokenMatrix two = randomUnit(rnd, 2, 8);
    assertSame(one, new TokenPooler(3, true).pool(one));
    assertSame(one, new TokenPooler(3, false).pool(one));
    assertSame(two, new TokenPooler(4, true).pool(two));
    TokenMatrix empty = TokenMatrix.empty(8);
    assertSame(empty, new TokenPooler(2, true).pool(empty));
  }

  @Test
  void rejectsBadArguments() {
    assertThrows(IllegalArgumentException.class, () -> new TokenPooler(0, true));
    float[][] nan = {{1, 0}, {0, 1}, {Float.NaN, 0}, {1, 0}};
    float[][] inf = {{1, 0}, {0, 1}, {0, 1}, {1, Float.NEGATIVE_INFINITY}};
    for (float[][] rows : List.of(nan, inf)) {
      for (int p : new int[] {2, 4}) { // 2 clusters (full clustering) and 1 cluster (short cut)
        TokenMatrix doc = TokenMatrix.of(rows);
        assertThrows(IllegalArgumentException.class, () -> new TokenPooler(p, true).pool(doc));
        assertThrows(
            IllegalArgumentException.class, () -> new TokenPooler(p, true).clusterAssignments(doc));
      }
    }
    // A non-finite protected row is not clustered, hence not rejected: it is copied as is.
    float[][] protectedNan = {{Float.NaN, 0}, {0, 1}, {0, 1}, {1, 0}};
    assertTrue(Float.isNaN(new TokenPooler(2, true).pool(TokenMatrix.of(protectedNan)).get(0, 0)));
  }

  // ---------------------------------------------------------------------------------------------
  // 2. Protected first row

  @Test
  void protectedFirstRowIsBitIdentical() {
    Random rnd = new Random(3);
    for (int trial = 0; trial < 20; trial++) {
      int n = 2 + rnd.nextInt(80);
      int dim = 3 + rnd.nextInt(40);
      TokenMatrix doc = randomUnit(rnd, n, dim);
      float[] data = doc.data().clone();
      // Row 0 deliberately not unit-norm, with a -0.0 and a subnormal: any re-normalisation,
      // averaging or rounding trip through double would show.
      data[0] = -0.0f;
      data[1 % dim] = 3.75f;
      data[dim - 1] = Float.MIN_VALUE;
      doc = new TokenMatrix(data, n, dim);
      for (int p = 2; p <= 4; p++) {
        TokenPooler pooler = new TokenPooler(p, true);
        TokenMatrix out = pooler.pool(doc);
        for (int d = 0; d < dim; d++) {
          assertEquals(
              Float.floatToRawIntBits(doc.get(0, d)),
              Float.floatToRawIntBits(out.get(0, d)),
              "d=" + d);
        }
        int[] assign = pooler.clusterAssignments(doc);
        assertEquals(0, assign[0]);
        for (int r = 1; r < n; r++) {
          assertTrue(assign[r] >= 1, "row " + r + " must not be pooled into the protected row");
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // 3. Pool factor 1

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void poolFactorOneIsIdentity(boolean protect) {
    Random rnd = new Random(4);
    TokenPooler pooler = new TokenPooler(1, protect);
    for (int n : new int[] {0, 1, 2, 5, 100}) {
      TokenMatrix doc = n == 0 ? TokenMatrix.empty(16) : randomUnit(rnd, n, 16);
      float[] before = doc.data().clone();
      TokenMatrix out = pooler.pool(doc);
      assertEquals(doc, out);
      assertArrayEquals(before, out.data());
      int[] assign = pooler.clusterAssignments(doc);
      for (int i = 0; i < n; i++) assertEquals(i, assign[i]);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // 4. Agreement with a naive Ward agglomeration

  /**
   * The textbook algorithm, deliberately naive and independent of the implementation: clusters kept
   * as member lists sorted by smallest member, every step recomputes the Ward cost
   * |A||B|/(|A|+|B|)·||μA−μB||² of every pair from the cluster means (no Lance–Williams, no
   * nearest-neighbour chain, no dendrogram) and merges the cheapest pair; equal costs go to the
   * lexicographically smallest (min A, min B), the documented tie rule. Stops at k clusters.
   */
  static List<List<Integer>> naiveWard(double[][] x, int k) {
    int dim = x[0].length;
    List<List<Integer>> clusters = new ArrayList<>();
    List<double[]> sums = new ArrayList<>();
    for (int i = 0; i < x.length; i++) {
      clusters.add(new ArrayList<>(List.of(i)));
      sums.add(x[i].clone());
    }
    while (clusters.size() > k) {
      double best = Double.POSITIVE_INFINITY;
      int bi = -1;
      int bj = -1;
      for (int i = 0; i < clusters.size(); i++) {
        double na = clusters.get(i).size();
        double[] sa = sums.get(i);
        for (int j = i + 1; j < clusters.size(); j++) {
          double nb = clusters.get(j).size();
          double[] sb = sums.get(j);
          double d2 = 0;
          for (int d = 0; d < dim; d++) {
            double diff = sa[d] / na - sb[d] / nb;
            d2 += diff * diff;
          }
          double cost = na * nb / (na + nb) * d2;
          if (cost < best) {
            best = cost;
            bi = i;
            bj = j;
          }
        }
      }
      // bi < bj, so the merged cluster keeps bi's smallest member and the list stays sorted.
      clusters.get(bi).addAll(clusters.remove(bj));
      double[] sb = sums.remove(bj);
      double[] sa = sums.get(bi);
      for (int d = 0; d < dim; d++) sa[d] += sb[d];
    }
    return clusters;
  }

  enum Kind {
    RANDOM,
    CLUSTERED,
    DUPLICATES
  }

  @Test
  void partitionsMatchNaiveWard() {
    int cases = 0;
    int withTiesAtTheCut = 0;
    for (int seed = 0; seed < 50; seed++) {
      for (Kind kind : Kind.values()) {
        Random rnd = new Random(1000L * seed + kind.ordinal());
        for (int p = 2; p <= 4; p++) {
          int n = 2 + rnd.nextInt(59);
          int dim = 3 + rnd.nextInt(38);
          boolean protect = rnd.nextBoolean();
          TokenMatrix doc = generate(kind, rnd, n, dim);
          TokenPooler pooler = new TokenPooler(p, protect);
          int kept = protect ? 1 : 0;
          int m = n - kept;
          int k = Math.min(m, (m + p - 1) / p);

          double[][] x = new double[m][dim];
          for (int r = 0; r < m; r++) {
            for (int d = 0; d < dim; d++) x[r][d] = doc.get(kept + r, d);
          }
          List<List<Integer>> ref = naiveWard(x, k);
          int[] assign = pooler.clusterAssignments(doc);
          String what =
              kind
                  + " seed="
                  + seed
                  + " n="
                  + n
                  + " dim="
                  + dim
                  + " p="
                  + p
                  + " protect="
                  + protect;

          assertEquals(asPartition(ref, kept), partitionOf(assign, kept), what);
          assertClustersNumberedBySmallestMember(assign, kept, what);
          assertPooledRowsAreNormalisedMeans(doc, pooler.pool(doc), assign, kept, what);
          cases++;
          if (kind == Kind.DUPLICATES && cutSplitsDuplicates(x, ref)) withTiesAtTheCut++;
        }
      }
    }
    assertEquals(450, cases);
    // Make sure the duplicate inputs really exercise tie-breaking: some cuts must fall among the
    // zero-cost merges, where the partition depends on the tie rule alone.
    assertTrue(
        withTiesAtTheCut >= 10, "only " + withTiesAtTheCut + " cases put the cut among ties");
  }

  /**
   * Whether two identical rows ended in different clusters (the cut fell among zero-cost merges).
   */
  private static boolean cutSplitsDuplicates(double[][] x, List<List<Integer>> partition) {
    int[] label = new int[x.length];
    for (int c = 0; c < partition.size(); c++) for (int r : partition.get(c)) label[r] = c;
    for (int i = 0; i < x.length; i++) {
      for (int j = i + 1; j < x.length; j++) {
        if (Arrays.equals(x[i], x[j]) && label[i] != label[j]) return true;
      }
    }
    return false;
  }

  @Test
  void tiesFollowTheDocumentedRule() {
    // Six identical clusterable rows, factor 2 -> 3 clusters. All merge costs are exactly 0; the
    // rule
    // (cheapest, then lexicographically smallest pair of smallest members) merges (1,2), then
    // ({1,2},3), then ({1,2,3},4).
    float[] v = {0.6f, 0.8f, 0f};
    float[][] rows = new float[7][];
    rows[0] = new float[] {0f, 0f, 1f};
    for (int i = 1; i < 7; i++) rows[i] = v.clone();
    int[] assign = new TokenPooler(2, true).clusterAssignments(TokenMatrix.of(rows));
    assertArrayEquals(new int[] {0, 1, 1, 1, 1, 2, 3}, assign);
  }

  @Test
  void obviousGeometry() {
    // Points on a circle: three near 0°, two near 90°, one at 180°.
    double[] degrees = {0, 1, 2, 90, 91, 180};
    float[][] rows = new float[degrees.length][];
    for (int i = 0; i < degrees.length; i++) {
      double a = Math.toRadians(degrees[i]);
      rows[i] = new float[] {(float) Math.cos(a), (float) Math.sin(a)};
    }
    int[] assign = new TokenPooler(2, false).clusterAssignments(TokenMatrix.of(rows));
    assertArrayEquals(new int[] {0, 0, 0, 1, 1, 2}, assign);
  }

  @Test
  void antipodalClusterFallsBackToItsFirstMember() {
    float[][] rows = {{0f, 0f, 1f}, {1f, 0f, 0f}, {-1f, 0f, 0f}};
    TokenMatrix out = new TokenPooler(2, true).pool(TokenMatrix.of(rows));
    assertEquals(2, out.rows());
    assertArrayEquals(rows[0], out.row(0));
    assertArrayEquals(rows[1], out.row(1));
  }

  // ---------------------------------------------------------------------------------------------
  // 5. MaxSim quality on clustered documents

  /**
   * Tolerance argument. Let every stored token d_j be replaced by the pooled vector v(j) of its
   * cluster, and let τ ≥ max_j ||d_j − v(j)||. For a unit query token q, |q·d_j − q·v(j)| ≤ τ, and
   * every pooled vector is some v(j); hence max_j q·d_j and max_c q·v_c differ by at most τ, and
   * MaxSim (a sum over nq query tokens) by at most nq·τ. If pooling never mixes two generated
   * clusters, v(j) is the normalised mean μ_S/||μ_S|| of a subset S of j's generated cluster C, and
   * with δ = diam(C): ||d_j − μ_S|| ≤ δ and 1 − ||μ_S|| ≤ 1 − μ_S·d_j ≤ δ²/2, so τ = δ + δ²/2. A
   * 1e-4 slack covers float rounding. Truncating to the first rows instead drops whole clusters,
   * and the query tokens aimed at them lose about 1 − cos(centre, other centre) ≈ 0.6 each, far
   * beyond nq·τ; the test checks that too, so the tolerance is shown to discriminate.
   */
  @Test
  void pooledMaxSimStaysCloseOnClusteredDocuments() {
    VectorKernel kernel = VectorKernel.scalar();
    int dim = 64;
    int[] sizes = {20, 12, 9, 6, 5, 4, 3, 3, 2};
    for (int seed = 0; seed < 10; seed++) {
      Random rnd = new Random(500 + seed);
      float[][] centres = new float[sizes.length][];
      for (int c = 0; c < sizes.length; c++) centres[c] = randomUnitRow(rnd, dim);
      // Row 0: the protected marker token. Then the clusters in contiguous blocks.
      List<float[]> rows = new ArrayList<>();
      List<Integer> truth = new ArrayList<>();
      rows.add(randomUnitRow(rnd, dim));
      truth.add(-1);
      for (int c = 0; c < sizes.length; c++) {
        for (int i = 0; i < sizes[c]; i++) {
          rows.add(noisy(rnd, centres[c], 0.003));
          truth.add(c);
        }
      }
      TokenMatrix doc = TokenMatrix.of(rows.toArray(float[][]::new));
      double delta = 0;
      for (int i = 1; i < rows.size(); i++) {
        for (int j = i + 1; j < rows.size(); j++) {
          if (truth.get(i).equals(truth.get(j)))
            delta = Math.max(delta, dist(rows.get(i), rows.get(j)));
        }
      }
      double tau = delta + delta * delta / 2;

      // Queries: one token aimed at each cluster plus random directions.
      int nq = 2 * sizes.length;
      float[][] q = new float[nq][];
      for (int c = 0; c < sizes.length; c++) {
        q[c] = noisy(rnd, centres[c], 0.05);
        q[sizes.length + c] = randomUnitRow(rnd, dim);
      }
      TokenMatrix query = TokenMatrix.of(q);
      double tolerance = nq * tau + 1e-4;
      float exact = kernel.maxSim(query, doc);

      for (int p : new int[] {2, 3, 4, 6}) {
        TokenPooler pooler = new TokenPooler(p, true);
        TokenMatrix pooled = pooler.pool(doc);
        float approx = kernel.maxSim(query, pooled);
        String what =
            "seed="
                + seed
                + " p="
                + p
                + " exact="
                + exact
                + " pooled="
                + approx
                + " tol="
                + tolerance;
        assertTrue(Math.abs(exact - approx) <= tolerance, what);
        assertTrue(pooled.rows() < doc.rows(), what);

        // The structural premise of the bound: no pooled row mixes two generated clusters.
        int[] assign = pooler.clusterAssignments(doc);
        int[] clusterOfOutput = new int[pooled.rows()];
        Arrays.fill(clusterOfOutput, Integer.MIN_VALUE);
        for (int r = 0; r < assign.length; r++) {
          int o = assign[r];
          if (clusterOfOutput[o] == Integer.MIN_VALUE) clusterOfOutput[o] = truth.get(r);
          assertEquals(
              clusterOfOutput[o], truth.get(r), "output row " + o + " mixes clusters, " + what);
        }

        // A same-size truncation must fail this tolerance, or the check proves nothing.
        boolean[] keep = new boolean[doc.rows()];
        for (int r = 0; r < pooled.rows(); r++) keep[r] = true;
        float truncated = kernel.maxSim(query, doc.selectRows(keep));
        assertTrue(
            Math.abs(exact - truncated) > tolerance,
            "truncation passes too: " + truncated + ", " + what);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Threads, determinism, input untouched

  @Test
  void deterministicThreadSafeAndInputUntouched() throws Exception {
    Random rnd = new Random(7);
    List<TokenMatrix> docs = new ArrayList<>();
    for (int i = 0; i < 24; i++)
      docs.add(generate(Kind.values()[i % 3], rnd, 20 + rnd.nextInt(200), 32));
    List<float[]> before = docs.stream().map(d -> d.data().clone()).toList();
    TokenPooler pooler = new TokenPooler(3, true);
    List<TokenMatrix> serial = docs.stream().map(pooler::pool).toList();
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      List<Future<TokenMatrix>> futures = new ArrayList<>();
      for (int round = 0; round < 3; round++) {
        for (TokenMatrix d : docs) futures.add(pool.submit(() -> pooler.pool(d)));
      }
      for (int i = 0; i < futures.size(); i++) {
        assertEquals(serial.get(i % docs.size()), futures.get(i).get());
      }
    } finally {
      pool.shutdownNow();
    }
    for (int i = 0; i < docs.size(); i++) assertArrayEquals(before.get(i), docs.get(i).data());
  }

  // ---------------------------------------------------------------------------------------------
  // Rules beyond the factor (TokenPooler.Rule)

  @Test
  void protectLastKeepsTheLastRowAndPoolsTheRestAsWithoutIt() {
    Random rnd = new Random(5);
    TokenPooler.Rule last = new TokenPooler.Rule(true, 0, Double.POSITIVE_INFINITY);
    for (int n : new int[] {1, 2, 3, 4, 9, 40, 131}) {
      for (int p = 2; p <= 3; p++) {
        TokenMatrix doc = randomUnit(rnd, n, 16);
        TokenPooler pooler = new TokenPooler(p, true, last);
        TokenMatrix out = pooler.pool(doc);
        String what = "n=" + n + " p=" + p;
        int middle = Math.max(0, n - 2);
        int expected = n <= 2 ? n : 2 + Math.ceilDiv(middle, p);
        assertEquals(expected, out.rows(), what);
        assertEquals(expected, pooler.pooledRows(n), what);
        // The last row, bit for bit, last; everything before it pooled as if it were not there.
        assertArrayEquals(doc.row(n - 1), out.row(out.rows() - 1), what);
        TokenMatrix head = new TokenMatrix(Arrays.copyOf(doc.data(), (n - 1) * 16), n - 1, 16);
        TokenMatrix headPooled = new TokenPooler(p, true).pool(head);
        assertArrayEquals(
            headPooled.data(), Arrays.copyOf(out.data(), (out.rows() - 1) * 16), what);
        int[] assign = pooler.clusterAssignments(doc);
        assertEquals(out.rows() - 1, assign[n - 1], what);
      }
    }
  }

  @Test
  void documentsOfAtMostMinRowsAreNotPooled() {
    Random rnd = new Random(6);
    TokenPooler pooler =
        new TokenPooler(2, true, new TokenPooler.Rule(false, 12, Double.POSITIVE_INFINITY));
    TokenPooler plain = new TokenPooler(2, true);
    for (int n : new int[] {3, 11, 12, 13, 50}) {
      TokenMatrix doc = randomUnit(rnd, n, 8);
      if (n <= 12) {
        assertSame(doc, pooler.pool(doc), "n=" + n);
        assertEquals(n, pooler.pooledRows(n));
      } else {
        assertArrayEquals(plain.pool(doc).data(), pooler.pool(doc).data(), "n=" + n);
        assertEquals(plain.pooledRows(n), pooler.pooledRows(n));
      }
    }
  }

  /** The textbook greedy Ward, stopped at {@code cap} clusters or at the first merge above h. */
  static List<List<Integer>> naiveWardBelow(double[][] x, int cap, double h) {
    List<List<Integer>> clusters = naiveWard(x, x.length);
    for (int k = x.length - 1; k >= cap; k--) {
      List<List<Integer>> next = naiveWard(x, k);
      // The merge from k+1 to k clusters: its Ward height 2|A||B|/(|A|+|B|)||μA-μB||².
      double height = mergedHeight(x, clusters, next);
      if (height > h) break;
      clusters = next;
    }
    return clusters;
  }

  private static double mergedHeight(
      double[][] x, List<List<Integer>> before, List<List<Integer>> after) {
    Set<Set<Integer>> b = asPartition(before, 0);
    List<Set<Integer>> parts = new ArrayList<>();
    for (Set<Integer> c : b) if (!asPartition(after, 0).contains(c)) parts.add(c);
    assertEquals(2, parts.size(), "one merge");
    double[] ma = mean(x, parts.get(0)), mb = mean(x, parts.get(1));
    double na = parts.get(0).size(), nb = parts.get(1).size(), d2 = 0;
    for (int d = 0; d < ma.length; d++) d2 += (ma[d] - mb[d]) * (ma[d] - mb[d]);
    return 2 * na * nb / (na + nb) * d2;
  }

  private static double[] mean(double[][] x, Set<Integer> members) {
    double[] m = new double[x[0].length];
    for (int i : members) for (int d = 0; d < m.length; d++) m[d] += x[i][d] / members.size();
    return m;
  }

  @Test
  void aMergeHeightCutEqualsTheGreedyWardStoppedAtThatHeightAndNeverPoolsPastTheFactor() {
    Random rnd = new Random(7);
    int dim = 12;
    for (Kind kind : Kind.values()) {
      for (int n : new int[] {5, 17, 40}) {
        TokenMatrix doc = generate(kind, rnd, n, dim);
        double[][] x = new double[n - 1][dim];
        for (int r = 1; r < n; r++) for (int d = 0; d < dim; d++) x[r - 1][d] = doc.get(r, d);
        int previous = Integer.MAX_VALUE;
        for (double h : new double[] {1e-3, 0.05, 0.2, 0.5, 1.0, 3.0}) {
          for (int p = 2; p <= 3; p++) {
            TokenPooler pooler = new TokenPooler(p, true, new TokenPooler.Rule(false, 0, h));
            String what = kind + " n=" + n + " h=" + h + " p=" + p;
            int cap = Math.ceilDiv(n - 1, p);
            int[] assign = pooler.clusterAssignments(doc);
            assertEquals(asPartition(naiveWardBelow(x, cap, h), 1), partitionOf(assign, 1), what);
            TokenMatrix out = pooler.pool(doc);
            assertTrue(out.rows() >= 1 + cap && out.rows() <= n, what);
            assertTrue(pooler.pooledRows(n) >= out.rows(), what);
            assertPooledRowsAreNormalisedMeans(doc, out, assign, 1, what);
            if (p == 2) {
              assertTrue(out.rows() <= previous, "a higher cut never keeps more rows: " + what);
              previous = out.rows();
            }
          }
        }
        // At an infinite height the rule is the factor alone.
        assertArrayEquals(
            new TokenPooler(2, true).pool(doc).data(),
            new TokenPooler(2, true, new TokenPooler.Rule(false, 0, 1e300)).pool(doc).data());
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private static Set<Set<Integer>> asPartition(List<List<Integer>> clusters, int offset) {
    Set<Set<Integer>> out = new HashSet<>();
    for (List<Integer> c : clusters) {
      Set<Integer> s = new HashSet<>();
      for (int r : c) s.add(offset + r);
      out.add(s);
    }
    return out;
  }

  private static Set<Set<Integer>> partitionOf(int[] assign, int kept) {
    List<Set<Integer>> byLabel = new ArrayList<>();
    for (int r = kept; r < assign.length; r++) {
      int c = assign[r] - kept;
      while (byLabel.size() <= c) byLabel.add(new HashSet<>());
      byLabel.get(c).add(r);
    }
    return new HashSet<>(byLabel);
  }

  private static void assertClustersNumberedBySmallestMember(int[] assign, int kept, String what) {
    int next = kept;
    for (int r = kept; r < assign.length; r++) {
      assertTrue(assign[r] <= next, "cluster labels out of first-appearance order: " + what);
      if (assign[r] == next) next++;
    }
  }

  private static void assertPooledRowsAreNormalisedMeans(
      TokenMatrix doc, TokenMatrix out, int[] assign, int kept, String what) {
    int dim = doc.dim();
    double[][] sums = new double[out.rows()][dim];
    for (int r = kept; r < doc.rows(); r++) {
      for (int d = 0; d < dim; d++) sums[assign[r]][d] += doc.get(r, d);
    }
    for (int c = kept; c < out.rows(); c++) {
      double norm = 0;
      for (double v : sums[c]) norm += v * v;
      norm = Math.sqrt(norm);
      for (int d = 0; d < dim; d++) {
        assertEquals(sums[c][d] / norm, out.get(c, d), 1e-6, "row " + c + " " + what);
      }
    }
  }

  static TokenMatrix generate(Kind kind, Random rnd, int n, int dim) {
    float[][] rows = new float[n][];
    switch (kind) {
      case RANDOM -> {
        for (int i = 0; i < n; i++) rows[i] = randomUnitRow(rnd, dim);
      }
      case CLUSTERED -> {
        float[][] centres = new float[1 + rnd.nextInt(5)][];
        for (int c = 0; c < centres.length; c++) centres[c] = randomUnitRow(rnd, dim);
        double sigma = 0.02 + 0.3 * rnd.nextDouble();
        for (int i = 0; i < n; i++)
          rows[i] = noisy(rnd, centres[rnd.nextInt(centres.length)], sigma);
      }
      case DUPLICATES -> {
        float[][] pool = new float[1 + rnd.nextInt(6)][];
        for (int c = 0; c < pool.length; c++) pool[c] = randomUnitRow(rnd, dim);
        for (int i = 0; i < n; i++) {
          boolean duplicate = rnd.nextDouble() < 0.7;
          rows[i] = duplicate ? pool[rnd.nextInt(pool.length)].clone() : randomUnitRow(rnd, dim);
        }
      }
    }
    return TokenMatrix.of(rows);
  }

  static TokenMatrix randomUnit(Random rnd, int n, int dim) {
    float[] data = new float[n * dim];
    for (int i = 0; i < data.length; i++) data[i] = (float) rnd.nextGaussian();
    TokenMatrix.normalizeRows(data, n, dim);
    return new TokenMatrix(data, n, dim);
  }

  static float[] randomUnitRow(Random rnd, int dim) {
    float[] v = new float[dim];
    for (int d = 0; d < dim; d++) v[d] = (float) rnd.nextGaussian();
    TokenMatrix.normalizeRows(v, 1, dim);
    return v;
  }

  private static float[] noisy(Random rnd, float[] centre, double sigma) {
    float[] v = new float[centre.length];
    for (int d = 0; d < v.length; d++) v[d] = (float) (centre[d] + sigma * rnd.nextGaussian());
    TokenMatrix.normalizeRows(v, 1, v.length);
    return v;
  }

  private static double norm(TokenMatrix m, int row) {
    double s = 0;
    for (int d = 0; d < m.dim(); d++) s += (double) m.get(row, d) * m.get(row, d);
    return Math.sqrt(s);
  }

  private static double dist(float[] a, float[] b) {
    double s = 0;
    for (int d = 0; d < a.length; d++) {
      double diff = (double) a[d] - b[d];
      s += diff * diff;
    }
    return Math.sqrt(s);
  }
}
