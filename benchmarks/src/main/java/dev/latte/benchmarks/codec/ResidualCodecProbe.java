package dev.latte.benchmarks.codec;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.ResidualCodebook;
import dev.latte.core.kernel.ResidualQuery;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.datasets.BeirDataset;
import dev.latte.datasets.Query;
import dev.latte.encoders.BundledModel;
import dev.latte.encoders.TokenEncoder;
import dev.latte.indexer.IndexLayout;
import dev.latte.indexer.ResidualTraining;
import dev.latte.indexer.firststage.MatrixFile;
import dev.latte.indexer.firststage.SourceDocuments;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * Diagnostic behind the README's "why residual-2 scored below residual-1" (issue 12): on real
 * tokens of a float32 index (every {@code DOC_EVERY}-th document) and real queries, per bit width,
 * the per-token reconstruction error, |q.x^ - q.x|, MaxSim errors, and the code-domain kernels
 * (Vector API, scalar, lookup tables) against float MaxSim over the decoded vectors. With {@code
 * RESIDUAL_INDEX BITS} it instead checks a re-coded index: its stored codebook against a fresh fit,
 * its stored centroid ids against the nearest centroid, its decoded tokens against the source's.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp "cli/target/latte-cli-0.1.0-SNAPSHOT.jar:cli/target/lib/*:benchmarks/target/classes" \
 *   dev.latte.benchmarks.codec.ResidualCodecProbe FLOAT_INDEX ../shared/datasets/scifact 20 25 [RESIDUAL_INDEX BITS]
 * </pre>
 *
 * Assumes 384-d tokens (the bundled model).
 */
