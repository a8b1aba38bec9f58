package dev.latte.searcher.firststage.warp;

import dev.latte.searcher.firststage.FirstStageContract;

/**
 * The first-stage contract for WARP (its definition against brute force is in {@code
 * WarpSearchTest}).
 */
class WarpStageTest extends FirstStageContract {
  @Override
  protected String stage() {
    return "warp";
  }
}
