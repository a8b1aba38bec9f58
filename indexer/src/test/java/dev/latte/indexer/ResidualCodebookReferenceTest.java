package dev.latte.indexer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.latte.core.codec.ResidualCodebook;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A shard's codebook as a reference to the one beside its manifest, checked on every read. */
class ResidualCodebookReferenceTest {
  @TempDir Path tmp;

  static ResidualCodebook book(long seed) {
    int dim = 8, k = 4, n = 64;
    SplittableRandom r = new SplittableRandom(seed);
    float[] centroids = new float[k * dim], sample = new float[n * dim];
    for (int i = 0; i < centroids.length; i++) centroids[i] = (float) r.nextGaussian();
    for (int i = 0; i < sample.length; i++) sample[i] = (float) r.nextGaussian();
    int[] assign = new int[n];
    for (int i = 0; i < n; i++) assign[i] = i % k;
    return ResidualCodebook.fit(2, centroids, dim, sample, n, assign);
  }

  static void write(Path folder, ResidualCodebook b) throws Exception {
    Files.createDirectories(folder);
    try (Directory d = FSDirectory.open(folder)) {
      ResidualCodebookFile.write(d, b);
    }
  }

  @Test
  void aReferenceReadsAsTheCodebookItNames() throws Exception {
    ResidualCodebook shared = book(1);
    write(tmp, shared);
    Path shard = tmp.resolve("shard-00000");
    write(shard, shared);
    ResidualCodebookFile.replaceByReference(shard, "../" + ResidualCodebookFile.FILE);
    assertFalse(Files.exists(shard.resolve(ResidualCodebookFile.FILE)));
    assertTrue(ResidualCodebookFile.exists(shard));
    assertEquals(shared.fingerprint(), ResidualCodebookFile.read(shard).fingerprint());
    try (Directory d = FSDirectory.open(shard)) {
      assertEquals(shared.fingerprint(), ResidualCodebookFile.readIfPresent(d).fingerprint());
    }
  }

  @Test
  void aReferenceToAnotherOrAMissingCodebookFailsClearly() throws Exception {
    Path shard = tmp.resolve("shard-00000");
    write(shard, book(1));
    ResidualCodebookFile.replaceByReference(shard, "../" + ResidualCodebookFile.FILE);
    var missing =
        assertThrows(IndexMismatchException.class, () -> ResidualCodebookFile.read(shard));
    assertTrue(missing.getMessage().contains("missing"), missing.getMessage());
    write(tmp, book(2)); // another codebook where the reference points
    var other = assertThrows(IndexMismatchException.class, () -> ResidualCodebookFile.read(shard));
    assertTrue(other.getMessage().contains("another one"), other.getMessage());
  }
}
