package dev.latte.searcher.firststage.warp;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.ResidualCodebook;
import dev.latte.core.kernel.ResidualBlocks;
import dev.latte.core.kernel.ResidualQuery;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.searcher.Candidates;
import dev.latte.searcher.firststage.LargestIndices;
import dev.latte.searcher.sharded.ShardFanOut;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.lucene.util.FixedBitSet;

/**
 * WARP retrieval over a {@link WarpIndex}, per query:
 *
 * <ol>
 *   <li><b>prepare</b>: the query x centroid scores (one GEMM) and the nibble tables that score
 *       residual codes without decoding them;
 *   <li><b>select</b>: per query token its {@link WarpSettings#probes} best centroids, its imputed
 *       similarity m_i (WARP's t' rule, {@link WarpSettings#imputeTokens}), and the bound: a probed
 *       list whose best possible token, {@code q_i·c + max |r|} over the list (times the largest
 *       scale, {@link WarpIndex#bound}), is at most m_i cannot change any score and is skipped
 *       unread;
 *   <li><b>decode</b>: each list probed by some query token is read once (document ordinals from
 *       their packed gaps);
 *   <li><b>score</b>: {@code s·(q_i·c + q_i·r)} (s the token's scale) for every token of the list,
 *       for each query token probing it, straight from the packed codes in the mapping (the Vector
 *       API list scan, {@link VectorKernel#residualDotsBlocked});
 *   <li><b>reduce</b>: stage one of the reduction, the best score per (document, query token);
 *   <li><b>sum</b>: stage two, per document the sum over query tokens of that best score, or m_i
 *       where it has none above m_i, then the top {@link WarpSettings#depth}.
 * </ol>
 *
 * With every list probed (probes ≥ centroids) nothing is imputed and a document's score is exactly
 * MaxSim over its decoded residual vectors (tested).
 */
final class WarpSearch {
  private WarpSearch() {}

  /** Time of each step in ms, and what was read. */
  record Result(
      Candidates ranked,
      Map<String, Double> stepsMillis,
      long tokensScored,
      int listsRead,
      int listsSkipped) {}

  /** Buffers one searching thread reuses from query to query (no per-query allocation churn). */
  private static final class Scratch {
    int epoch;
    int[] stamp = new int[0];
    int[] slotOf = new int[0];
    int[] slotOrd = new int[64];
    float[] best = new float[0];
    int[] ords = new int[0];
    int[] slots = new int[0];
    byte[] gaps = new byte[0];
    float[] dots = new float[0];
    float[] impute = new float[0];
    long[] pairs = new long[0];
    int[] docs = new int[0];
    float[] scores = new float[0];

    void ordinals(int n) {
      if (stamp.length < n) {
        stamp = new int[n];
        slotOf = new int[n];
        epoch = 0;
      }
      if (++epoch == Integer.MAX_VALUE) {
        Arrays.fill(stamp, 0);
        epoch = 1;
      }
    }

    void query(int nq, int probes) {
      if (impute.length < nq) impute = new float[nq];
      if (pairs.length < nq * probes) pairs = new long[nq * probes];
    }

    void list(int n, int gapBytes) {
      if (ords.length < n) {
        ords = new int[n];
        slots = new int[n];
      }
      // Room for a padded rest block past the list's last full block.
      if (dots.length < n + ResidualBlocks.BLOCK) dots = new float[n + ResidualBlocks.BLOCK];
      if (gaps.length < gapBytes) gaps = new byte[gapBytes];
    }

    void results(int n) {
      if (docs.length < n) {
        docs = new int[n];
        scores = new float[n];
      }
    }
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  /** Search with the query's residual tables prepared here (tests, callers without a context). */
  static Result search(
      WarpIndex w, TokenMatrix query, VectorKernel kernel, WarpSettings s, FixedBitSet filter) {
    if (query.dim() != w.codebook.dim())
      throw new IllegalArgumentException(
          "query is " + query.dim() + "-d, the index " + w.codebook.dim() + "-d");
    return search(
        w, query.rows(), book -> kernel.prepareResidual(query, book), kernel, s, filter, null);
  }

