package dev.latte.searcher;

/**
 * Tunables of the search methods.
 *
 * @param firstStageDepth candidates BM25 hands to MaxSim rescoring and to fusion
 * @param linearFusionWeight weight of the min-max normalised MaxSim score in {@code hybrid-linear};
 *     BM25 gets the rest
 * @param rescoreDepth candidates the vector first stages ({@code xtr}, {@code coil}, {@code slim},
 *     {@code lucene-stock}) hand to exact MaxSim in their {@code +maxsim} methods, and that {@code
 *     slim} refines
 * @param xtrProbes centroids probed per query token by the XTR token retrieval
 * @param xtrTokenDepth k': documents retrieved per query token by XTR (each by its best token); the
 *     k'-th score is the imputed score of every other document for that query token
 */
public record SearchSettings(
    int firstStageDepth,
    float linearFusionWeight,
    int rescoreDepth,
    int xtrProbes,
    int xtrTokenDepth) {
  /**
   * Depth 1000. Fusion weight 0.9, chosen on SciFact's 809 train queries (bundled model): nDCG@10
   * 0.7148 / 0.7349 / 0.7454 / 0.7527 / 0.7686 / 0.7692 / 0.7703 / 0.7665 / 0.7626 at weights 0.2 /
   * 0.4 / 0.5 / 0.6 / 0.8 / 0.85 / 0.9 / 0.95 / 1.0 (BM25 alone 0.6974, exact MaxSim 0.7602).
   */
  /*
   * XTR and rescoring depth, chosen on the same train queries (xtr+maxsim nDCG@10, exact 0.7602):
   * probes 4 / 8 / 16 with k' 100: 0.7587 / 0.7606 / 0.7606; with k' 1000: 0.7558 / 0.7570 /
   * 0.7567 (XTR alone is best at k' 100 too: 0.7138 / 0.7328 / 0.7465). Rescoring depth 50 / 100:
   * xtr+maxsim 0.7521 / 0.7570, hybrid-xtr 0.7682 / 0.7676, lucene-stock 0.7553 / 0.7594.
   */
  public static final SearchSettings DEFAULT = new SearchSettings(1000, 0.9f, 100, 8, 100);

  public SearchSettings(int firstStageDepth, float linearFusionWeight) {
    this(
        firstStageDepth,
        linearFusionWeight,
        DEFAULT.rescoreDepth,
        DEFAULT.xtrProbes,
        DEFAULT.xtrTokenDepth);
  }

  public SearchSettings {
    if (firstStageDepth < 1)
      throw new IllegalArgumentException("first-stage depth must be >= 1, got " + firstStageDepth);
    if (!(linearFusionWeight >= 0 && linearFusionWeight <= 1)) {
      throw new IllegalArgumentException(
          "fusion weight must be in [0, 1], got " + linearFusionWeight);
    }
    if (rescoreDepth < 1)
      throw new IllegalArgumentException("rescore depth must be >= 1, got " + rescoreDepth);
    if (xtrProbes < 1)
      throw new IllegalArgumentException("xtr probes must be >= 1, got " + xtrProbes);
    if (xtrTokenDepth < 1)
      throw new IllegalArgumentException("xtr token depth must be >= 1, got " + xtrTokenDepth);
  }

  public SearchSettings withLinearFusionWeight(float w) {
    return new SearchSettings(firstStageDepth, w, rescoreDepth, xtrProbes, xtrTokenDepth);
  }

  public SearchSettings withRescoreDepth(int d) {
    return new SearchSettings(firstStageDepth, linearFusionWeight, d, xtrProbes, xtrTokenDepth);
  }

  public SearchSettings withXtr(int probes, int tokenDepth) {
    return new SearchSettings(
        firstStageDepth, linearFusionWeight, rescoreDepth, probes, tokenDepth);
  }
}
