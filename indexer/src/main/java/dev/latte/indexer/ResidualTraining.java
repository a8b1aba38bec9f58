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
 * holds back the first documents (their pooled matrices), trains on them and writes them. Which
 * documents train must not depend on thread scheduling (parallel encoders finish in any order), so
 * when documents carry their input position ({@link Held#position}, as a job's do) the sample is
 * the shortest run of positions 0, 1, 2... holding the window's tokens, taken once all of them have
 * arrived, in position order; documents that arrive early wait beside it. At a commit (every
 * document submitted has arrived) it trains on everything held, in position order. Documents
 * without positions (-1: a live write) train in arrival order. A stream does not say how long it
 * is, so K comes from {@link #expectTokens} when the caller knows the collection size (or from
 * {@link #expectDocuments} times the window's mean tokens per document), else from the window
 * itself; it is capped at one centroid per {@value #MIN_POINTS_PER_CENTROID} training points.
 *
 * <p>The window grows with the expected size ({@link #windowTokens}): {@value #POINTS_PER_CENTROID}
 * tokens per centroid of the XTR rule, at least {@value #WINDOW_TOKENS}, at most {@value
 * #MAX_WINDOW_FLOATS} floats (256 MiB; held once as documents and once as the k-means sample). A
 * fixed 65,536-token window capped a 10 M-token collection at 4,096 centroids where the rule asks
 * for 16,384 (benchmarks/README, "The default path at 10 M"). Growing it costs heap (bounded) and
 * k-means time (linear in the window), not a second pass over the input, which a stream cannot
 * afford.
 */
public final class ResidualTraining {
  /** The smallest window (and the window of a collection of unknown size, e.g. live writes). */
  public static final int WINDOW_TOKENS = 65_536;

  /** Bound on the window's floats (tokens x dimension): 256 MiB per copy. */
  public static final long MAX_WINDOW_FLOATS = 1L << 26;

  public static final int POINTS_PER_CENTROID = 32;
  public static final int MIN_POINTS_PER_CENTROID = 16;
  public static final int ITERATIONS = 10;
  public static final long SEED = 42;

  /**
   * A document held back until the codebook exists; {@code passages} (null: one passage) are its
   * passages' row ranges, coded with the same codebook as every other document; {@code position}
   * its input position, -1 if unknown.
   */
  public record Held(
      Document document,
      TokenMatrix stored,
      BytesRef info,
      Passages passages,
      int encodedRows,
      long position) {}

  private final int bits;
  private final int dim;
  private final List<Held> held = new ArrayList<>();
  private final java.util.Map<Long, Held> byPosition = new java.util.HashMap<>();
  private boolean unpositioned;
  private long prefixEnd; // positions [0, prefixEnd) are all held
  private long prefixTokens;
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
    if (h.position() < 0) {
      unpositioned = true;
      return;
    }
    byPosition.put(h.position(), h);
    for (Held next; prefixTokens < window() && (next = byPosition.get(prefixEnd)) != null; ) {
      prefixTokens += next.stored().rows();
      prefixEnd++;
    }
  }

  /** Whether the training sample is complete without waiting for a commit. */
  boolean full() {
    return unpositioned ? heldTokens >= window() : prefixTokens >= window();
  }

  /**
   * The window for the collection as far as it is known: {@link #expectTokens}, else {@link
   * #expectDocuments} times the mean tokens per document of the position prefix (of the arrivals,
   * for documents without positions; deterministic either way), else unknown.
   */
  long window() {
    return windowTokens(expected(), dim);
  }

  private long expected() {
    if (expectedTokens > 0) return expectedTokens;
    if (expectedDocuments <= 0) return 0;
    long docs = unpositioned ? held.size() : prefixEnd;
    long tokens = unpositioned ? heldTokens : prefixTokens;
    return docs == 0 ? 0 : (long) ((double) tokens / docs * expectedDocuments);
  }

  /**
   * Tokens a training window holds for a collection of {@code tokens} (0 or less: unknown) of
   * {@code dim}-d vectors: {@value #POINTS_PER_CENTROID} per centroid of {@link #centroids}, at
   * least {@value #WINDOW_TOKENS}, at most {@value #MAX_WINDOW_FLOATS} / dim.
   */
  public static long windowTokens(long tokens, int dim) {
    long want = tokens > 0 ? (long) centroids(tokens) * POINTS_PER_CENTROID : WINDOW_TOKENS;
    return Math.max(WINDOW_TOKENS, Math.min(want, MAX_WINDOW_FLOATS / Math.max(1, dim)));
  }

  long heldTokens() {
    return heldTokens;
  }

  /** Everything held, in input position order (arrival order for documents without one). */
  List<Held> drain() {
    List<Held> out = ordered();
    held.clear();
    byPosition.clear();
    heldTokens = prefixTokens = prefixEnd = 0;
    unpositioned = false;
    return out;
  }

  private List<Held> ordered() {
    List<Held> out = new ArrayList<>(held);
    if (!unpositioned) out.sort(java.util.Comparator.comparingLong(Held::position));
    return out;
  }

  /**
   * Trains on the sample: when {@link #full()}, the position prefix that filled the window (or the
   * first window of arrivals); otherwise (a commit) everything held.
   */
  ResidualCodebook train() {
    List<Held> sample = ordered();
    long expected = expected();
    if (full()) {
      long window = window();
      long tokens = 0;
      int take = 0;
      while (take < sample.size() && tokens < window) tokens += sample.get(take++).stored().rows();
      sample = sample.subList(0, take);
    }
    int n = 0;
    for (Held h : sample) n += h.stored().rows();
    float[] rows = new float[n * dim];
    int at = 0;
    for (Held h : sample) {
      System.arraycopy(h.stored().data(), 0, rows, at, h.stored().rows() * dim);
      at += h.stored().rows() * dim;
    }
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
