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
 * @param stageParameters values of first-stage parameters given by the user, by {@code STAGE.NAME}
 *     ({@link dev.latte.searcher.firststage.StageParameter}); a stage reads its own with {@link
 *     #stageParameter} and gets its declared default for the others
 */
public record SearchSettings(
    int firstStageDepth,
    float linearFusionWeight,
    int rescoreDepth,
    java.util.Map<String, Integer> stageParameters) {
  /**
   * Depth 1000. Fusion weight 0.9, chosen on SciFact's 809 train queries (bundled model): nDCG@10
   * 0.7148 / 0.7349 / 0.7454 / 0.7527 / 0.7686 / 0.7692 / 0.7703 / 0.7665 / 0.7626 at weights 0.2 /
   * 0.4 / 0.5 / 0.6 / 0.8 / 0.85 / 0.9 / 0.95 / 1.0 (BM25 alone 0.6974, exact MaxSim 0.7602).
   */
  /*
   * Rescoring depth, chosen on the same train queries: 50 / 100: xtr+maxsim 0.7521 / 0.7570,
   * hybrid-xtr 0.7682 / 0.7676, lucene-stock 0.7553 / 0.7594. Each first stage's own parameters and
   * how they were chosen: its FirstStage class.
   */
  public static final SearchSettings DEFAULT =
      new SearchSettings(1000, 0.9f, 100, java.util.Map.of());

  public SearchSettings(int firstStageDepth, float linearFusionWeight) {
    this(firstStageDepth, linearFusionWeight, DEFAULT.rescoreDepth, DEFAULT.stageParameters);
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
    stageParameters = java.util.Map.copyOf(stageParameters);
  }

  /** The value of {@code stage}'s parameter {@code p}: the user's if given, else its default. */
  public int stageParameter(String stage, dev.latte.searcher.firststage.StageParameter p) {
    Integer v = stageParameters.get(stage + "." + p.name());
    return v == null ? p.defaultValue() : p.check(stage, v);
  }

  public SearchSettings withLinearFusionWeight(float w) {
    return new SearchSettings(firstStageDepth, w, rescoreDepth, stageParameters);
  }

  public SearchSettings withRescoreDepth(int d) {
    return new SearchSettings(firstStageDepth, linearFusionWeight, d, stageParameters);
  }

  /**
   * With first-stage parameter values by {@code STAGE.NAME} (checked against the registry by {@link
   * dev.latte.searcher.firststage.FirstStages#checkParameters}).
   */
  public SearchSettings withStageParameters(java.util.Map<String, Integer> values) {
    return new SearchSettings(firstStageDepth, linearFusionWeight, rescoreDepth, values);
  }
}
