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
   * Depth 1000; fusion weight chosen on SciFact's train split (see the README's results section).
   */
  public static final SearchSettings DEFAULT = new SearchSettings(1000, 0.5f);

  public SearchSettings {
    if (firstStageDepth < 1) throw new IllegalArgumentException("first-stage depth must be >= 1, got " + firstStageDepth);
    if (!(linearFusionWeight >= 0 && linearFusionWeight <= 1)) {
      throw new IllegalArgumentException("fusion weight must be in [0, 1], got " + linearFusionWeight);
    }
  }

  public SearchSettings withLinearFusionWeight(float w) {
    return new SearchSettings(firstStageDepth, w);
  }
}
