package dev.latte.searcher;

import java.util.List;

/**
 * What a method returned and what it cost: top documents best first, how many candidates were
 * scored by late interaction, and the time of each stage (excluding query encoding).
 */
public record MethodResult(
    List<ScoredDoc> docs, long candidatesScored, double firstStageMillis, double rescoreMillis) {
  public double searchMillis() {
    return firstStageMillis + rescoreMillis;
  }
}
