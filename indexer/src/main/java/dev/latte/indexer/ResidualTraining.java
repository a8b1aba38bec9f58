package dev.latte.indexer;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.ResidualCodebook;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.datasets.Document;
import dev.latte.indexer.firststage.SphericalKMeans;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.util.BytesRef;

/**
 * Training a {@link ResidualCodebook}: spherical k-means centroids (as the XTR first stage trains
 * them: K = the power of two nearest 4 sqrt(tokens), {@value #POINTS_PER_CENTROID} sample points
 * per centroid, {@value #ITERATIONS} Lloyd iterations, seed {@value #SEED}), then per-dimension
 * bucket cutoffs and weights fitted on the sample's residuals ({@link ResidualCodebook#fit}).
 *
 * <p>An instance is the training window of a new residual index written from a stream: the writer
 * holds back the first documents (their pooled matrices) until {@value #WINDOW_TOKENS} tokens are
 * held, or the first commit, trains on them and writes them. A stream does not say how long it is,
 * so K comes from {@link #expectTokens} when the caller knows the collection size, else from the
 * window itself; it is capped at one centroid per {@value #MIN_POINTS_PER_CENTROID} training
 * points.
 */
public final class ResidualTraining {
  public static final int WINDOW_TOKENS = 65_536;
  public static final int POINTS_PER_CENTROID = 32;
  public static final int MIN_POINTS_PER_CENTROID = 16;
  public static final int ITERATIONS = 10;
  public static final long SEED = 42;

  /**
   * A document held back until the codebook exists; {@code passages} (null: one passage) are its
   * passages' row ranges, coded with the same codebook as every other document.
   */
  public record Held(
      Document document, TokenMatrix stored, BytesRef info, Passages passages, int encodedRows) {}

  private final int bits;
  private final int dim;
  private final List<Held> held = new ArrayList<>();
  private long heldTokens;
  private long expectedTokens;
  private long expectedDocuments;

  ResidualTraining(int bits, int dim) {
    this.bits = bits;
    this.dim = dim;
  }

  void expectTokens(long tokens) {
    expectedTokens = tokens;
  }

  /** The collection's size in documents: tokens are then estimated from the window's average. */
  void expectDocuments(long documents) {
    expectedDocuments = documents;
  }

  void hold(Held h) {
    held.add(h);
    heldTokens += h.stored().rows();
  }

  boolean full() {
    return heldTokens >= WINDOW_TOKENS;
  }

  long heldTokens() {
    return heldTokens;
  }

  List<Held> drain() {
    List<Held> out = new ArrayList<>(held);
    held.clear();
    heldTokens = 0;
    return out;
  }

  /** Trains on every held row. */
  ResidualCodebook train() {
    int n = (int) heldTokens;
    float[] rows = new float[n * dim];
    int at = 0;
    for (Held h : held) {
      System.arraycopy(h.stored().data(), 0, rows, at, h.stored().rows() * dim);
      at += h.stored().rows() * dim;
    }
    long expected = expectedTokens;
    if (expected <= 0 && expectedDocuments > 0 && !held.isEmpty())
      expected = (long) ((double) n / held.size() * expectedDocuments);
    int k = centroids(Math.max(n, expected));
    while (k > 1 && (long) k * MIN_POINTS_PER_CENTROID > n) k >>= 1;
    float[] centroids = trainCentroids(rows, n, dim, k, threads());
    return fit(bits, centroids, dim, rows, n);
  }

  /** The power of two nearest 4 sqrt(tokens) (the XTR first stage's rule), at least 16. */
  public static int centroids(long tokens) {
    double target = 4 * Math.sqrt(Math.max(1, tokens));
    int k = Integer.highestOneBit((int) Math.max(1, Math.min(1 << 16, target)));
    if (target / k > Math.sqrt(2) && k < ResidualCodebook.MAX_CENTROIDS) k <<= 1;
    return Math.max(16, k);
  }

  /** Spherical k-means over {@code n} unit rows; fewer centroids when there are fewer rows. */
  public static float[] trainCentroids(float[] rows, int n, int dim, int k, int threads) {
    if (n == 0)
      throw new IndexMismatchException(
          "a residual codebook needs token vectors to train on; no document has any");
    k = Math.min(k, n);
    return new SphericalKMeans(VectorKernel.get(), threads)
        .train(rows, n, dim, k, ITERATIONS, SEED);
  }

  /** Assigns the sample to the centroids and fits the buckets on its residuals. */
  public static ResidualCodebook fit(int bits, float[] centroids, int dim, float[] rows, int n) {
    ResidualCodebook probe =
        new ResidualCodebook(
            bits, dim, centroids, new float[dim * ((1 << bits) - 1)], new float[dim << bits]);
    int[] assign = new int[n];
    VectorKernel.get().assignCentroids(probe, rows, 0, n, assign);
    return ResidualCodebook.fit(bits, centroids, dim, rows, n, assign);
  }

  static int threads() {
    return Runtime.getRuntime().availableProcessors();
  }
}
