package dev.latte.searcher.firststage.xtr;

import dev.latte.searcher.firststage.FirstStageContract;

/**
 * The first-stage contract for XTR (its definition against brute force is in {@code
 * FirstStageApproximationTest}).
 */
class XtrStageTest extends FirstStageContract {
  @Override
  protected String stage() {
    return "xtr";
  }
}
