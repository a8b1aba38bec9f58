package dev.latte.searcher.firststage.coil;

import dev.latte.core.TokenMatrix;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.TokenAnnotations;
import dev.latte.indexer.firststage.Deriver;
import dev.latte.indexer.firststage.FirstStageBuilder;
import dev.latte.indexer.firststage.FirstStageFormat;
import dev.latte.indexer.firststage.MatrixFile;
import dev.latte.indexer.firststage.PayloadTokenStream;
import dev.latte.indexer.firststage.Pca;
import dev.latte.indexer.firststage.SourceDocuments;
import dev.latte.indexer.firststage.SphericalKMeans;
import dev.latte.searcher.firststage.xtr.XtrBuilder;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.document.Document;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.Directory;
import org.apache.lucene.util.BytesRef;

/**
 * COIL's contextualised exact-match lists inside Lucene: field {@value #FIELD} has one term per
 * vocabulary token (the tokenizer's word piece, as stored in the main index's row annotations), and
 * each occurrence (position = row) carries the token's contextual vector reduced to {@link
 * Params#dimension} dimensions, int8-coded in its payload.
 *
 * <p>Reduction (training-free, the bundled models have no COIL head): projection onto the top
 * principal directions of the uncentred second moment of a uniform sample of the index's token
 * vectors ({@link Pca}), stored in {@value #PROJECTION_FILE}; queries are projected the same way,
 * so a posting's score approximates the full-dimension dot product. Needs an unpooled index of
 * layout 2 (row annotations).
 */
public final class CoilBuilder implements FirstStageBuilder {
  public static final String NAME = "coil";

  /** Bump on any change of this stage\'s file layout: structures in another version are rebuilt. */
  public static final FirstStageFormat FORMAT = new FirstStageFormat(NAME, 1);

  public static final String FIELD = "coil";
  public static final String PROJECTION_FILE = "latte_coil_projection.bin";
  public static final String PROJECTION_CODEC = "LatteCoilProjection";

  /**
   * @param dimension reduced dimension of the posting vectors (COIL used 32)
   * @param sample token vectors sampled to compute the projection
   */
  public record Params(int dimension, int sample, long seed) {
    public static final Params DEFAULT = new Params(32, 50_000, 42);
  }

  private final Params params;

  public CoilBuilder() {
    this(Params.DEFAULT);
  }

  public CoilBuilder(Params params) {
    this.params = params;
  }

  @Override
  public FirstStageFormat format() {
    return FORMAT;
  }

  @Override
  public boolean needsAnnotations() {
    return true;
  }

  @Override
  public void train(Directory dir, DirectoryReader main, IndexMetadata metadata)
      throws IOException {
    int dim = metadata.dimension();
    int r = Math.min(params.dimension(), dim);
    float[] sample = SourceDocuments.sampleRows(main, dim, true, params.sample(), params.seed());
    int n = sample.length / dim;
    float[] projection = Pca.topDirections(sample, n, dim, r, 30, params.seed());
    MatrixFile.write(dir, PROJECTION_FILE, PROJECTION_CODEC, new TokenMatrix(projection, r, dim));
  }

  @Override
  public Deriver deriver(Directory dir, IndexMetadata metadata) throws IOException {
    TokenMatrix p = readProjection(dir);
    int dim = metadata.dimension();
    int r = p.rows();
    if (p.dim() != dim)
      throw new dev.latte.indexer.IndexMismatchException(
          "the COIL projection takes " + p.dim() + "-d vectors, the index holds " + dim + "-d");
    float[] projectionT = SphericalKMeans.transpose(p.data(), r, dim);
    VectorKernel kernel = VectorKernel.get();
    return new Deriver() {
      @Override
      public boolean needsAnnotations() {
        return true;
      }

      @Override
      public List<Document> derive(List<TokenMatrix> mats, List<TokenAnnotations> anns) {
        List<Document> out = new ArrayList<>(mats.size());
        for (int i = 0; i < mats.size(); i++) {
          TokenMatrix m = mats.get(i);
          Document d = new Document();
          if (m.rows() > 0) {
            float[] reduced = new float[m.rows() * r];
            kernel.dotMatrix(m.data(), 0, m.rows(), projectionT, r, r == 0 ? 0 : dim, reduced);
            BytesRef[] payloads = new BytesRef[m.rows()];
            for (int j = 0; j < m.rows(); j++) payloads[j] = XtrBuilder.code(reduced, j * r, r);
            d.add(PayloadTokenStream.field(FIELD, anns.get(i).tokens(), payloads));
          }
          out.add(d);
        }
        return out;
      }
    };
  }

  public static TokenMatrix readProjection(Directory dir) throws IOException {
    return MatrixFile.read(dir, PROJECTION_FILE, PROJECTION_CODEC);
  }
}