public final class ResidualCodecProbe {
  public static void main(String[] args) throws Exception {
    if (args.length != 4 && args.length != 6) {
      System.err.println(
          "usage: ResidualCodecProbe FLOAT32_INDEX BEIR_DIR QUERIES DOC_EVERY [RESIDUAL_INDEX BITS]");
      System.exit(2);
    }
    Path index = Path.of(args[0]);
    Path dataset = Path.of(args[1]);
    int nQueries = Integer.parseInt(args[2]);
    int docEvery = Integer.parseInt(args[3]);
    int dim = 384;
    List<TokenMatrix> docs = new ArrayList<>();
    List<TokenMatrix> sample = new ArrayList<>();
    float[] centroids;
    try (Directory dir = FSDirectory.open(index);
        DirectoryReader reader = DirectoryReader.open(dir)) {
      long total = SourceDocuments.tokens(reader);
      long every = Math.max(1, total / ResidualTraining.WINDOW_TOKENS);
      long[] seen = {0};
      SourceDocuments.forEach(
          reader,
          dim,
          false,
          (doc, m, a) -> {
            long s = seen[0]++;
            if (s % every == 0) sample.add(m);
            if (s % docEvery == 3) docs.add(m);
          });
      try (Directory x = FSDirectory.open(index.resolve("latte-xtr"))) {
        centroids = MatrixFile.read(x, "latte_xtr_centroids.bin", "LatteXtrCentroids").data();
      }
    }
    float[] sampleRows = concat(sample, dim);
    if (args.length > 4) {
      stored(index, Path.of(args[4]), centroids, sampleRows, dim, Integer.parseInt(args[5]));
      return;
    }
    System.out.printf(
        "docs %d, sample rows %d, K %d%n",
        docs.size(), sampleRows.length / dim, centroids.length / dim);
    List<TokenMatrix> queries = new ArrayList<>();
    try (TokenEncoder enc = BundledModel.load()) {
      Map<String, Query> qs = BeirDataset.open(dataset).queries();
      for (Query q : qs.values()) {
        if (queries.size() >= nQueries) break;
        var e = enc.encodeQuery(q.text());
        queries.add(e.matrix());
      }
    }
    VectorKernel kernel = VectorKernel.get();
    VectorKernel scalar = VectorKernel.scalar();
    VectorKernel lut = VectorKernel.scalarCodeDomain();
    for (int bits : new int[] {1, 2, 4}) {
      ResidualCodebook book =
          ResidualTraining.fit(bits, centroids, dim, sampleRows, sampleRows.length / dim);
      double se = 0, normSum = 0, n = 0, dotAbs = 0, dotBias = 0, dotN = 0;
      double dotAbsNorm = 0;
      List<byte[]> coded = new ArrayList<>();
      List<TokenMatrix> decoded = new ArrayList<>();
      for (TokenMatrix d : docs) {
        int[] ids = new int[d.rows()];
        kernel.assignCentroids(book, d.data(), 0, d.rows(), ids);
        byte[] v = book.encode(d, ids);
        coded.add(v);
        TokenMatrix dec = book.decode(v, 0, v.length);
        decoded.add(dec);
        for (int t = 0; t < d.rows(); t++) {
          double nn = 0;
          for (int k = 0; k < dim; k++) {
            double e = dec.data()[t * dim + k] - d.data()[t * dim + k];
            se += e * e;
            nn += dec.data()[t * dim + k] * (double) dec.data()[t * dim + k];
          }
          normSum += Math.sqrt(nn);
          n++;
        }
      }
      // |q.x^ - q.x| over query tokens x doc tokens (first few queries, every doc)
      double maxSimAbs = 0, maxSimBias = 0, maxSimN = 0, maxSimNormAbs = 0;
      double kernelDiff = 0, scalarDiff = 0, lutDiff = 0;
      double top10 = 0, top10Norm = 0;
      for (TokenMatrix q : queries) {
        ResidualQuery rq = kernel.prepareResidual(q, book);
        ResidualQuery rqs = scalar.prepareResidual(q, book);
        ResidualQuery rql = lut.prepareResidual(q, book);
        float[] exact = new float[docs.size()];
        float[] approx = new float[docs.size()];
        float[] approxNorm = new float[docs.size()];
        for (int j = 0; j < docs.size(); j++) {
          TokenMatrix d = docs.get(j), dec = decoded.get(j);
          if (d.rows() == 0) continue;
          exact[j] = scalar.maxSim(q, d);
          approx[j] = scalar.maxSim(q, dec);
          approxNorm[j] = scalar.maxSim(q, normalise(dec));
          byte[] v = coded.get(j);
          float k1 = kernel.maxSimResidual(rq, v, 8, d.rows());
          float k2 = scalar.maxSimResidual(rqs, v, 8, d.rows());
          float k3 = lut.maxSimResidual(rql, v, 8, d.rows());
          kernelDiff = Math.max(kernelDiff, Math.abs(k1 - approx[j]));
          scalarDiff = Math.max(scalarDiff, Math.abs(k2 - approx[j]));
          lutDiff = Math.max(lutDiff, Math.abs(k3 - approx[j]));
          maxSimAbs += Math.abs(approx[j] - exact[j]) / q.rows();
          maxSimNormAbs += Math.abs(approxNorm[j] - exact[j]) / q.rows();
          maxSimBias += (approx[j] - exact[j]) / q.rows();
          maxSimN++;
          if (j % 8 == 0) {
            for (int i = 0; i < q.rows(); i++)
              for (int t = 0; t < d.rows(); t++) {
                double a = 0, b = 0, c = 0;
                for (int k = 0; k < dim; k++) {
                  a += q.data()[i * dim + k] * (double) d.data()[t * dim + k];
                  b += q.data()[i * dim + k] * (double) dec.data()[t * dim + k];
                }
                dotAbs += Math.abs(b - a);
                dotBias += b - a;
                dotN++;
              }
          }
        }
        top10 += overlap(exact, approx, 10);
        top10Norm += overlap(exact, approxNorm, 10);
      }
      System.out.printf(
          "bits %d: MSE/token %.5f, mean |x^| %.4f, |q.x^-q.x| %.5f (bias %+.5f), MaxSim/qtok"
              + " |err| %.5f (bias %+.5f), renormalised |err| %.5f, top10 overlap %.3f"
              + " (renormalised %.3f),"
              + " kernel %s max|diff| %.2e scalar %.2e lut %.2e%n",
          bits,
          se / n,
          normSum / n,
          dotAbs / dotN,
          dotBias / dotN,
          maxSimAbs / maxSimN,
          maxSimBias / maxSimN,
          maxSimNormAbs / maxSimN,
          top10 / queries.size(),
          top10Norm / queries.size(),
          kernel.name(),
          kernelDiff,
          scalarDiff,
          lutDiff);
    }
  }

