package dev.latte.searcher.firststage.warp;

import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.lists.TokenCompaction;
import dev.latte.searcher.LatteIndex;
import java.nio.file.Path;

/**
 * Child process of {@link OneCopyLayoutTest#aKillDuringABuildNeverLosesCodes}: rebuilds the WARP
 * stage of the index at {@code args[0]} and moves the codes into it, {@code args[1]} times,
 * printing "start" before each round (the parent kills it at random points).
 */
public final class OneCopyKillChild {
  public static void main(String[] args) throws Exception {
    Path path = Path.of(args[0]);
    int rounds = Integer.parseInt(args[1]);
    for (int i = 0; i < rounds; i++) {
      System.out.println("start");
      System.out.flush();
      try (LatteIndex index = LatteIndex.open(path)) {
        new WarpBuilder().build(index.path(), index.reader(), index.metadata(), IndexProgress.NONE);
      }
      TokenCompaction.moveCodesToLists(path);
    }
    System.out.println("done");
  }
}
