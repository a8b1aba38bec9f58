package dev.latte.searcher;

/**
 * Tunables of the search methods.
 *
 * @param firstStageDepth candidates a first stage hands to MaxSim rescoring (and fusion)
 * @param linearFusionWeight weight of the min-max normalised MaxSim score in {@code hybrid-linear};
 *     BM25 gets the rest
 */
public record SearchSettings(int firstStageDepth, float linearFusionWeight) {
  /**
   * Depth 1000. Fusion weight 0.9, chosen on SciFact's 809 train queries (bundled model): nDCG@10
   * 0.7148 / 0.7349 / 0.7454 / 0.7527 / 0.7686 / 0.7692 / 0.7703 / 0.7665 / 0.7626 at weights 0.2 /
   * 0.4 / 0.5 / 0.6 / 0.8 / 0.85 / 0.9 / 0.95 / 1.0 (BM25 alone 0.6974, exact MaxSim 0.7602).
   */
  public static final SearchSettings DEFAULT = new SearchSettings(1000, 0.9f);

  public SearchSettings {
    if (firstStageDepth < 1)
      throw new IllegalArgumentException("first-stage depth must be >= 1, got " + firstStageDepth);
    if (!(linearFusionWeight >= 0 && linearFusionWeight <= 1)) {
      throw new IllegalArgumentException(
          "fusion weight must be in [0, 1], got " + linearFusionWeight);
    }
  }

  public SearchSettings withLinearFusionWeight(float w) {
    return new SearchSettings(firstStageDepth, w);
  }
}
