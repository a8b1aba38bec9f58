package dev.latte.searcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TopKTest {
  @Test
  void matchesAFullSortIncludingTies() {
    Random rnd = new Random(7);
    for (int k : new int[] {1, 3, 10, 100}) {
      TopK top = new TopK(k);
      List<ScoredDoc> all = new ArrayList<>();
      for (int doc = 0; doc < 500; doc++) {
        float score = rnd.nextInt(40) / 4f; // many ties
        all.add(new ScoredDoc(doc, score));
        top.offer(doc, score);
      }
      all.sort(Comparator.comparing(ScoredDoc::score).reversed().thenComparing(ScoredDoc::doc));
      assertEquals(all.subList(0, k), top.results(), "k=" + k);
    }
  }
}