  /**
   * Search with the query's residual tables from {@code prepare} (a {@link
   * dev.latte.searcher.QueryContext}'s cache, so that rescoring over the same codebook reuses them:
   * one query x centroid GEMM per query, not two). A sharded index's parts are scanned on {@code
   * fanOut}'s threads (null: one after the other on this thread).
   */
  static Result search(
      WarpIndex w,
      int nq,
      Function<ResidualCodebook, ResidualQuery> prepare,
      VectorKernel kernel,
      WarpSettings s,
      FixedBitSet filter,
      ShardFanOut fanOut) {
    int k = w.centroids();
    Map<String, Double> steps = new LinkedHashMap<>();
    if (nq == 0 || k == 0 || w.ordinals() == 0)
      return new Result(new Candidates(new int[0], new float[0]), steps, 0, 0, 0);
    long t0 = System.nanoTime();
    ResidualQuery q = prepare.apply(w.codebook);
    if (q.dim() != w.codebook.dim())
      throw new IllegalArgumentException(
          "query is " + q.dim() + "-d, the index " + w.codebook.dim() + "-d");
    float[] cs = q.centroidScores();
    long t1 = System.nanoTime();

    // select: probes per query token, imputed value, bound; the probed (centroid, query token)
    // pairs sorted by centroid so that each list is read once for all the tokens probing it.
    Scratch sc = SCRATCH.get();
    int p = Math.min(s.probes(), k);
    sc.query(nq, p);
    int[] chosen = new int[Math.min(p + 1, k)];
    float[] impute = sc.impute;
    long[] pairs = sc.pairs;
    int npairs = 0;
    int skipped = 0;
    for (int i = 0; i < nq; i++) {
      int base = i * k;
      LargestIndices.of(cs, base, k, chosen);
      float m = Float.NaN;
      long walked = 0;
      for (int j = 0; j < p && Float.isNaN(m); j++) {
        walked += w.listSize(chosen[j]);
        if (walked >= s.imputeTokens()) m = cs[base + chosen[j]];
      }
      // Every list probed: nothing is missing, so m only has to lie below every score.
      if (Float.isNaN(m)) m = p < k ? cs[base + chosen[p]] : Float.NEGATIVE_INFINITY;
      impute[i] = m;
      for (int j = 0; j < p; j++) {
        int c = chosen[j];
        if (w.listSize(c) == 0) continue;
        if (w.bound(cs[base + c], c) <= m) {
          skipped++;
          continue;
        }
        pairs[npairs++] = ((long) c << 32) | i;
      }
    }
    Arrays.sort(pairs, 0, npairs);
    long t2 = System.nanoTime();

    if (w.shards.isEmpty()) {
      Part part = scan(w, pairs, npairs, q, cs, k, nq, impute, filter, s.depth(), kernel);
      steps.put("prepare", (t1 - t0) / 1e6);
      steps.put("select", (t2 - t1) / 1e6);
      part.timeInto(steps);
      return new Result(part.top, steps, part.scored, part.read, skipped + part.skipped);
    }
    // A sharded index: every shard scans the selected lists of its own part on the fan-out's
    // threads (the selection above is over all shards, so each part imputes what one index
    // would), then one merge of the parts' tops: a document's score needs only its own shard.
    int npairsFinal = npairs;
    long[] pairsFinal = pairs;
    List<WarpIndex> shards = w.shards;
    ShardFanOut.Part<Part> scanShard =
        i ->
            scan(
                shards.get(i),
                pairsFinal,
                npairsFinal,
                q,
                cs,
                k,
                nq,
                impute,
                filter,
                s.depth(),
                kernel);
    List<Part> parts;
    try {
      if (fanOut != null) parts = fanOut.map(shards.size(), scanShard);
      else {
        parts = new ArrayList<>();
        for (int i = 0; i < shards.size(); i++) parts.add(scanShard.run(i));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // scans read memory only; the fan-out's contract
    }
    long t3 = System.nanoTime();
    int total = 0;
    for (Part part : parts) total += part.top.docs().length;
    int[] docs = new int[total];
    float[] scores = new float[total];
    int at = 0;
    long scored = 0;
    int read = 0;
    Part sum = new Part(null, 0, 0, 0, 0, 0, 0, 0);
    for (Part part : parts) {
      System.arraycopy(part.top.docs(), 0, docs, at, part.top.docs().length);
      System.arraycopy(part.top.scores(), 0, scores, at, part.top.docs().length);
      at += part.top.docs().length;
      sum = sum.plus(part);
    }
    Candidates ranked = top(docs, scores, total, s.depth());
    long t4 = System.nanoTime();
    steps.put("prepare", (t1 - t0) / 1e6);
    steps.put("select", (t2 - t1) / 1e6);
    sum.timeInto(steps); // CPU work summed over the shards' parts
    steps.put("shards", (t3 - t2) / 1e6); // wall time of the parallel scans
    steps.put("merge", (t4 - t3) / 1e6);
    return new Result(ranked, steps, sum.scored, sum.read, skipped + sum.skipped);
  }

  /**
   * What one part's scan found: its best {@code depth} (main doc ids, scores summed with the
   * imputation), its steps' times in ns, tokens scored, lists read and lists its own bound skipped.
   */
  private record Part(
      Candidates top,
      long decodeNs,
      long scoreNs,
      long reduceNs,
      long sumNs,
      long scored,
      int read,
      int skipped) {
    Part plus(Part o) {
      return new Part(
          null,
          decodeNs + o.decodeNs,
          scoreNs + o.scoreNs,
          reduceNs + o.reduceNs,
          sumNs + o.sumNs,
          scored + o.scored,
          read + o.read,
          skipped + o.skipped);
    }

    void timeInto(Map<String, Double> steps) {
      steps.put("decode", decodeNs / 1e6);
      steps.put("score", scoreNs / 1e6);
      steps.put("reduce", reduceNs / 1e6);
      steps.put("sum", sumNs / 1e6);
    }
  }

  /**
   * decode, score, reduce and sum over one index (or one shard's part) for the selected (centroid,
   * query token) pairs, sorted by centroid. A pair whose list here cannot beat the imputed value
   * (this part's largest residual norm of the list: at most the whole's) is skipped unread — it
   * would change no score, so the skip is exact.
   */
  private static Part scan(
      WarpIndex w,
      long[] pairs,
      int npairs,
      ResidualQuery q,
      float[] cs,
      int k,
      int nq,
      float[] impute,
      FixedBitSet filter,
      int depth,
      VectorKernel kernel) {
    int stride = w.stride();
    Scratch sc = SCRATCH.get();
    sc.ordinals(w.ordinals());
    int epoch = sc.epoch;
    int used = 0;
    long decodeNs = 0, scoreNs = 0, reduceNs = 0, scored = 0;
    int read = 0, skipped = 0;
    for (int pi = 0; pi < npairs; ) {
      int c = (int) (pairs[pi] >>> 32);
      int pend = pi;
      while (pend < npairs && (int) (pairs[pend] >>> 32) == c) pend++;
      int nBase = w.lists == null ? 0 : w.lists.size(c);
      int nTail = w.tailStart[c + 1] - w.tailStart[c];
      int n = nBase + nTail;
      boolean any = false;
      for (int x = pi; x < pend && !any; x++) {
        int i = (int) pairs[x];
        any = w.bound(cs[i * k + c], c) > impute[i];
      }
      if (n == 0 || !any) {
        if (n > 0) skipped += pend - pi;
        pi = pend;
        continue;
      }
      long a = System.nanoTime();
      sc.list(n, w.lists == null ? 0 : w.lists.ordinalBytes(c));
      if (nBase > 0) w.lists.ordinals(c, sc.ords, sc.gaps);
      if (nTail > 0) System.arraycopy(w.tailOrds, w.tailStart[c], sc.ords, nBase, nTail);
      // Each token's document slot (-1: deleted, replaced or filtered out).
      for (int t = 0; t < n; t++) {
        int o = sc.ords[t];
        int main = w.mainOf[o];
        if (main < 0 || (filter != null && !filter.get(main))) {
          sc.slots[t] = -1;
          continue;
        }
        if (sc.stamp[o] != epoch) {
          sc.stamp[o] = epoch;
          sc.slotOf[o] = used;
          if (sc.slotOrd.length <= used) sc.slotOrd = Arrays.copyOf(sc.slotOrd, used * 2);
          sc.slotOrd[used] = o;
          if (sc.best.length < (used + 1) * nq)
            sc.best = Arrays.copyOf(sc.best, Math.max((used + 1) * nq, sc.best.length * 2));
          Arrays.fill(sc.best, used * nq, (used + 1) * nq, Float.NEGATIVE_INFINITY);
          used++;
        }
        sc.slots[t] = sc.slotOf[o];
      }
      read++;
      long b = System.nanoTime();
      decodeNs += b - a;
      for (; pi < pend; pi++) {
        int i = (int) pairs[pi];
        float qc = cs[i * k + c];
        if (w.bound(qc, c) <= impute[i]) {
          skipped++;
          continue;
        }
        long b0 = System.nanoTime();
        // Scored in place from the mapped file (and the live-derived tail), no copy.
        if (stride > 0) {
          // The file's list in its full blocks, then its rest as one padded block (written
          // past n, scratch room), then the live-derived tail over the padding.
          int full = nBase - nBase % ResidualBlocks.BLOCK;
          if (full > 0)
            kernel.residualDotsBlocked(
                q, i, qc, w.lists.segment(), w.lists.codeOffset(c), full, sc.dots, 0);
          if (full < nBase)
            kernel.residualDotsBlocked(
                q, i, qc, w.rests, w.restAt[c], ResidualBlocks.BLOCK, sc.dots, full);
          if (nTail > 0)
            kernel.residualDotsBlocked(
                q, i, qc, w.tailCodes, (long) w.tailStart[c] * stride, nTail, sc.dots, nBase);
        } else Arrays.fill(sc.dots, 0, n, qc); // ordinals only: a token scores its centroid
        long b1 = System.nanoTime();
        float[] best = sc.best;
        for (int t = 0; t < n; t++) {
          int slot = sc.slots[t];
          if (slot < 0) continue;
          int at = slot * nq + i;
          float v = sc.dots[t]; // s (q_i·c + q_i·r), from the kernel
          if (v > best[at]) best[at] = v;
        }
        scoreNs += b1 - b0;
        reduceNs += System.nanoTime() - b1;
        scored += n;
      }
    }
    long t3 = System.nanoTime();

    // sum: stage two of the reduction, with imputation; then the top depth.
    sc.results(used);
    float[] scores = sc.scores;
    int[] docs = sc.docs;
    int out = 0;
    float[] best = sc.best;
    for (int slot = 0; slot < used; slot++) {
      boolean retrieved = false;
      float total = 0;
      int at = slot * nq;
      for (int i = 0; i < nq; i++) {
        float v = best[at + i];
        if (v > impute[i]) {
          total += v;
          retrieved = true;
        } else {
          total += impute[i];
        }
      }
      if (!retrieved) continue;
      docs[out] = w.mainOf[sc.slotOrd[slot]];
      scores[out++] = total;
    }
    Candidates ranked = top(docs, scores, out, depth);
    long sumNs = System.nanoTime() - t3;
    return new Part(ranked, decodeNs, scoreNs, reduceNs, sumNs, scored, read, skipped);
  }

  /**
   * The best {@code depth} of the first n, best first (equal scores: smaller doc id first), and
   * every other document tied with the last of them: a tie at the cut is kept whole, so which
   * documents pass does not depend on doc ids (the order documents reached the index, shard order
   * in a merge), as {@link Candidates#topKeepingTies} does for the other first stages.
   */
  static Candidates top(int[] docs, float[] scores, int n, int depth) {
    Candidates best = heapTop(docs, scores, n, depth);
    int m = best.docs().length;
    if (m == 0 || m >= n) return best;
    float cut = best.scores()[m - 1];
    int tiedIn = 0, tiedAll = 0;
    for (int r = m - 1; r >= 0 && best.scores()[r] == cut; r--) tiedIn++;
    for (int j = 0; j < n; j++) if (scores[j] == cut) tiedAll++;
    if (tiedAll == tiedIn) return best;
    // Those above the cut as they are, then the whole tie by doc id.
    int above = m - tiedIn;
    int[] d = Arrays.copyOf(best.docs(), above + tiedAll);
    float[] sc = Arrays.copyOf(best.scores(), above + tiedAll);
    int at = above;
    for (int j = 0; j < n; j++) if (scores[j] == cut) d[at++] = docs[j];
    Arrays.sort(d, above, at);
    Arrays.fill(sc, above, at, cut);
    return new Candidates(d, sc);
  }

  private static Candidates heapTop(int[] docs, float[] scores, int n, int depth) {
    int m = Math.min(depth, n);
    // Min-heap of the best m positions.
    int[] heap = new int[m];
    int size = 0;
    for (int j = 0; j < n; j++) {
      if (size < m) {
        heap[size] = j;
        siftUp(heap, size++, docs, scores);
      } else if (m > 0 && better(j, heap[0], docs, scores)) {
        heap[0] = j;
        siftDown(heap, m, docs, scores);
      }
    }
    int[] d = new int[size];
    float[] sOut = new float[size];
    for (int r = size - 1; r >= 0; r--) {
      int j = heap[0];
      d[r] = docs[j];
      sOut[r] = scores[j];
      heap[0] = heap[r];
      siftDown(heap, r, docs, scores);
    }
    return new Candidates(d, sOut);
  }

  private static boolean better(int a, int b, int[] docs, float[] scores) {
    return scores[a] != scores[b] ? scores[a] > scores[b] : docs[a] < docs[b];
  }

  private static void siftUp(int[] h, int at, int[] docs, float[] scores) {
    while (at > 0) {
      int parent = (at - 1) >>> 1;
      if (!better(h[parent], h[at], docs, scores)) break;
      int t = h[parent];
      h[parent] = h[at];
      h[at] = t;
      at = parent;
    }
  }

  private static void siftDown(int[] h, int size, int[] docs, float[] scores) {
    int at = 0;
    while (true) {
      int l = 2 * at + 1, r = l + 1, worst = at;
      if (l < size && better(h[worst], h[l], docs, scores)) worst = l;
      if (r < size && better(h[worst], h[r], docs, scores)) worst = r;
      if (worst == at) return;
      int t = h[worst];
      h[worst] = h[at];
      h[at] = t;
      at = worst;
    }
  }
}
