package dev.latte.searcher;

/**
 * What a first stage hands to a rescorer: index-wide doc ids with the first stage's own scores,
 * best first. The arrays are owned by the candidate set.
 */
public record Candidates(int[] docs, float[] scores) {
  public Candidates {
    if (docs.length != scores.length)
      throw new IllegalArgumentException("docs and scores differ in length");
  }

  public int size() {
    return docs.length;
  }

  /** The first n, best first. */
  public Candidates truncate(int n) {
    return new Candidates(
        java.util.Arrays.copyOf(docs, Math.min(n, docs.length)),
        java.util.Arrays.copyOf(scores, Math.min(n, scores.length)));
  }

  /**
   * The first {@code depth}, and every later candidate whose score equals the {@code depth}-th's: a
   * cut never splits a tie. Which of tied documents a plain cut keeps depends on their doc ids,
   * that is on the order the documents reached the index, which differs between a single index and
   * its shards (and between two builds with several encoding threads); one document more or less in
   * a pool changes a pool-normalised fusion's every score (ZScore, min-max), and can change what
   * rescoring finds. Keeping the whole tie makes the pool a function of the scores alone.
   */
  public Candidates cut(int depth) {
    if (docs.length <= depth) return this;
    if (depth <= 0) return truncate(0);
    int n = depth;
    while (n < scores.length && scores[n] == scores[depth - 1]) n++;
    return truncate(n);
  }

  /** A top-k search of Lucene's, best first (ties by doc id). */
  @FunctionalInterface
  public interface TopSearch {
    org.apache.lucene.search.TopDocs top(int k) throws java.io.IOException;
  }

  /**
   * The top {@code depth} of {@code search} and every hit tied with the {@code depth}-th (see
   * {@link #cut}): asks for one more than the depth, and for twice as many while the last hit still
   * ties.
   */
  public static org.apache.lucene.search.ScoreDoc[] topKeepingTies(TopSearch search, int depth)
      throws java.io.IOException {
    if (depth <= 0) return new org.apache.lucene.search.ScoreDoc[0];
    if (depth == Integer.MAX_VALUE) return search.top(depth).scoreDocs;
    int k = depth + 1;
    while (true) {
      org.apache.lucene.search.ScoreDoc[] hits = search.top(k).scoreDocs;
      if (hits.length < k) return hits.length <= depth ? hits : cut(hits, depth);
      if (hits[k - 1].score != hits[depth - 1].score) return cut(hits, depth);
      if (k == Integer.MAX_VALUE) return cut(hits, depth);
      k = (int) Math.min(Integer.MAX_VALUE, 2L * k);
    }
  }

  private static org.apache.lucene.search.ScoreDoc[] cut(
      org.apache.lucene.search.ScoreDoc[] hits, int depth) {
    int n = Math.min(depth, hits.length);
    while (n > 0 && n < hits.length && hits[n].score == hits[depth - 1].score) n++;
    return java.util.Arrays.copyOf(hits, n);
  }

  static Candidates of(java.util.List<ScoredDoc> ranked) {
    int[] d = new int[ranked.size()];
    float[] s = new float[ranked.size()];
    for (int i = 0; i < d.length; i++) {
      d[i] = ranked.get(i).doc();
      s[i] = ranked.get(i).score();
    }
    return new Candidates(d, s);
  }
}
