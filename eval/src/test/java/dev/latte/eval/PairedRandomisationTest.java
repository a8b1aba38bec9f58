package dev.latte.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PairedRandomisationTest {
  @Test
  void identicalSystemsAreNeverSignificant() {
    double[] a = {0.1, 0.5, 0.9, 0.3};
    assertEquals(1.0, PairedRandomisation.pValue(a, a.clone()), 1e-12);
  }

  @Test
  void aConsistentGainOnManyQueriesIsSignificantAndNoiseIsNot() {
    int n = 100;
    double[] a = new double[n], b = new double[n], c = new double[n];
    for (int i = 0; i < n; i++) {
      b[i] = (i % 10) / 10.0;
      a[i] = b[i] + 0.05; // better on every query
      c[i] = b[i] + (i % 2 == 0 ? 0.05 : -0.05); // as often better as worse
    }
    double p = PairedRandomisation.pValue(a, b);
    // Every random assignment but the all-positive one is closer to 0: only the observed counts.
    assertEquals(1.0 / (PairedRandomisation.TRIALS + 1), p, 1e-12);
    assertTrue(PairedRandomisation.pValue(c, b) > 0.5);
    // Symmetric: which side is "a" does not matter.
    assertEquals(p, PairedRandomisation.pValue(b, a), 1e-12);
  }

  @Test
  void matchesTheExactPermutationDistributionOnFewQueries() {
    // Differences 1, 1, 1, -1: of the 16 sign assignments, those with |sum| >= 2 are the 2 with
    // sum ±4 and the 8 with sum ±2, so the exact two-sided p-value is 10/16.
    double[] a = {1, 1, 1, 0}, b = {0, 0, 0, 1};
    assertEquals(10 / 16.0, PairedRandomisation.pValue(a, b, 200_000, 7), 0.005);
  }

  @Test
  void refusesUnpairedInput() {
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> PairedRandomisation.pValue(new double[2], new double[3]));
    assertTrue(e.getMessage().contains("2 and 3"), e.getMessage());
  }
}
