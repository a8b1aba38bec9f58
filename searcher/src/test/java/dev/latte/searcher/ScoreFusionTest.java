package dev.latte.searcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The fusion functions on hand-computed pools, including candidates BM25 did not retrieve. */
class ScoreFusionTest {
  @Test
  void zScoreStandardisesEachListAndGivesUnretrievedTheLowestBm25() {
    float[] bm25 = {10, 6, Float.NaN, 2};
    float[] maxSim = {20, 22, 24, 18};
    float[] fused = new ScoreFusion.ZScore(0.85f).fuse(bm25, maxSim);
    // BM25 with the NaN as 2: {10, 6, 2, 2}, mean 5, population sd sqrt(11).
    double sdB = Math.sqrt(11),
        sdM = Math.sqrt(5); // maxsim mean 21, deviations 1, 1, 3, 3 -> var 5
    double[] zb = {5 / sdB, 1 / sdB, -3 / sdB, -3 / sdB};
    double[] zm = {-1 / sdM, 1 / sdM, 3 / sdM, -3 / sdM};
    for (int i = 0; i < 4; i++) assertEquals(0.85 * zm[i] + 0.15 * zb[i], fused[i], 1e-6, "" + i);
    // Scale and shift of either list change nothing.
    float[] bm25Scaled = {110, 66, Float.NaN, 22}, maxSimShifted = {120, 122, 124, 118};
    float[] again = new ScoreFusion.ZScore(0.85f).fuse(bm25Scaled, maxSimShifted);
    for (int i = 0; i < 4; i++) assertEquals(fused[i], again[i], 1e-5, "" + i);
  }

  @Test
  void equalScoresStandardiseToZeroAndNoBm25AtAllLeavesMaxSim() {
    float[] fused =
        new ScoreFusion.ZScore(0.5f).fuse(new float[] {Float.NaN, Float.NaN}, new float[] {3, 1});
    assertArrayEquals(new float[] {0.5f, -0.5f}, fused, 1e-6f);
    assertArrayEquals(
        new float[] {0, 0},
        new ScoreFusion.ZScore(0.5f).fuse(new float[] {4, 4}, new float[] {2, 2}));
  }

  @Test
  void maxNormalisedKeepsTheNaturalZero() {
    float[] fused =
        new ScoreFusion.MaxNormalised(0.9f)
            .fuse(new float[] {8, 4, Float.NaN}, new float[] {10, 5, 9});
    assertArrayEquals(
        new float[] {0.9f * 1 + 0.1f * 1, 0.9f * 0.5f + 0.1f * 0.5f, 0.9f * 0.9f}, fused, 1e-6f);
  }

  @Test
  void weightsOutsideTheUnitIntervalAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new ScoreFusion.ZScore(1.5f));
    assertThrows(IllegalArgumentException.class, () -> new ScoreFusion.MaxNormalised(-0.1f));
    assertThrows(IllegalArgumentException.class, () -> new ScoreFusion.ZScore(Float.NaN));
  }
}
