package dev.latte.benchmarks.scale;

import static dev.latte.benchmarks.scale.ScaleMeasures.*;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.TokenCodec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Seeded synthetic token vectors with the structure of real late-interaction embeddings: a
 * hierarchy of clusters, documents made of a few topics, tokens of one document correlated.
 *
 * <ul>
 *   <li>{@code areas = topics / 40} random unit centres; each topic centre = normalise(its area
 *       centre + noise of norm {@value #TOPIC_SPREAD}) (cosine to its area ~0.71, to a sibling
 *       topic ~0.5); topic t belongs to area {@code t % areas}.
 *   <li>each topic has {@code subClusters} fine centres = normalise(topic + noise of norm {@value
 *       #SUB_SPREAD}) (cosine to the topic ~0.78, between siblings ~0.6): {@code topics x
 *       subClusters} fine clusters, many more than XTR's centroids.
 *   <li>a document: 1-4 topics (the first drawn with a popularity skew, each further one from the
 *       first one's area with probability 1/2, else drawn like the first), for each 2-4 of its fine
 *       clusters; a token is normalise(one of the document's fine centres + gaussian noise of norm
 *       ~{@value #TOKEN_NOISE}) (cosine to its centre ~0.82, between two tokens of one fine cluster
 *       ~0.67), or with probability {@code stopFraction} the same around one of 32 corpus-wide
 *       "function word" centres. Length uniform in [tokensPerDoc/2, 3 tokensPerDoc/2].
 *   <li>a query: the topics of a random document; each of its tokens from a fine cluster of one of
 *       those topics chosen afresh (not necessarily one the document uses) plus the same noise:
 *       relevant documents exist, but no query token copies a document token.
 * </ul>
 *
 * Every document and query has its own random stream (seed, index): the data does not depend on the
 * number or scheduling of writing threads.
 */
final class ClusteredTokens {
  static final double TOPIC_SPREAD = 1.0;
  static final double SUB_SPREAD = 0.8;
  static final double TOKEN_NOISE = 0.7;
  static final int STOP_CLUSTERS = 32;
  static final int VERSION = 1;

  final int dim;
  final int topics;
  final int subs;
  final int areas;
  final double stopFraction;
  final long seed;
  final float[] topicCentres;
  final float[] subCentres;
  final float[] stopCentres;
  final int[] lengths;
  final long totalTokens;
  final float sigma;

  ClusteredTokens(ScaleOptions o) {
    this.dim = o.dim();
    this.topics = o.topics();
    this.subs = o.subClusters();
    this.areas = Math.max(1, topics / 40);
    this.stopFraction = o.stopFraction();
    this.seed = o.seed();
    this.sigma = (float) (TOKEN_NOISE / Math.sqrt(dim));
    SplittableRandom r = new SplittableRandom(seed);
    float[] areaCentres = new float[areas * dim];
    for (int a = 0; a < areas; a++) gaussianUnit(r, areaCentres, a * dim, dim);
    topicCentres = new float[topics * dim];
    for (int t = 0; t < topics; t++)
      around(r, areaCentres, (t % areas) * dim, TOPIC_SPREAD, topicCentres, t * dim);
    subCentres = new float[topics * subs * dim];
    for (int t = 0; t < topics; t++)
      for (int s = 0; s < subs; s++)
        around(r, topicCentres, t * dim, SUB_SPREAD, subCentres, (t * subs + s) * dim);
    stopCentres = new float[STOP_CLUSTERS * dim];
    for (int c = 0; c < STOP_CLUSTERS; c++) gaussianUnit(r, stopCentres, c * dim, dim);
    // Document lengths, drawn in order until the token budget is reached.
    int lo = Math.max(1, o.tokensPerDoc() / 2), span = Math.max(1, o.tokensPerDoc());
    int[] len = new int[1024];
    int n = 0;
    long total = 0;
    while (total < o.tokens()) {
      if (n == len.length) len = Arrays.copyOf(len, n * 2);
      int l = (int) Math.min(lo + r.nextInt(span + 1), o.tokens() - total);
      len[n++] = l;
      total += l;
    }
    this.lengths = Arrays.copyOf(len, n);
    this.totalTokens = total;
  }

  int documents() {
    return lengths.length;
  }

  /** A document's fine clusters ({@code topic * subs + sub}) and topics. */
  record Spec(int[] topics, int[] clusters) {}

  static SplittableRandom stream(long seed, long salt, long index) {
    return new SplittableRandom(mix(seed ^ mix(salt) ^ mix(index + 0x9E3779B97F4A7C15L)));
  }

  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private int popularTopic(SplittableRandom r) {
    // Density ~ t^(-1/3): popular topics are a few times more frequent than rare ones.
    return Math.min(topics - 1, (int) (topics * Math.pow(r.nextDouble(), 1.5)));
  }

  Spec spec(int doc) {
    SplittableRandom r = stream(seed, 1, doc);
    int nt = 1 + r.nextInt(4);
    int[] ts = new int[nt];
    ts[0] = popularTopic(r);
    int perArea = (topics + areas - 1) / areas;
    for (int i = 1; i < nt; i++) {
      int t;
      do {
        if (r.nextBoolean()) {
          int area = ts[0] % areas;
          t = area + areas * r.nextInt(perArea);
          if (t >= topics) t = ts[0];
        } else {
          t = popularTopic(r);
        }
      } while (contains(ts, i, t) && topics > nt);
      ts[i] = t;
    }
    List<Integer> cs = new ArrayList<>();
    for (int t : ts) {
      int want = Math.min(subs, 2 + r.nextInt(3));
      int[] perm = permutation(r, subs);
      for (int j = 0; j < want; j++) cs.add(t * subs + perm[j]);
    }
    return new Spec(ts, cs.stream().mapToInt(Integer::intValue).toArray());
  }

  TokenMatrix document(int doc) {
    Spec s = spec(doc);
    SplittableRandom r = stream(seed, 2, doc);
    int rows = lengths[doc];
    float[] data = new float[rows * dim];
    for (int i = 0; i < rows; i++) {
      if (r.nextDouble() < stopFraction)
        noisy(r, stopCentres, r.nextInt(STOP_CLUSTERS) * dim, data, i * dim);
      else noisy(r, subCentres, s.clusters()[r.nextInt(s.clusters().length)] * dim, data, i * dim);
    }
    return new TokenMatrix(data, rows, dim);
  }

  String text(int doc) {
    StringBuilder b = new StringBuilder();
    for (int t : spec(doc).topics()) b.append("topic").append(t).append(' ');
    return b.toString().trim();
  }

  /** Query {@code q}: the topics of a random document, fresh fine clusters, fresh noise. */
  TokenMatrix query(int q, int rows) {
    SplittableRandom r = stream(seed, 3, q);
    Spec s = spec(r.nextInt(documents()));
    float[] data = new float[rows * dim];
    for (int i = 0; i < rows; i++) {
      if (r.nextDouble() < stopFraction)
        noisy(r, stopCentres, r.nextInt(STOP_CLUSTERS) * dim, data, i * dim);
      else {
        int t = s.topics()[r.nextInt(s.topics().length)];
        noisy(r, subCentres, (t * subs + r.nextInt(subs)) * dim, data, i * dim);
      }
    }
    return new TokenMatrix(data, rows, dim);
  }

  /** One token of fine cluster {@code cluster} into {@code out}. */
  void noisyPublic(SplittableRandom r, int cluster, float[] out) {
    noisy(r, subCentres, cluster * dim, out, 0);
  }

  private void noisy(SplittableRandom r, float[] centres, int from, float[] out, int at) {
    double norm = 0;
    for (int d = 0; d < dim; d++) {
      float v = centres[from + d] + sigma * (float) r.nextGaussian();
      out[at + d] = v;
      norm += (double) v * v;
    }
    float inv = (float) (1 / Math.sqrt(norm));
    for (int d = 0; d < dim; d++) out[at + d] *= inv;
  }

  private void around(
      SplittableRandom r, float[] centres, int from, double spread, float[] out, int at) {
    double s = spread / Math.sqrt(dim);
    double norm = 0;
    for (int d = 0; d < dim; d++) {
      float v = centres[from + d] + (float) (s * r.nextGaussian());
      out[at + d] = v;
      norm += (double) v * v;
    }
    float inv = (float) (1 / Math.sqrt(norm));
    for (int d = 0; d < dim; d++) out[at + d] *= inv;
  }

  private static void gaussianUnit(SplittableRandom r, float[] out, int at, int dim) {
    double norm = 0;
    for (int d = 0; d < dim; d++) {
      float v = (float) r.nextGaussian();
      out[at + d] = v;
      norm += (double) v * v;
    }
    float inv = (float) (1 / Math.sqrt(norm));
    for (int d = 0; d < dim; d++) out[at + d] *= inv;
  }

  private static boolean contains(int[] a, int n, int v) {
    for (int i = 0; i < n; i++) if (a[i] == v) return true;
    return false;
  }

  private static int[] permutation(SplittableRandom r, int n) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) p[i] = i;
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** Everything the data depends on: an index built with equal parameters is reusable. */
  Map<String, Object> identity(ScaleOptions o) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("generator_version", VERSION);
    m.put("tokens", totalTokens);
    m.put("documents", documents());
    m.put("dim", dim);
    m.put("tokens_per_doc", o.tokensPerDoc());
    m.put("topics", topics);
    m.put("areas", areas);
    m.put("sub_clusters_per_topic", subs);
    m.put("fine_clusters", (long) topics * subs);
    m.put("stop_fraction", stopFraction);
    m.put("seed", seed);
    m.put("codec", TokenCodec.FLOAT16.cliName());
    return m;
  }
}
