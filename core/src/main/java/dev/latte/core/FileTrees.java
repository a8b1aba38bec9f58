package dev.latte.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Recursive deletion and size of a folder, written once for the indexes, caches and benchmark
 * folders.
 */
public final class FileTrees {
  private FileTrees() {}

  /**
   * Deletes {@code root} and everything below it, deepest first; nothing to do when it does not
   * exist. A file that disappears meanwhile is not an error.
   */
  public static void deleteRecursively(Path root) throws IOException {
    if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }

  /**
   * Bytes of every regular file under {@code root} (0 when it does not exist): an index folder "all
   * in", with its derived structures and codebook.
   */
  public static long size(Path root) throws IOException {
    if (!Files.exists(root)) return 0;
    try (Stream<Path> s = Files.walk(root)) {
      long total = 0;
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        try {
          total += Files.size(p);
        } catch (java.nio.file.NoSuchFileException gone) {
          // removed meanwhile (a merge, a temporary file): not part of the index any more
        }
      }
      return total;
    }
  }
}
