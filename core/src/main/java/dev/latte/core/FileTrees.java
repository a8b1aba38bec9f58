package dev.latte.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Recursive deletion of a folder, written once for the indexes, caches and benchmark folders. */
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
   * Bytes of every regular file below {@code root} (0 when it does not exist): what an index folder
   * or one of its first stages costs on disk. A file deleted meanwhile (a Lucene merge) counts 0.
   */
  public static long bytes(Path root) throws IOException {
    if (!Files.isDirectory(root)) return 0;
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).mapToLong(FileTrees::sizeOrZero).sum();
    }
  }

  private static long sizeOrZero(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      return 0;
    }
  }

  /**
   * Bytes of every regular file under {@code root} (0 when it does not exist): an index folder "all
   * in", with its first stages and codebook ({@link #bytes}).
   */
  public static long size(Path root) throws IOException {
    return bytes(root);
  }
}
