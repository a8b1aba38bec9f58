package dev.latte.searcher.firststage.slim;

import dev.latte.searcher.firststage.FirstStageContract;

/**
 * The first-stage contract for SLIM (its definition against brute force is in {@code
 * FirstStageApproximationTest}).
 */
class SlimStageTest extends FirstStageContract {
  @Override
  protected String stage() {
    return "slim";
  }
}
