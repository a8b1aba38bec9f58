package dev.latte.searcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parameters are read once per version of their file and shared until the file changes. */
class FirstStageParamsTest {
  @TempDir Path tmp;

  record Loaded(int generation) {}

  @Test
  void sharedWhileTheFileIsTheSameReadAgainWhenItIsReplaced() throws Exception {
    Path folder = tmp.resolve("latte-xtr");
    Files.createDirectories(folder);
    Path file = folder.resolve("params.bin");
    Files.write(file, new byte[] {1, 2, 3});
    AtomicInteger reads = new AtomicInteger();
    FirstStageParams.Loader<Loaded> loader = () -> new Loaded(reads.incrementAndGet());

    Loaded a = FirstStageParams.get(file, Loaded.class, loader);
    Loaded b = FirstStageParams.get(file, Loaded.class, loader);
    assertSame(a, b);
    assertEquals(1, reads.get());

    // A retrain writes a new folder that replaces the old one: a new file at the same path.
    Path aside = tmp.resolve("latte-xtr.building");
    Files.createDirectories(aside);
    Files.write(aside.resolve("params.bin"), new byte[] {1, 2, 3});
    Files.setLastModifiedTime(
        aside.resolve("params.bin"),
        java.nio.file.attribute.FileTime.fromMillis(
            Files.getLastModifiedTime(file).toMillis() + 1));
    Files.delete(file);
    Files.delete(folder);
    Files.move(aside, folder);
    Loaded c = FirstStageParams.get(file, Loaded.class, loader);
    assertNotSame(a, c);
    assertEquals(2, reads.get());
    assertSame(c, FirstStageParams.get(file, Loaded.class, loader));
  }
}
