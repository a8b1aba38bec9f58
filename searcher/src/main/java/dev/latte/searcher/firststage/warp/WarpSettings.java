package dev.latte.searcher.firststage.warp;

/**
 * Tunables of WARP retrieval.
 *
 * @param probes centroids (lists) probed per query token, at most
 * @param imputeTokens WARP's t': per query token, walking its centroids best first, the score of
 *     the centroid at which the lists walked so far hold this many tokens is the imputed similarity
 *     of every document with no token retrieved for it (if the probed lists hold fewer, the best
 *     unprobed centroid's score); probed lists whose best possible token ({@code q·c} + the list's
 *     largest residual norm) cannot beat it are skipped unread
 * @param depth candidates handed on (to rescoring, or returned)
 */
public record WarpSettings(int probes, int imputeTokens, int depth) {
  /**
   * Chosen on SciFact's 809 train queries (exact MaxSim 0.7602, float32 index, 2-bit WARP lists):
   * {@code warp+maxsim} nDCG@10 0.7591 / 0.7595 / 0.7597 at 4 / 8 / 16 probes (t' 100,000, i.e. the
   * best unprobed centroid imputes), 0.7618 at 8 probes with t' 1,000; {@code warp} alone 0.7430 /
   * 0.7500 / 0.7508 (0.7455 at t' 1,000), so rescoring pays. 4 probes score half the tokens of 8
   * for 0.0004 less.
   *
   * <p>Depth 32, chosen on the same 809 train queries by the rule "the smallest depth within 0.001
   * nDCG@10 of the best depth" over 10 / 16 / 24 / 32 / 48 / 64 / 100 / 200 ({@code warp+maxsim} on
   * the residual-2-p2 default index, WarpBenchmark, session 4): 0.7554 / 0.7558 / 0.7566 / 0.7579 /
   * 0.7567 / 0.7570 / 0.7561 / 0.7563 (exact float 0.7602, exact MaxSim over the same codes
   * 0.7563). It rescores a third of depth 100's candidates. On the clustered synthetic collection
   * of {@code PrecomputedVectorsIndexTest} depth 32 keeps only 0.644 of exact's top 10 (0.900 at
   * 100): there WARP's scores between the 10th and the 100th candidate differ by less than its
   * approximation error, which real text does not show; that test sets its depth itself. {@code
   * --stage-param warp.depth=N} sets it.
   */
  public static final WarpSettings DEFAULT = new WarpSettings(4, 100_000, 32);

  public WarpSettings {
    if (probes < 1) throw new IllegalArgumentException("WARP probes must be >= 1, got " + probes);
    if (imputeTokens < 1)
      throw new IllegalArgumentException("WARP t' must be >= 1, got " + imputeTokens);
    if (depth < 1) throw new IllegalArgumentException("WARP depth must be >= 1, got " + depth);
  }
}
