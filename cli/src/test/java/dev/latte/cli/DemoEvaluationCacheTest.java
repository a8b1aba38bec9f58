package dev.latte.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoEvaluationCacheTest {
  @TempDir Path tmp;

  @Test
  void theKeyChangesWithEveryInputThatCanChangeAFigure() throws Exception {
    Path index = Files.createDirectories(tmp.resolve("index"));
    Files.writeString(index.resolve("segments_1"), "commit");
    Files.createDirectories(index.resolve("latte-xtr"));
    Files.writeString(index.resolve("latte-xtr/centroids.npy"), "c");
    Path dataset = Files.createDirectories(tmp.resolve("scifact"));
    Files.writeString(dataset.resolve("queries.jsonl"), "q1");
    Path classes = Files.createDirectories(tmp.resolve("classes/dev/latte"));
    Files.writeString(classes.resolve("A.class"), "v1");
    Path latteJar = Files.writeString(tmp.resolve("latte-core-0.1.jar"), "core v1");
    Path otherJar = Files.writeString(tmp.resolve("lucene-core-10.5.1.jar"), "lucene");
    List<Path> cp = List.of(tmp.resolve("classes"), latteJar, otherJar);

    String key = DemoEvaluationCache.key(index, dataset, cp, "k=1000");
    assertEquals(key, DemoEvaluationCache.key(index, dataset, cp, "k=1000"), "stable");
    // A lock file comes and goes without changing the index.
    Files.writeString(index.resolve("write.lock"), "");
    assertEquals(key, DemoEvaluationCache.key(index, dataset, cp, "k=1000"));
    // Third-party jars count by name and size (their version is in the name).
    Files.writeString(otherJar, "LUCENE");
    assertEquals(key, DemoEvaluationCache.key(index, dataset, cp, "k=1000"));

    assertNotEquals(key, DemoEvaluationCache.key(index, dataset, cp, "k=100"), "settings");
    String before = key;
    Path centroids = index.resolve("latte-xtr/centroids.npy");
    Files.setLastModifiedTime(centroids, FileTime.fromMillis(1_000_000L));
    key = DemoEvaluationCache.key(index, dataset, cp, "k=1000");
    assertNotEquals(before, key, "a first stage rebuilt");
    before = key;
    Files.writeString(index.resolve("segments_2"), "commit 2");
    key = DemoEvaluationCache.key(index, dataset, cp, "k=1000");
    assertNotEquals(before, key, "a new commit");
    before = key;
    Files.writeString(dataset.resolve("queries.jsonl"), "q2");
    key = DemoEvaluationCache.key(index, dataset, cp, "k=1000");
    assertNotEquals(before, key, "other queries of the same size");
    before = key;
    Files.writeString(latteJar, "core v2");
    key = DemoEvaluationCache.key(index, dataset, cp, "k=1000");
    assertNotEquals(before, key, "a Latte jar of the same size, rebuilt from other sources");
    before = key;
    Files.writeString(classes.resolve("A.class"), "v2");
    assertNotEquals(before, DemoEvaluationCache.key(index, dataset, cp, "k=1000"), "a class");
  }

  @Test
  void storedEvaluationsAreFoundByTheirKeyOnly() throws Exception {
    DemoEvaluationCache cache = new DemoEvaluationCache(tmp.resolve("runs/demo"));
    assertTrue(cache.read("a".repeat(64)).isEmpty());
    assertEquals(OptionalDouble.empty(), cache.lastSeconds());
    var e =
        new DemoEvaluationCache.Entry("a".repeat(64), "2026-12-06T20:00:00Z", 311.0, 300, "T\n");
    cache.write(e);
    assertEquals(e, cache.read("a".repeat(64)).orElseThrow());
    assertTrue(cache.read("b".repeat(64)).isEmpty());
    assertEquals(OptionalDouble.of(311.0), cache.lastSeconds());
    // A damaged file is not an evaluation: it is run again.
    Files.writeString(tmp.resolve("runs/demo/evaluation-" + "c".repeat(24) + ".json"), "{");
    assertTrue(cache.read("c".repeat(64)).isEmpty());
  }

  @Test
  void theEstimateScalesTheMeasuredSpeed() {
    // The calibration run: 5,183 documents at 37.7 docs/s on 2 threads.
    DemoEstimate e = DemoEstimate.of(5183, 37.7, 2, OptionalDouble.empty());
    assertEquals(137.5, e.encodeSeconds(), 0.1);
    assertEquals(2.1 * 5183 / (37.7 / 2), e.restSeconds(), 1e-6);
    // Twice the threads at twice the speed: encoding halves, the single-threaded rest does not.
    DemoEstimate four = DemoEstimate.of(5183, 75.4, 4, OptionalDouble.empty());
    assertEquals(e.encodeSeconds() / 2, four.encodeSeconds(), 1e-6);
    assertEquals(e.restSeconds(), four.restSeconds(), 1e-6);
    // A measured evaluation here beats the calibration.
    assertEquals(300.0, DemoEstimate.of(5183, 37.7, 2, OptionalDouble.of(300)).restSeconds());
    assertTrue(e.describe().contains("12 min in all"), e.describe());
  }
}
