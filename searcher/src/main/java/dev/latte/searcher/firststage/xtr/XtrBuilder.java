package dev.latte.searcher.firststage.xtr;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.TokenCodec;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.TokenAnnotations;
import dev.latte.indexer.firststage.Deriver;
import dev.latte.indexer.firststage.FirstStageBuilder;
import dev.latte.indexer.firststage.FirstStageFormat;
import dev.latte.indexer.firststage.MatrixFile;
import dev.latte.indexer.firststage.PayloadTokenStream;
import dev.latte.indexer.firststage.SourceDocuments;
import dev.latte.indexer.firststage.SphericalKMeans;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.document.Document;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.Directory;
import org.apache.lucene.util.BytesRef;

/**
 * The XTR first stage's token index: an inverted file over every document token vector, inside
 * Lucene.
 *
 * <ul>
 *   <li>Centroids: spherical k-means ({@link SphericalKMeans}) on a uniform sample of the index's
 *       token vectors ({@link Params#sampleFactor} points per centroid); stored in {@value
 *       #CENTROIDS_FILE} (CodecUtil header and checksum footer).
 *   <li>Lists: field {@value #FIELD}, one term per centroid (its number in base 36), postings with
 *       positions: a document's occurrences of a centroid are its rows assigned to it (position =
 *       row), and each position's payload is the row's int8 code ({@link TokenCodec#INT8} layout
 *       for one token: float32 scale then {@code dim} codes), so the first stage scores tokens
 *       without reading the main index's matrices.
 * </ul>
 *
 * The number of centroids defaults to the power of two nearest {@code 4 sqrt(tokens)} (4,096 for
 * SciFact's 1.08 M tokens), lists of about {@code sqrt(tokens) / 4} tokens.
 */
public final class XtrBuilder implements FirstStageBuilder {
  public static final String NAME = "xtr";

  /** Bump on any change of this stage\'s file layout: structures in another version are rebuilt. */
  public static final FirstStageFormat FORMAT = new FirstStageFormat(NAME, 1);

  public static final String FIELD = "xtr";
  public static final String CENTROIDS_FILE = "latte_xtr_centroids.bin";
  static final String CODEC_NAME = "LatteXtrCentroids";
  static final int VERSION = 0;

  /**
   * @param centroids lists in the inverted file; 0 chooses from the token count
   * @param sampleFactor k-means training points per centroid
   * @param iterations Lloyd iterations
   */
  public record Params(int centroids, int sampleFactor, int iterations, long seed, int threads) {
    public static final Params DEFAULT =
        new Params(0, 32, 10, 42, Runtime.getRuntime().availableProcessors());
  }

  private final Params params;
  private final VectorKernel kernel;

  public XtrBuilder() {
    this(Params.DEFAULT);
  }

  public XtrBuilder(Params params) {
    this.params = params;
    this.kernel = VectorKernel.get();
  }

  @Override
  public FirstStageFormat format() {
    return FORMAT;
  }

  @Override
  public boolean needsAnnotations() {
    return false;
  }

  public static int defaultCentroids(long tokens) {
    double target = 4 * Math.sqrt(Math.max(1, tokens));
    int k = Integer.highestOneBit((int) Math.max(1, Math.min(1 << 20, target)));
    if (target / k > Math.sqrt(2)) k <<= 1;
    return Math.max(16, k);
  }

  @Override
  public void train(Directory dir, DirectoryReader main, IndexMetadata metadata)
      throws IOException {
    int dim = metadata.dimension();
    long total = SourceDocuments.tokens(main);
    int k = params.centroids() > 0 ? params.centroids() : defaultCentroids(total);
    if (total < k) k = (int) Math.max(1, total);
    float[] sample =
        SourceDocuments.sampleRows(
            main,
            dim,
            false,
            (int) Math.min(total, (long) k * params.sampleFactor()),
            params.seed());
    int sampleSize = sample.length / dim;
    if (sampleSize == 0)
      throw new dev.latte.indexer.IndexMismatchException(
          "the XTR first stage needs token vectors to train its centroids; the index has none");
    SphericalKMeans kmeans = new SphericalKMeans(kernel, params.threads());
    float[] centroids =
        kmeans.train(sample, sampleSize, dim, k, params.iterations(), params.seed());
    writeCentroids(dir, centroids, k, dim);
  }

  @Override
  public Deriver deriver(Directory dir, IndexMetadata metadata) throws IOException {
    TokenMatrix c = readCentroids(dir);
    if (c.dim() != metadata.dimension())
      throw new dev.latte.indexer.IndexMismatchException(
          "XTR centroids are " + c.dim() + "-d, the index " + metadata.dimension() + "-d");
    SphericalKMeans kmeans = new SphericalKMeans(kernel, params.threads());
    return new Deriver() {
      @Override
      public boolean needsAnnotations() {
        return false;
      }

      @Override
      public List<Document> derive(List<TokenMatrix> mats, List<TokenAnnotations> anns) {
        return deriveChunk(mats, c.data(), c.rows(), c.dim(), kmeans);
      }
    };
  }

  /** Assigns a chunk of documents' rows to centroids (in parallel) and makes their postings. */
  private static List<Document> deriveChunk(
      List<TokenMatrix> mats, float[] centroids, int k, int dim, SphericalKMeans kmeans) {
    int n = 0;
    for (TokenMatrix m : mats) n += m.rows();
    float[] all = new float[n * dim];
    int at = 0;
    for (TokenMatrix m : mats) {
      System.arraycopy(m.data(), 0, all, at, m.rows() * dim);
      at += m.rows() * dim;
    }
    int[] assign = new int[n];
    if (n > 0) kmeans.assign(all, n, dim, centroids, k, assign, new float[n]);
    int row = 0;
    List<Document> out = new ArrayList<>(mats.size());
    for (TokenMatrix m : mats) {
      String[] terms = new String[m.rows()];
      BytesRef[] payloads = new BytesRef[m.rows()];
      for (int j = 0; j < m.rows(); j++, row++) {
        terms[j] = term(assign[row]);
        payloads[j] = code(m.data(), j * dim, dim);
      }
      Document d = new Document();
      d.add(PayloadTokenStream.field(FIELD, terms, payloads));
      out.add(d);
    }
    return out;
  }

  public static String term(int centroid) {
    return Integer.toString(centroid, 36);
  }

  /** One token's int8 code: the {@link TokenCodec#INT8} payload of a one-row matrix. */
  public static BytesRef code(float[] data, int offset, int dim) {
    float[] row = new float[dim];
    System.arraycopy(data, offset, row, 0, dim);
    byte[] stored = TokenCodec.INT8.encode(new TokenMatrix(row, 1, dim));
    return new BytesRef(
        stored,
        dev.latte.core.codec.StoredTokenMatrix.HEADER_BYTES,
        stored.length - dev.latte.core.codec.StoredTokenMatrix.HEADER_BYTES);
  }

  static void writeCentroids(Directory dir, float[] centroids, int k, int dim) throws IOException {
    MatrixFile.write(dir, CENTROIDS_FILE, CODEC_NAME, new TokenMatrix(centroids, k, dim));
  }

  /** Centroids as written by the builder, row-major {@code k x dim}; checksum verified. */
  public static TokenMatrix readCentroids(Directory dir) throws IOException {
    return MatrixFile.read(dir, CENTROIDS_FILE, CODEC_NAME);
  }
}
