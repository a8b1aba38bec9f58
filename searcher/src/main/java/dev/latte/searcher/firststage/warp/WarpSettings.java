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
   * <p>Depth 32 (session 3, SciFact train, Vector API list scan): {@code warp+maxsim} 0.7598 at
   * depth 32 vs 0.7591 at 100 (float32 main index, 2-bit lists) and 0.7526 vs 0.7519 (residual-2-p2
   * main index, its own 2-bit codes in the lists), for a third of the rescoring (float32: rescore
   * p50 2.35 vs 12.9 ms on a loaded machine).
   */
  public static final WarpSettings DEFAULT = new WarpSettings(4, 100_000, 32);

  public WarpSettings {
    if (probes < 1) throw new IllegalArgumentException("WARP probes must be >= 1, got " + probes);
    if (imputeTokens < 1)
      throw new IllegalArgumentException("WARP t' must be >= 1, got " + imputeTokens);
    if (depth < 1) throw new IllegalArgumentException("WARP depth must be >= 1, got " + depth);
  }
}
