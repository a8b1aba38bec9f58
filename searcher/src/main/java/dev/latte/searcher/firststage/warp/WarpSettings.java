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
   * <p>Depth stays 100 although depth 32 scored the same nDCG@10 on SciFact train in session 3
   * ({@code warp+maxsim} 0.7598 vs 0.7591 on a float32 main index, 0.7526 vs 0.7519 on
   * residual-2-p2) for a third of the rescoring: on the clustered synthetic collection of {@code
   * PrecomputedVectorsIndexTest} depth 32 drops recall@10 of exact from 0.896 to 0.644, so it does
   * not carry over; {@code --stage-param warp.depth=32} sets it.
   */
  public static final WarpSettings DEFAULT = new WarpSettings(4, 100_000, 100);

  public WarpSettings {
    if (probes < 1) throw new IllegalArgumentException("WARP probes must be >= 1, got " + probes);
    if (imputeTokens < 1)
      throw new IllegalArgumentException("WARP t' must be >= 1, got " + imputeTokens);
    if (depth < 1) throw new IllegalArgumentException("WARP depth must be >= 1, got " + depth);
  }
}
