package dev.latte.searcher;

import java.io.IOException;

/** BM25 as a first stage: its top documents are the candidates. */
public final class Bm25Candidates implements CandidateGenerator {
  private final Bm25Method bm25 = new Bm25Method();

  @Override
  public String name() {
    return Bm25Method.NAME;
  }

  @Override
  public Candidates generate(LatteIndex index, QueryContext query, int depth) throws IOException {
    return Candidates.of(bm25.search(index, query, depth).docs());
  }
}
