package dev.latte.searcher;

import java.util.List;
import java.util.Map;

/**
 * What a method returned and what it cost: top documents best first, how many candidates were
 * scored by late interaction, and the time of each stage (excluding query encoding); {@code
 * stepsMillis} breaks the stages down further where a method times its own steps (WARP: prepare,
 * select, decode, score, reduce, sum, rescore), empty otherwise.
 */
public record MethodResult(
    List<ScoredDoc> docs,
    long candidatesScored,
    double firstStageMillis,
    double rescoreMillis,
    Map<String, Double> stepsMillis) {
  public MethodResult {
    stepsMillis = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(stepsMillis));
  }

  public MethodResult(
      List<ScoredDoc> docs, long candidatesScored, double firstStageMillis, double rescoreMillis) {
    this(docs, candidatesScored, firstStageMillis, rescoreMillis, Map.of());
  }

  public double searchMillis() {
    return firstStageMillis + rescoreMillis;
  }
}
