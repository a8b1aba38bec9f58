package dev.latte.searcher;

import dev.latte.searcher.firststage.FirstStages;
import java.util.List;
import java.util.Set;

/**
 * The method a person gets when they name none (the search page's default): the fastest method that
 * keeps at least 99% of exact MaxSim's nDCG@10 among those the index can answer now.
 *
 * <p>The order is the README's measured SciFact first-stage table (test, 300 queries, p50 on one
 * thread): {@code xtr+maxsim} 1.001 of exact at 12.5 ms, {@code lucene-stock} 1.001 at 19.8 ms,
 * {@code hybrid-rrf} 1.004 at 56.8 ms (needs no first stage; {@code hybrid-linear} 1.020 at 57.5 ms
 * and {@code bm25+maxsim} 1.009 at 77.6 ms are slower), {@code maxsim-exact} itself 271.5 ms.
 * {@code hybrid-xtr} (17.1 ms) needs the same structure as {@code xtr+maxsim} and is slower, so it
 * is never the pick. {@code coil+maxsim} (0.979) and {@code slim+maxsim} (0.963) lose more than 1%.
 * {@code warp+maxsim} comes after {@code xtr+maxsim}: the {@code warp} stage is what {@code ./latte
 * index} builds by default (alone), and without it a default index would fall back to {@code
 * hybrid-rrf}; on SciFact train it keeps 99.9% of exact (float32 main index, 2-bit lists) and 98.9%
 * (residual-2-p2), see the README's WARP section.
 */
public final class DefaultMethod {
  /** A method and the first stage it needs (null: none), as the method declares it. */
  record Choice(String method, String firstStage) {
    Choice(String method) {
      this(method, FirstStages.stageOfMethod(method));
    }
  }

  static final List<Choice> PREFERENCE =
      List.of(
          new Choice("xtr+maxsim"),
          new Choice("warp+maxsim"),
          new Choice("lucene-stock"),
          new Choice("hybrid-rrf"));

  private DefaultMethod() {}

  /** The default for an index whose first stages {@code readyFirstStages} can answer now. */
  public static String forReadyFirstStages(Set<String> readyFirstStages) {
    for (Choice c : PREFERENCE)
      if (c.firstStage() == null || readyFirstStages.contains(c.firstStage())) return c.method();
    throw new IllegalStateException("the last preference needs no first stage");
  }
}
