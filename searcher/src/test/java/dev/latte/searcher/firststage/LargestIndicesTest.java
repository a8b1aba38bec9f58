package dev.latte.searcher.firststage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class LargestIndicesTest {
  @Test
  void equalsAStableSortDescendingOnRandomValuesWithTies() {
    Random rnd = new Random(3);
    for (int trial = 0; trial < 500; trial++) {
      int n = 1 + rnd.nextInt(40);
      int from = rnd.nextInt(5);
      int p = 1 + rnd.nextInt(n);
      float[] v = new float[from + n];
      for (int i = 0; i < v.length; i++) v[i] = rnd.nextInt(6) - 2.5f; // few values: many ties
      int[] got = new int[p];
      LargestIndices.of(v, from, n, got);
      int[] want =
          IntStream.range(0, n)
              .boxed()
              .sorted(Comparator.comparingDouble((Integer j) -> -v[from + j]))
              .limit(p)
              .mapToInt(Integer::intValue)
              .toArray();
      assertArrayEquals(want, got, "trial " + trial);
    }
  }
}
