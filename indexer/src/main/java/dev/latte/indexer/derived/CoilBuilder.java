package dev.latte.indexer.derived;

import dev.latte.core.TokenMatrix;
import dev.latte.core.kernel.MaxSimKernel;
import dev.latte.core.kernel.MaxSimKernels;
import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.IndexProgress;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.lucene.document.Document;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
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
public final class CoilBuilder implements DerivedIndexBuilder {
  public static final String NAME = "coil";
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
  public String name() {
    return NAME;
  }

  @Override
  public void build(
      Path mainIndex, DirectoryReader main, IndexMetadata metadata, IndexProgress progress)
      throws IOException {
    int dim = metadata.dimension();
    int r = Math.min(params.dimension(), dim);
    float[] sample = SourceDocuments.sampleRows(main, dim, true, params.sample(), params.seed());
    int n = sample.length / dim;
    float[] projection = Pca.topDirections(sample, n, dim, r, 30, params.seed());
    float[] projectionT = SphericalKMeans.transpose(projection, r, dim);
    MaxSimKernel kernel = MaxSimKernels.get();

    DerivedIndex.delete(mainIndex, NAME);
    try (Directory dir = FSDirectory.open(DerivedIndex.dir(mainIndex, NAME))) {
      MatrixFile.write(dir, PROJECTION_FILE, PROJECTION_CODEC, new TokenMatrix(projection, r, dim));
      IndexWriterConfig cfg =
          new IndexWriterConfig()
              .setOpenMode(IndexWriterConfig.OpenMode.CREATE)
              .setRAMBufferSizeMB(256);
      try (IndexWriter w = new IndexWriter(dir, cfg)) {
        progress.start(main.numDocs());
        float[][] reduced = {new float[0]};
        SourceDocuments.forEach(
            main,
            dim,
            true,
            (doc, m, a) -> {
              Document d = new Document();
              if (m.rows() > 0) {
                if (reduced[0].length < m.rows() * r) reduced[0] = new float[m.rows() * r * 2];
                kernel.dotMatrix(
                    m.data(), 0, m.rows(), projectionT, r, r == 0 ? 0 : dim, reduced[0]);
                BytesRef[] payloads = new BytesRef[m.rows()];
                for (int j = 0; j < m.rows(); j++)
                  payloads[j] = XtrBuilder.code(reduced[0], j * r, r);
                d.add(PayloadTokenStream.field(FIELD, a.tokens(), payloads));
              }
              d.add(DerivedIndex.mainDoc(doc));
              w.addDocument(d);
              progress.advance(1);
            });
        progress.close();
        DerivedIndex.finish(w, main, NAME);
      }
    }
  }

  public static TokenMatrix readProjection(Directory dir) throws IOException {
    return MatrixFile.read(dir, PROJECTION_FILE, PROJECTION_CODEC);
  }
}
