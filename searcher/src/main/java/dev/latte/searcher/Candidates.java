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
