package dev.latte.searcher.firststage.stock;

import dev.latte.searcher.firststage.FirstStageContract;

/**
 * The first-stage contract for stock Lucene (its definition against brute force is in {@code
 * FirstStageApproximationTest}).
 */
class LuceneStockStageTest extends FirstStageContract {
  @Override
  protected String stage() {
    return "lucene-stock";
  }
}
