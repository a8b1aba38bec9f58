package dev.latte.searcher;

import java.io.IOException;

/**
 * A first stage: finds up to {@code depth} promising documents for a query, cheaply, for a
 * late-interaction rescorer to score exactly. Thread-safe.
 */
public interface CandidateGenerator {
  String name();

  Candidates generate(LatteIndex index, QueryContext query, int depth) throws IOException;

  /** The built first stage these candidates come from; null for one that needs none (BM25). */
  default String firstStage() {
    return null;
  }
}
