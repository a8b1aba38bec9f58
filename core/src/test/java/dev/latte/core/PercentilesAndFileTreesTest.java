package dev.latte.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PercentilesAndFileTreesTest {

  @Test
  void nearestRankOnHandCheckedSamples() {
    double[] v = new double[100];
    for (int i = 0; i < 100; i++) v[i] = 100 - i; // unsorted on purpose
    assertEquals(50, Percentiles.nearestRank(v, 50));
    assertEquals(95, Percentiles.nearestRank(v, 95));
    assertEquals(100, Percentiles.nearestRank(v, 100));
    assertEquals(1, Percentiles.nearestRank(v, 0));
    double[] five = {50, 10, 40, 20, 30};
    assertEquals(30, Percentiles.nearestRank(five, 50)); // rank ceil(2.5) = 3
    assertEquals(50, Percentiles.nearestRank(five, 95)); // rank ceil(4.75) = 5
    assertEquals(20, Percentiles.nearestRank(five, 40)); // rank 2 exactly
    assertEquals(10, five[1], "the input is not sorted in place");
    assertTrue(Double.isNaN(Percentiles.nearestRank(new double[0], 50)));
    assertThrows(IllegalArgumentException.class, () -> Percentiles.nearestRank(five, 101));
  }

  @Test
  void deleteRecursivelyRemovesATreeAndToleratesAMissingOne(@TempDir Path tmp) throws Exception {
    Path root = tmp.resolve("a");
    Files.createDirectories(root.resolve("b/c"));
    Files.writeString(root.resolve("b/c/file"), "x");
    Files.writeString(root.resolve("top"), "y");
    Path outside = Files.writeString(tmp.resolve("keep"), "z");
    FileTrees.deleteRecursively(root);
    assertFalse(Files.exists(root));
    assertTrue(Files.exists(outside));
    FileTrees.deleteRecursively(root); // already gone: nothing to do
  }

  @Test
  void bytesSumsEveryFileBelowAFolder(@TempDir Path tmp) throws Exception {
    Path root = tmp.resolve("index");
    Files.createDirectories(root.resolve("latte-xtr"));
    Files.write(root.resolve("_0.cfs"), new byte[1000]);
    Files.write(root.resolve("latte-xtr/lists"), new byte[234]);
    Files.write(tmp.resolve("beside"), new byte[99]);
    assertEquals(1234, FileTrees.bytes(root));
    assertEquals(234, FileTrees.bytes(root.resolve("latte-xtr")));
    assertEquals(0, FileTrees.bytes(tmp.resolve("missing")));
  }
}
