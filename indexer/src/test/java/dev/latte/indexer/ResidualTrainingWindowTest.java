package dev.latte.indexer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.latte.core.TokenMatrix;
import dev.latte.datasets.Document;
import org.junit.jupiter.api.Test;

/** The residual writer's training window grows with the collection it expects, within a bound. */
class ResidualTrainingWindowTest {
  private static final int DIM = 8;

  @Test
  void theWindowHoldsThirtyTwoTokensPerCentroidOfTheXtrRuleWithinItsBounds() {
    // Unknown size (live writes) and small collections: the fixed minimum.
    assertEquals(ResidualTraining.WINDOW_TOKENS, ResidualTraining.windowTokens(0, 128));
    assertEquals(ResidualTraining.WINDOW_TOKENS, ResidualTraining.windowTokens(70_000, 128));
    // 10 M tokens: 16,384 centroids x 32 = 524,288 tokens (256 MiB of 128-d floats, the bound).
    assertEquals(16_384, ResidualTraining.centroids(10_000_000));
    assertEquals(524_288, ResidualTraining.windowTokens(10_000_000, 128));
    // SciFact's 1.08 M tokens: 4,096 x 32.
    assertEquals(131_072, ResidualTraining.windowTokens(1_080_000, 384));
    // Wider vectors hit the float bound first.
    assertEquals(
        ResidualTraining.MAX_WINDOW_FLOATS / 384, ResidualTraining.windowTokens(10_000_000, 384));
  }

  @Test
  void anExpectedDocumentCountSizesTheWindowFromThePositionPrefixsMeanLength() {
    ResidualTraining t = new ResidualTraining(2, DIM);
    // 40,000 documents of 100 tokens ~ 4 M tokens: 8,192 centroids, a 262,144-token window.
    t.expectDocuments(40_000);
    long window = ResidualTraining.windowTokens(4_000_000, DIM);
    assertEquals(262_144, window);
    // Position 0 arrives last: nothing counts until the prefix is contiguous.
    long held = 0;
    for (int p = 1; held + 100 < window; p++) {
      t.hold(held(p));
      held += 100;
    }
    assertFalse(t.full(), "the prefix has not started");
    t.hold(held(0));
    held += 100;
    assertTrue(held >= window && t.full(), "full once the prefix holds the window: " + held);
    assertEquals(window, t.window());
  }

  @Test
  void unknownSizeKeepsTheFixedWindow() {
    ResidualTraining t = new ResidualTraining(2, DIM);
    for (long tokens = 0; tokens < ResidualTraining.WINDOW_TOKENS; tokens += 64) {
      assertFalse(t.full());
      t.hold(heldUnpositioned(64));
    }
    assertTrue(t.full());
  }

  private static ResidualTraining.Held held(int position) {
    return new ResidualTraining.Held(
        new Document("d" + position, "", "t"),
        new TokenMatrix(new float[100 * DIM], 100, DIM),
        null,
        null,
        100,
        position);
  }

  private static ResidualTraining.Held heldUnpositioned(int rows) {
    return new ResidualTraining.Held(
        new Document("x", "", "t"),
        new TokenMatrix(new float[rows * DIM], rows, DIM),
        null,
        null,
        rows,
        -1);
  }
}