  static void stored(
      Path floatIndex, Path residualIndex, float[] centroids, float[] sampleRows, int dim, int bits)
      throws Exception {
    ResidualCodebook fresh =
        ResidualTraining.fit(bits, centroids, dim, sampleRows, sampleRows.length / dim);
    ResidualCodebook book = dev.latte.indexer.ResidualCodebookFile.read(residualIndex);
    System.out.println(
        "stored "
            + book
            + " "
            + book.fingerprint()
            + " fresh "
            + fresh.fingerprint()
            + " cutoff[0..2] stored "
            + java.util.Arrays.toString(java.util.Arrays.copyOf(book.cutoffs(), 3))
            + " fresh "
            + java.util.Arrays.toString(java.util.Arrays.copyOf(fresh.cutoffs(), 3))
            + " weights[0..3] stored "
            + java.util.Arrays.toString(java.util.Arrays.copyOf(book.weights(), 4))
            + " fresh "
            + java.util.Arrays.toString(java.util.Arrays.copyOf(fresh.weights(), 4)));
    Map<String, TokenMatrix> byId = new java.util.HashMap<>();
    try (Directory dir = FSDirectory.open(floatIndex);
        DirectoryReader reader = DirectoryReader.open(dir)) {
      SourceDocuments.forEach(
          reader,
          dim,
          false,
          (doc, m, a) -> {
            if (doc % 10 == 0)
              byId.put(
                  reader
                      .storedFields()
                      .document(doc, java.util.Set.of(IndexLayout.ID))
                      .get(IndexLayout.ID),
                  m);
          });
    }
    double se = 0, n = 0, wrongId = 0;
    try (Directory dir = FSDirectory.open(residualIndex);
        DirectoryReader reader = DirectoryReader.open(dir)) {
      for (var leaf : reader.leaves()) {
        var values = dev.latte.indexer.lists.DocumentTokens.of(leaf.reader());
        var sf = leaf.reader().storedFields();
        for (int doc = values.nextDoc();
            doc != org.apache.lucene.search.DocIdSetIterator.NO_MORE_DOCS;
            doc = values.nextDoc()) {
          String id = sf.document(doc, java.util.Set.of(IndexLayout.ID)).get(IndexLayout.ID);
          TokenMatrix f = byId.get(id);
          if (f == null) continue;
          var v = values.binaryValue();
          TokenMatrix dec = book.decode(v.bytes, v.offset, v.length);
          if (dec.rows() != f.rows()) throw new IllegalStateException("rows differ " + id);
          int[] ids = new int[f.rows()];
          VectorKernel.get().assignCentroids(book, f.data(), 0, f.rows(), ids);
          for (int t = 0; t < f.rows(); t++) {
            if (dev.latte.core.codec.TokenCodec.residualCentroid(v.bytes, v.offset + 8, t)
                != ids[t]) wrongId++;
            for (int k = 0; k < dim; k++) {
              double e = dec.data()[t * dim + k] - f.data()[t * dim + k];
              se += e * e;
            }
            n++;
          }
        }
      }
    }
    System.out.printf(
        "stored tokens %d: MSE %.5f, ids differing from nearest %d%n",
        (long) n, se / n, (long) wrongId);
  }

  static TokenMatrix normalise(TokenMatrix m) {
    int dim = m.dim();
    float[] out = m.data().clone();
    for (int t = 0; t < m.rows(); t++) {
      double s = 0;
      for (int k = 0; k < dim; k++) s += out[t * dim + k] * (double) out[t * dim + k];
      float inv = (float) (1 / Math.sqrt(s));
      for (int k = 0; k < dim; k++) out[t * dim + k] *= inv;
    }
    return new TokenMatrix(out, m.rows(), dim);
  }

  static double overlap(float[] exact, float[] approx, int k) {
    Integer[] a = top(exact, k), b = top(approx, k);
    int hit = 0;
    for (Integer x : a) for (Integer y : b) if (x.equals(y)) hit++;
    return hit / (double) k;
  }

  static Integer[] top(float[] s, int k) {
    Integer[] idx = new Integer[s.length];
    for (int i = 0; i < s.length; i++) idx[i] = i;
    java.util.Arrays.sort(idx, (x, y) -> Float.compare(s[y], s[x]));
    return java.util.Arrays.copyOf(idx, k);
  }

  static float[] concat(List<TokenMatrix> ms, int dim) {
    int rows = 0;
    for (TokenMatrix m : ms) rows += m.rows();
    float[] out = new float[rows * dim];
    int at = 0;
    for (TokenMatrix m : ms) {
      System.arraycopy(m.data(), 0, out, at, m.rows() * dim);
      at += m.rows() * dim;
    }
    return out;
  }
}
