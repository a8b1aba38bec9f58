package dev.latte.searcher.firststage.coil;

import dev.latte.searcher.firststage.FirstStageContract;

/**
 * The first-stage contract for COIL (its definition against brute force is in {@code
 * FirstStageApproximationTest}).
 */
class CoilStageTest extends FirstStageContract {
  @Override
  protected String stage() {
    return "coil";
  }
}
