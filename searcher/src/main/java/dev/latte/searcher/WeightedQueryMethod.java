package dev.latte.searcher;

import java.io.IOException;

/**
 * A late-interaction method whose query token rows are weighted or dropped first ({@link
 * QueryTokens}), e.g. {@code maxsim-idf}: exact MaxSim with IDF-weighted query tokens.
 */
public final class WeightedQueryMethod implements SearchMethod {
  private final String name;
  private final SearchMethod inner;
  private final QueryTokens tokens;

  public WeightedQueryMethod(String name, SearchMethod inner, QueryTokens tokens) {
    this.name = name;
    this.inner = inner;
    this.tokens = tokens;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public boolean needsQueryMatrix() {
    return true;
  }

  @Override
  public MethodResult search(LatteIndex index, QueryContext query, int k) throws IOException {
    return inner.search(index, tokens.apply(index, query), k);
  }
}
