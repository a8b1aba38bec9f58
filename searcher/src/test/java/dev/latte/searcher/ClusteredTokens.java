package dev.latte.searcher;

import dev.latte.core.TokenMatrix;
import dev.latte.indexer.TokenAnnotations;
import java.util.Arrays;
import java.util.Random;

/**
 * Seeded synthetic token vectors for the oracle tests: {@code words} random unit directions, and
 * documents whose tokens are a word's direction plus Gaussian noise (so first stages have clusters
 * to find). Draws from the test's own {@link Random}, so a test that also draws metadata or queries
 * from it keeps one seeded sequence.
 */
public final class ClusteredTokens {
  private final Random rnd;
  private final int dim;
  private final float[][] words;

  /** A token of a synthetic document: its vectors and word pieces ("w" + word number). */
  public record Doc(TokenMatrix matrix, String[] tokens) {
    /** Word pieces only; no source offsets. */
    public TokenAnnotations annotations() {
      int[] none = new int[tokens.length];
      Arrays.fill(none, -1);
      return new TokenAnnotations(tokens, none, none.clone());
    }
  }

  /** Draws the word directions now (the first draws of {@code rnd}). */
  public ClusteredTokens(Random rnd, int words, int dim) {
    this.rnd = rnd;
    this.dim = dim;
    this.words = new float[words][];
    for (int w = 0; w < words; w++) this.words[w] = near(new float[dim], 1f);
  }

  public int words() {
    return words.length;
  }

  public float[] word(int w) {
    return words[w];
  }

  /** A unit vector at {@code centre} plus Gaussian noise of scale {@code noise}. */
  public float[] near(float[] centre, float noise) {
    float[] v = new float[dim];
    for (int d = 0; d < dim; d++) v[d] = centre[d] + noise * (float) rnd.nextGaussian();
    TokenMatrix.normalizeRows(v, 1, dim);
    return v;
  }

  /** A document of {@code minRows..maxRows} tokens, each near a random word (noise 0.15). */
  public Doc document(int minRows, int maxRows) {
    return tokens(minRows + rnd.nextInt(maxRows - minRows + 1), 0.15f);
  }

  /** {@code n} tokens, each near a random word with noise {@code noise} (queries: 0.2). */
  public Doc tokens(int n, float noise) {
    float[] data = new float[n * dim];
    String[] t = new String[n];
    for (int j = 0; j < n; j++) {
      int word = rnd.nextInt(words.length);
      t[j] = "w" + word;
      System.arraycopy(near(words[word], noise), 0, data, j * dim, dim);
    }
    return new Doc(new TokenMatrix(data, n, dim), t);
  }

  /** Brute-force float MaxSim, the oracle every approximation is checked against. */
  public static float maxSim(TokenMatrix q, TokenMatrix d) {
    float sum = 0;
    for (int i = 0; i < q.rows(); i++) {
      float best = Float.NEGATIVE_INFINITY;
      for (int j = 0; j < d.rows(); j++) {
        float dot = 0;
        for (int c = 0; c < q.dim(); c++) dot += q.get(i, c) * d.get(j, c);
        best = Math.max(best, dot);
      }
      sum += best;
    }
    return sum;
  }
}
