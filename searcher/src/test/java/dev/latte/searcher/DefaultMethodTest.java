package dev.latte.searcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

class DefaultMethodTest {
  @Test
  void fastestMethodTheIndexCanAnswer() {
    assertEquals("hybrid-rrf", DefaultMethod.forReadyFirstStages(Set.of()));
    assertEquals("hybrid-rrf", DefaultMethod.forReadyFirstStages(Set.of("coil", "slim")));
    assertEquals("lucene-stock", DefaultMethod.forReadyFirstStages(Set.of("lucene-stock")));
    assertEquals("xtr+maxsim", DefaultMethod.forReadyFirstStages(Set.of("xtr")));
    // What ./latte index builds by default.
    assertEquals("warp+maxsim", DefaultMethod.forReadyFirstStages(Set.of("warp")));
    assertEquals("xtr+maxsim", DefaultMethod.forReadyFirstStages(Set.of("warp", "xtr")));
    assertEquals(
        "xtr+maxsim",
        DefaultMethod.forReadyFirstStages(Set.of("coil", "lucene-stock", "slim", "xtr")));
  }

  @Test
  void everyPreferenceIsAMethodTheSearcherAnswers() {
    for (DefaultMethod.Choice c : DefaultMethod.PREFERENCE) {
      assertTrue(LatteSearcher.methodNames().contains(c.method()), c.method());
      if (c.firstStage() != null)
        assertTrue(
            dev.latte.searcher.firststage.FirstStages.builders().containsKey(c.firstStage()),
            c.firstStage());
    }
  }
}
