package dev.latte.searcher;

import java.io.IOException;

/**
 * BM25 as a first stage: its top documents are the candidates, with every document tied with the
 * last one ({@link Candidates#cut}: BM25's one-byte length norms make ties common).
 */
public final class Bm25Candidates implements CandidateGenerator {
  private final Bm25Method bm25 = new Bm25Method();

  @Override
  public String name() {
    return Bm25Method.NAME;
  }

  @Override
  public Candidates generate(LatteIndex index, QueryContext query, int depth) throws IOException {
    org.apache.lucene.search.ScoreDoc[] hits =
        Candidates.topKeepingTies(k -> bm25.top(index, query, k), depth);
    int[] docs = new int[hits.length];
    float[] scores = new float[hits.length];
    for (int i = 0; i < hits.length; i++) {
      docs[i] = hits[i].doc;
      scores[i] = hits[i].score;
    }
    return new Candidates(docs, scores);
  }
}
