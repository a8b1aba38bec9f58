package dev.latte.core.kernel;

import java.util.function.IntConsumer;

/**
 * Runs the parts of one computation, possibly on several threads: {@link #run} calls {@code
 * part.accept(i)} once for every i in {@code [0, parts)}, in any order and on any of its threads,
 * and returns when all have returned (rethrowing a part's failure). The caller's own thread may run
 * parts itself. Parts must write disjoint state. {@link #SEQUENTIAL} runs them in order on the
 * caller.
 */
@FunctionalInterface
public interface PartRunner {
  PartRunner SEQUENTIAL =
      (parts, part) -> {
        for (int i = 0; i < parts; i++) part.accept(i);
      };

  void run(int parts, IntConsumer part);
}
