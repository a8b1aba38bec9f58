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
  /** Chosen on SciFact's 809 train queries; see the README's WARP section. */
  public static final WarpSettings DEFAULT = new WarpSettings(8, 5000, 100);

  public WarpSettings {
    if (probes < 1) throw new IllegalArgumentException("WARP probes must be >= 1, got " + probes);
    if (imputeTokens < 1)
      throw new IllegalArgumentException("WARP t' must be >= 1, got " + imputeTokens);
    if (depth < 1) throw new IllegalArgumentException("WARP depth must be >= 1, got " + depth);
  }
}
