package dev.latte.searcher;

import java.io.IOException;

/**
 * A named way to answer a query over a {@link LatteIndex}: a first stage that finds candidates and,
 * for late-interaction methods, a MaxSim rescoring of them. Methods are stateless and thread-safe.
 */
public interface SearchMethod {
  String name();

  /** True if the method needs the query's token matrix (and so the encoder). */
  boolean needsQueryMatrix();

  MethodResult search(LatteIndex index, QueryContext query, int k) throws IOException;

  /**
   * The name of the first stage ({@link dev.latte.searcher.firststage.FirstStage}) this method
   * searches, which must be built for it to answer; null for methods that need none.
   */
  default String firstStage() {
    return null;
  }
}
