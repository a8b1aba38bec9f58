package dev.latte.benchmarks.codec;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.ResidualCodebook;
import dev.latte.core.kernel.PreparedQuery;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.datasets.BeirDataset;
import dev.latte.datasets.Query;
import dev.latte.encoders.BundledModel;
import dev.latte.encoders.TokenEncoder;
import dev.latte.eval.metrics.Qrels;
import dev.latte.eval.metrics.RankedDoc;
import dev.latte.eval.metrics.TrecMetrics;
import dev.latte.indexer.IndexLayout;
import dev.latte.indexer.ResidualTraining;
import dev.latte.indexer.firststage.MatrixFile;
import dev.latte.indexer.firststage.SourceDocuments;
import dev.latte.indexer.pooling.TokenPooler;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * Diagnostic behind the README's codec table (issue 12): nDCG@10 of codec settings on the same
 * token vectors, without writing an index. Reads every document of a float32 index without pooling,
 * and once (cached in {@code QUERY_CACHE}) encodes the train and test queries of a BEIR dataset
 * with the bundled model and keeps each query's top {@value #CANDIDATES} by exact float MaxSim;
 * then, per variant, codes every document (codebook fitted as {@code IndexRecoder} fits it: the
 * index's XTR centroids, a sample of every (tokens / 65,536)-th document), decodes it and re-ranks
 * those candidates by MaxSim over the decoded vectors. Re-ranking the exact top 100 is an
 * approximation of a full scan (a document outside it rarely reaches the top 10); the eval's full
 * scans agree to about 0.001.
 *
 * <p>Variants, comma-separated: {@code float}, {@code float-p2}, {@code bit[-p2]}, {@code
 * r<bits>[-p2][-quantile][-norm][-kp]}: residual codes with the least-squares fit ({@code
 * -quantile}: last session's quantile cutoffs + bucket means, no scales), {@code -noscale}: without
 * the per-token scale byte (as indexes coded before it), {@code -norm} re-normalises decoded
 * tokens, {@code -kp} trains the centroids on pooled tokens instead of reusing the XTR ones; with
 * {@code -p2}/{@code -p3} the pooling rule ({@link TokenPooler.Rule}): {@code -last} keeps the last
 * row ([SEP]) unpooled, {@code -min<N>} leaves documents of at most N rows unpooled, {@code -h<X>}
 * merges only clusters closer than Ward height X. Each line also prints stored tokens per encoded
 * token (what a rule costs in bytes: a residual-2 token is 98 B), the coded tokens' mean squared
 * error and mean cosine (± its spread) against the tokens they code, and the mean Pearson
 * correlation of each query's candidate scores with exact float MaxSim. A dataset without train
 * qrels (the classic collections) prints NaN for train.
 *
 * <p>The alternatives behind session 7's 1-bit choice (float scales computed in the probe, not
 * stored): {@code -rs} a least-squares scale on the residual alone (c + b.r), {@code -g<γ>} the
 * scale (least squares) . cos(x, x̂)^γ, {@code -qs} the quantile fit with the stored scales, {@code
 * -tan} tangent residuals computed here over a plain codebook (the codec's own do the same since
 * codebook version 3), {@code -entropy} prints the codes' mean entropy per dimension.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp "cli/target/latte-cli-0.1.0-SNAPSHOT.jar:cli/target/lib/*:benchmarks/target/classes" \
 *   dev.latte.benchmarks.codec.ResidualRankProbe FLOAT_INDEX ../shared/datasets/scifact QUERY_CACHE r2,r2-p2,bit
 * </pre>
 */
public final class ResidualRankProbe {
  static int DIM;
  static final int CANDIDATES = 100;

  record Q(String split, String id, TokenMatrix m, int[] cands) {}

  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println(
          "usage: ResidualRankProbe FLOAT32_INDEX BEIR_DIR QUERY_CACHE_FILE VARIANT[,VARIANT..]");
      System.exit(2);
    }
    Path index = Path.of(args[0]);
    Path dataset = Path.of(args[1]);
    Path cache = Path.of(args[2]);
    String[] variants = args[3].split(",");
    List<String> ids = new ArrayList<>();
    List<TokenMatrix> docs = new ArrayList<>();
    List<TokenMatrix> sample = new ArrayList<>();
    float[] centroids;
    try (Directory dir = FSDirectory.open(index);
        DirectoryReader reader = DirectoryReader.open(dir)) {
      var meta = dev.latte.indexer.LatteIndexReaderSupport.metadataOf(reader.getIndexCommit());
      if (!meta.options().equals(dev.latte.indexer.IndexOptions.DEFAULT))
        throw new IllegalArgumentException(index + " is not a float32 index without pooling");
      DIM = meta.dimension();
      SourceDocuments.forEach(
          reader,
          DIM,
          false,
          (doc, m, a) -> {
            ids.add(
                reader.storedFields().document(doc, Set.of(IndexLayout.ID)).get(IndexLayout.ID));
            docs.add(m);
          });
      try (Directory x = FSDirectory.open(index.resolve("latte-xtr"))) {
        centroids = MatrixFile.read(x, "latte_xtr_centroids.bin", "LatteXtrCentroids").data();
      }
    }
    long total = docs.stream().mapToLong(TokenMatrix::rows).sum();
    long every = Math.max(1, total / ResidualTraining.WINDOW_TOKENS);
    for (int i = 0; i < docs.size(); i++) if (i % every == 0) sample.add(docs.get(i));
    BeirDataset ds = BeirDataset.open(dataset);
    Map<String, Qrels> qrels = new java.util.LinkedHashMap<>();
    for (String split : List.of("train", "test"))
      if (Files.exists(dataset.resolve("qrels").resolve(split + ".tsv")))
        qrels.put(split, Qrels.of(ds.qrels(split)));
    List<Q> queries = Files.exists(cache) ? read(cache) : build(ds, qrels, docs, cache);
    System.out.printf("%d docs, %d tokens, %d queries%n", docs.size(), total, queries.size());
    for (String v : variants) {
      long t0 = System.nanoTime();
      Arrays.fill(RECON, 0);
      UnaryOperator<TokenMatrix> codec = variant(v, centroids, sample, docs);
      List<TokenMatrix> coded = new ArrayList<>(docs.size());
      for (TokenMatrix d : docs) coded.add(codec.apply(d));
      double[] sum = new double[2];
      double[] corr = new double[2];
      int[] n = new int[2];
      long stored = 0;
      for (TokenMatrix d : coded) stored += d.rows();
      VectorKernel k = VectorKernel.get();
      for (Q q : queries) {
        PreparedQuery p = k.prepare(q.m());
        List<RankedDoc> ranking = new ArrayList<>();
        float[] exact = EXACT.computeIfAbsent(q, x -> exactScores(p, x, docs));
        float[] approx = new float[exact.length];
        for (int j = 0; j < q.cands().length; j++) {
          int c = q.cands()[j];
          TokenMatrix d = coded.get(c);
          approx[j] = k.maxSim(p, d.data(), 0, d.rows());
          ranking.add(new RankedDoc(ids.get(c), approx[j]));
        }
        int s = q.split().equals("train") ? 0 : 1;
        corr[s] += pearson(exact, approx);
        sum[s] += TrecMetrics.evaluateQuery(qrels.get(q.split()), q.id(), ranking).ndcgCut10();
        n[s]++;
      }
      System.out.printf(
          "%-22s train %.4f  test %.4f  stored/encoded tokens %.4f  token MSE %.4f  cos %.4f ± %.4f"
              + "  score corr train %.4f test %.4f  (%.0f s)%n",
          v,
          sum[0] / n[0],
          sum[1] / n[1],
          stored / (double) total,
          RECON[0] / RECON[2],
          RECON[1] / RECON[2],
          Math.sqrt(RECON[3] / RECON[2] - Math.pow(RECON[1] / RECON[2], 2)),
          corr[0] / n[0],
          corr[1] / n[1],
          (System.nanoTime() - t0) / 1e9);
    }
  }

  /** Each query's exact float MaxSim of its candidates (in candidate order). */
  static final Map<Q, float[]> EXACT = new java.util.IdentityHashMap<>();

  static float[] exactScores(PreparedQuery p, Q q, List<TokenMatrix> docs) {
    float[] out = new float[q.cands().length];
    for (int j = 0; j < out.length; j++) {
      TokenMatrix d = docs.get(q.cands()[j]);
      out[j] = VectorKernel.get().maxSim(p, d.data(), 0, d.rows());
    }
    return out;
  }

  /**
   * Pearson correlation of a query's candidate scores, coded against exact: how much of the ranking
   * signal among the candidates survives (shrinking every score alike costs nothing).
   */
  static double pearson(float[] a, float[] b) {
    double ma = 0, mb = 0;
    for (int i = 0; i < a.length; i++) {
      ma += a[i];
      mb += b[i];
    }
    ma /= a.length;
    mb /= a.length;
    double ab = 0, aa = 0, bb = 0;
    for (int i = 0; i < a.length; i++) {
      ab += (a[i] - ma) * (b[i] - mb);
      aa += (a[i] - ma) * (a[i] - ma);
      bb += (b[i] - mb) * (b[i] - mb);
    }
    return ab / Math.sqrt(aa * bb);
  }

  static final Map<String, Map<TokenMatrix, int[]>> ASSIGNED = new java.util.HashMap<>();

  static UnaryOperator<TokenMatrix> variant(
      String v, float[] centroids, List<TokenMatrix> sample, List<TokenMatrix> docs) {
    // name: float | r<bits>[-p<pool>][-lm][-norm]
    if (v.equals("float")) return d -> d;
    int pool = v.contains("-p2") ? 2 : v.contains("-p3") ? 3 : 1;
    TokenPooler pooler = pool > 1 ? new TokenPooler(pool, true, rule(v)) : null;
    UnaryOperator<TokenMatrix> pooling = d -> pooler == null ? d : pooler.pool(d);
    if (v.startsWith("float")) return pooling;
    if (v.startsWith("bit"))
      return d -> {
        TokenMatrix p = pooling.apply(d);
        byte[] enc = dev.latte.core.codec.TokenCodec.BIT.encode(p);
        return record(p, dev.latte.core.codec.StoredTokenMatrix.decode(enc, 0, enc.length, DIM));
      };
    int bits = v.charAt(1) - '0';
    if (v.contains("-kp")) {
      // centroids trained on pooled tokens: every 4th document, pooled
      List<TokenMatrix> train = new ArrayList<>();
      for (int i = 0; i < docs.size(); i += 4) train.add(pooling.apply(docs.get(i)));
      float[] tr = ResidualCodecProbe.concat(train, DIM);
      int kk = ResidualTraining.centroids(docs.stream().mapToLong(TokenMatrix::rows).sum() / pool);
      int rowsN = Math.min(tr.length / DIM, kk * ResidualTraining.POINTS_PER_CENTROID);
      centroids =
          ResidualTraining.trainCentroids(Arrays.copyOf(tr, rowsN * DIM), rowsN, DIM, kk, 2);
      System.out.println("trained " + kk + " centroids on " + rowsN + " pooled rows");
      pool = pool * 100; // separate assignment cache
    }
    int poolKey = pool;
    List<TokenMatrix> pooledSample = sample.stream().map(pooling).toList();
    float[] rows = ResidualCodecProbe.concat(pooledSample, DIM);
    int n = rows.length / DIM;
    ResidualCodebook book = ResidualTraining.fit(bits, centroids, DIM, rows, n);
    boolean tangent = v.contains("-tan");
    if (tangent) {
      int[] assign = new int[n];
      VectorKernel.get().assignCentroids(book, rows, 0, n, assign);
      float[] t = tangent(new TokenMatrix(rows, n, DIM), assign, centroids).data();
      book = ResidualCodebook.fit(bits, centroids, DIM, t, n, assign).withoutScales();
    }
    if (v.contains("-lm")) book = lloydMax(book, centroids, rows, n);
    if (v.contains("-quantile")) book = quantile(book, centroids, rows, n);
    if (v.contains("-qs")) { // quantile cutoffs + bucket means, then the least-squares scales
      int[] assign = new int[n];
      VectorKernel.get().assignCentroids(book, rows, 0, n, assign);
      book = quantile(book, centroids, rows, n).withScalesFitted(rows, n, assign);
    }
    if (v.contains("-entropy"))
      System.out.printf("%s code entropy %.4f bits%n", v, entropy(book, rows, n));
    if (v.contains("-noscale")) book = book.withoutScales(); // as indexes coded before scales
    boolean residualScale = v.contains("-rs");
    java.util.regex.Matcher gm = java.util.regex.Pattern.compile("-g(-?[0-9.]+)").matcher(v);
    double gamma = gm.find() ? Double.parseDouble(gm.group(1)) : Double.NaN;
    if (residualScale || !Double.isNaN(gamma)) book = book.withoutScales();
    System.out.println(v + ": " + book);
    ResidualCodebook b = book;
    float[] cents = centroids;
    boolean norm = v.contains("-norm");
    Map<TokenMatrix, int[]> assigned =
        ASSIGNED.computeIfAbsent(
            poolKey + v.replaceAll("^r[0-9]", ""), x -> new java.util.IdentityHashMap<>());
    return d -> {
      TokenMatrix p = pooling.apply(d);
      int[] ids = assigned.get(d);
      if (ids == null) {
        ids = new int[p.rows()];
        VectorKernel.get().assignCentroids(b, p.data(), 0, p.rows(), ids);
        assigned.put(d, ids);
      }
      byte[] enc = b.encode(tangent ? tangent(p, ids, cents) : p, ids);
      TokenMatrix dec = b.decode(enc, 0, enc.length);
      if (tangent) dec = confidenceScaled(p, dec, 0);
      if (residualScale) dec = residualScaled(p, dec, ids, cents);
      if (!Double.isNaN(gamma)) dec = confidenceScaled(p, dec, gamma);
      return record(p, norm ? ResidualCodecProbe.normalise(dec) : dec);
    };
  }

  /**
   * {@code -rs}: each decoded token c + r^ re-weighted as c + b . r^ with b = r.r^ / r^.r^ (the
   * least-squares factor of the residual alone, in float: what a residual-only scale byte could
   * reach at best).
   */
  static TokenMatrix residualScaled(TokenMatrix x, TokenMatrix dec, int[] ids, float[] centroids) {
    float[] out = dec.data().clone();
    float[] xs = x.data();
    for (int t = 0; t < x.rows(); t++) {
      double rr = 0, hh = 0;
      int o = t * DIM, c = ids[t] * DIM;
      for (int d = 0; d < DIM; d++) {
        double h = out[o + d] - centroids[c + d];
        rr += (xs[o + d] - centroids[c + d]) * h;
        hh += h * h;
      }
      double s = hh > 0 ? rr / hh : 1;
      for (int d = 0; d < DIM; d++)
        out[o + d] = (float) (centroids[c + d] + s * (out[o + d] - centroids[c + d]));
    }
    return new TokenMatrix(out, x.rows(), DIM);
  }

  /**
   * {@code -g<γ>}: each decoded token x^ scaled by s = (x.x^ / x^.x^) . cos(x, x^)^γ in float: the
   * least-squares factor (γ = 0), the length ratio (γ = -1), or shrunk further by the token's
   * reconstruction quality (γ > 0).
   */
  static TokenMatrix confidenceScaled(TokenMatrix x, TokenMatrix dec, double gamma) {
    float[] out = dec.data().clone();
    float[] xs = x.data();
    for (int t = 0; t < x.rows(); t++) {
      double xh = 0, hh = 0, xx = 0;
      int o = t * DIM;
      for (int d = 0; d < DIM; d++) {
        xh += xs[o + d] * (double) out[o + d];
        hh += out[o + d] * (double) out[o + d];
        xx += xs[o + d] * (double) xs[o + d];
      }
      double s = xh / hh * Math.pow(xh / Math.sqrt(xx * hh), gamma);
      for (int d = 0; d < DIM; d++) out[o + d] = (float) (s * out[o + d]);
    }
    return new TokenMatrix(out, x.rows(), DIM);
  }

  /**
   * {@code -tan}: each token x replaced by x / (x.c), its central projection onto the plane tangent
   * to its centroid c, so that the residual x / (x.c) - c is orthogonal to c (the per-token scale
   * then carries the length along c; no residual bit is spent on it).
   */
  static TokenMatrix tangent(TokenMatrix x, int[] ids, float[] centroids) {
    float[] out = x.data().clone();
    for (int t = 0; t < x.rows(); t++) {
      double xc = 0;
      int o = t * DIM, c = ids[t] * DIM;
      for (int d = 0; d < DIM; d++) xc += out[o + d] * (double) centroids[c + d];
      if (xc < 0.05) continue;
      for (int d = 0; d < DIM; d++) out[o + d] = (float) (out[o + d] / xc);
    }
    return new TokenMatrix(out, x.rows(), DIM);
  }

  /** Summed squared error, summed cosine and tokens of the current variant's coded tokens. */
  static final double[] RECON = new double[4];

  static synchronized TokenMatrix record(TokenMatrix x, TokenMatrix dec) {
    double[] r = reconstruction(x, dec);
    RECON[0] += r[0];
    RECON[1] += r[1];
    RECON[2] += x.rows();
    RECON[3] += r[2];
    return dec;
  }

  /** Mean squared error and mean cosine of decoded tokens against the tokens they code. */
  static double[] reconstruction(TokenMatrix x, TokenMatrix dec) {
    double se = 0, cos = 0, cos2 = 0;
    float[] a = x.data(), b = dec.data();
    for (int t = 0; t < x.rows(); t++) {
      double ab = 0, aa = 0, bb = 0, e = 0;
      for (int d = t * DIM; d < (t + 1) * DIM; d++) {
        ab += a[d] * (double) b[d];
        aa += a[d] * (double) a[d];
        bb += b[d] * (double) b[d];
        e += (a[d] - b[d]) * (double) (a[d] - b[d]);
      }
      se += e;
      double c = ab / Math.sqrt(aa * bb);
      cos += c;
      cos2 += c * c;
    }
    return new double[] {se, cos, cos2};
  }

  /**
   * The pooling rule a variant names: {@code -last} protects the last row, {@code -min<N>} leaves
   * documents of at most N rows unpooled, {@code -h<X>} merges only below Ward height X.
   */
  static TokenPooler.Rule rule(String v) {
    boolean last = false;
    int min = 0;
    double h = Double.POSITIVE_INFINITY;
    for (String part : v.split("-")) {
      if (part.equals("last")) last = true;
      else if (part.startsWith("min")) min = Integer.parseInt(part.substring(3));
      else if (part.matches("h[0-9.]+")) h = Double.parseDouble(part.substring(1));
    }
    return new TokenPooler.Rule(last, min, h);
  }

  /** Mean binary entropy (bits) per dimension of a codebook's codes on the sample's residuals. */
  static double entropy(ResidualCodebook book, float[] rows, int n) {
    int[] assign = new int[n];
    VectorKernel.get().assignCentroids(book, rows, 0, n, assign);
    int buckets = 1 << book.bits();
    double h = 0;
    float[] cut = book.cutoffs(), cents = book.centroids();
    for (int d = 0; d < DIM; d++) {
      long[] count = new long[buckets];
      for (int t = 0; t < n; t++) {
        float r = rows[t * DIM + d] - cents[assign[t] * DIM + d];
        int b = 0;
        while (b < buckets - 1 && r >= cut[d * (buckets - 1) + b]) b++;
        count[b]++;
      }
      for (long c : count) if (c > 0) h -= c / (double) n * Math.log(c / (double) n) / Math.log(2);
    }
    return h / DIM;
  }

  /** The old fit: quantile cutoffs, bucket means. */
  static ResidualCodebook quantile(ResidualCodebook q, float[] centroids, float[] rows, int n) {
    int bits = q.bits(), buckets = 1 << bits;
    int[] assign = new int[n];
    VectorKernel.get().assignCentroids(q, rows, 0, n, assign);
    float[] cut = q.cutoffs(), w = q.weights();
    float[] vals = new float[n];
    for (int d = 0; d < DIM; d++) {
      for (int t = 0; t < n; t++) vals[t] = rows[t * DIM + d] - centroids[assign[t] * DIM + d];
      Arrays.sort(vals);
      for (int j = 1; j < buckets; j++)
        cut[d * (buckets - 1) + j - 1] = vals[(int) ((long) j * n / buckets)];
      double[] s = new double[buckets];
      int[] c = new int[buckets];
      for (float x : vals) {
        int b = 0;
        while (b < buckets - 1 && x >= cut[d * (buckets - 1) + b]) b++;
        s[b] += x;
        c[b]++;
      }
      for (int b = 0; b < buckets; b++) if (c[b] > 0) w[d * buckets + b] = (float) (s[b] / c[b]);
    }
    return new ResidualCodebook(bits, DIM, centroids, cut, w);
  }

  /** Per-dimension 1-D k-means (Lloyd-Max) started from the quantile buckets. */
  static ResidualCodebook lloydMax(ResidualCodebook q, float[] centroids, float[] rows, int n) {
    int bits = q.bits(), buckets = 1 << bits;
    int[] assign = new int[n];
    VectorKernel.get().assignCentroids(q, rows, 0, n, assign);
    float[] cut = q.cutoffs(), w = q.weights();
    float[] vals = new float[n];
    for (int d = 0; d < DIM; d++) {
      for (int t = 0; t < n; t++) vals[t] = rows[t * DIM + d] - centroids[assign[t] * DIM + d];
      Arrays.sort(vals);
      for (int it = 0; it < 30; it++) {
        for (int j = 0; j < buckets - 1; j++)
          cut[d * (buckets - 1) + j] = (w[d * buckets + j] + w[d * buckets + j + 1]) / 2;
        double[] s = new double[buckets];
        int[] c = new int[buckets];
        for (float x : vals) {
          int b = 0;
          while (b < buckets - 1 && x >= cut[d * (buckets - 1) + b]) b++;
          s[b] += x;
          c[b]++;
        }
        for (int b = 0; b < buckets; b++) if (c[b] > 0) w[d * buckets + b] = (float) (s[b] / c[b]);
      }
    }
    return new ResidualCodebook(bits, DIM, centroids, cut, w);
  }

  static List<Q> build(BeirDataset ds, Map<String, Qrels> qrels, List<TokenMatrix> docs, Path cache)
      throws IOException {
    Map<String, Query> all = ds.queries();
    List<Q> out = new ArrayList<>();
    VectorKernel k = VectorKernel.get();
    try (TokenEncoder enc = BundledModel.load()) {
      for (String split : qrels.keySet()) {
        for (String id : qrels.get(split).queriesWithRelevant()) {
          TokenMatrix m = enc.encodeQuery(all.get(id).text()).matrix();
          PreparedQuery p = k.prepare(m);
          float[] s = new float[docs.size()];
          for (int j = 0; j < docs.size(); j++)
            s[j] = k.maxSim(p, docs.get(j).data(), 0, docs.get(j).rows());
          Integer[] order = new Integer[s.length];
          for (int j = 0; j < s.length; j++) order[j] = j;
          Arrays.sort(order, (a, b) -> Float.compare(s[b], s[a]));
          int[] c = new int[CANDIDATES];
          for (int j = 0; j < CANDIDATES; j++) c[j] = order[j];
          out.add(new Q(split, id, m, c));
          if (out.size() % 100 == 0) System.out.println(out.size() + " queries scored");
        }
      }
    }
    try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(cache))) {
      o.writeInt(out.size());
      for (Q q : out) {
        o.writeUTF(q.split());
        o.writeUTF(q.id());
        o.writeInt(q.m().rows());
        for (float f : q.m().data()) o.writeFloat(f);
        for (int c : q.cands()) o.writeInt(c);
      }
    }
    return out;
  }

  static List<Q> read(Path cache) throws IOException {
    try (DataInputStream in =
        new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(cache)))) {
      int n = in.readInt();
      List<Q> out = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String split = in.readUTF(), id = in.readUTF();
        int rows = in.readInt();
        float[] v = new float[rows * DIM];
        for (int j = 0; j < v.length; j++) v[j] = in.readFloat();
        int[] c = new int[CANDIDATES];
        for (int j = 0; j < CANDIDATES; j++) c[j] = in.readInt();
        out.add(new Q(split, id, new TokenMatrix(v, rows, DIM), c));
      }
      return out;
    }
  }
}
