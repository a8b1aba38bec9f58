package dev.latte.benchmarks.warp;

import dev.latte.core.FileTrees;
import dev.latte.indexer.lists.TokenCompaction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A copy of an index (built with both copies of its residual codes: main index and WARP lists)
 * whose codes then live only in its lists ({@link TokenCompaction}), so that one benchmark run
 * measures both layouts on the same codes: same scores by construction, different bytes and a
 * different rescoring read (a gather from the block-transposed lists instead of a row-major copy).
 */
final class OneCopyTwin {
  private OneCopyTwin() {}

  /** Makes (again) {@code INDEX-onecopy} beside {@code index}; returns its path. */
  static Path of(Path index) throws IOException {
    Path twin = index.resolveSibling(index.getFileName() + "-onecopy");
    if (Files.exists(twin)) FileTrees.deleteRecursively(twin);
    try (var files = Files.walk(index)) {
      for (Path f : files.toList()) {
        Path t = twin.resolve(index.relativize(f).toString());
        if (Files.isDirectory(f)) Files.createDirectories(t);
        else if (!f.getFileName().toString().equals("write.lock")) Files.copy(f, t);
      }
    }
    TokenCompaction.Result r = TokenCompaction.moveCodesToLists(twin);
    System.out.printf(
        "One-copy twin %s: %d documents' codes moved into the WARP lists, %d kept%n",
        twin, r.moved(), r.kept());
    return twin;
  }
}
