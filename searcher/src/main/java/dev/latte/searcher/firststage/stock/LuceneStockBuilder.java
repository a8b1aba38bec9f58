package dev.latte.searcher.firststage.stock;

import dev.latte.core.TokenMatrix;
import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.TokenAnnotations;
import dev.latte.indexer.firststage.Deriver;
import dev.latte.indexer.firststage.FirstStageBuilder;
import dev.latte.indexer.firststage.FirstStageFormat;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.LateInteractionField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.store.Directory;

/**
 * The {@code lucene-stock} first stage: what a Lucene (or OpenSearch) user would build today from
 * token vectors with nothing but stock Lucene, kept as the baseline Latte's own first stages must
 * beat.
 *
 * <p>One derived document per live main document, holding:
 *
 * <ul>
 *   <li>{@value #POOLED}: a {@link KnnFloatVectorField} with {@link
 *       VectorSimilarityFunction#DOT_PRODUCT}, the mean of the document's token vectors,
 *       L2-normalised (left out for a document without tokens);
 *   <li>{@value #TOKENS}: a {@link LateInteractionField} with the document's full float token
 *       matrix (dequantised if the main index stores another codec; left out for a document without
 *       tokens), for Lucene's {@code LateInteractionRescorer};
 *   <li>the links to the main document ({@link FirstStageIndex}).
 * </ul>
 *
 * <p>Settings are Lucene's defaults, deliberately untuned: the default codec (Lucene104Codec in
 * Lucene 10.5.1), whose vectors format is {@code Lucene99HnswVectorsFormat} with float32 vectors
 * (no quantisation), {@code M} = 16 ({@code DEFAULT_MAX_CONN}) and {@code beamWidth} = 100 ({@code
 * DEFAULT_BEAM_WIDTH}). The writer uses a 256 MB RAM buffer, and the index is force-merged to one
 * segment so a search walks a single HNSW graph.
 */
public final class LuceneStockBuilder implements FirstStageBuilder {
  public static final String NAME = "lucene-stock";

  /** Bump on any change of this stage\'s file layout: structures in another version are rebuilt. */
  public static final FirstStageFormat FORMAT = new FirstStageFormat(NAME, 1);

  public static final String POOLED = "pooled";
  public static final String TOKENS = "tokens";

  @Override
  public FirstStageFormat format() {
    return FORMAT;
  }

  @Override
  public boolean needsAnnotations() {
    return false;
  }

  @Override
  public boolean trainsParameters() {
    return false;
  }

  @Override
  public void train(Directory dir, DirectoryReader main, IndexMetadata metadata) {
    // nothing to train: stock Lucene has no parameters beyond its defaults
  }

  @Override
  public Deriver deriver(Directory dir, IndexMetadata metadata) {
    return new Deriver() {
      @Override
      public boolean needsAnnotations() {
        return false;
      }

      @Override
      public List<Document> derive(List<TokenMatrix> mats, List<TokenAnnotations> anns) {
        List<Document> out = new ArrayList<>(mats.size());
        for (TokenMatrix matrix : mats) {
          Document doc = new Document();
          if (matrix.rows() > 0) {
            doc.add(
                new KnnFloatVectorField(
                    POOLED, meanNormalized(matrix), VectorSimilarityFunction.DOT_PRODUCT));
            doc.add(new LateInteractionField(TOKENS, matrix.toArray()));
          }
          out.add(doc);
        }
        return out;
      }
    };
  }

  /**
   * The mean of the rows of a non-empty matrix, L2-normalised (left as is if it is all zeros).
   * Shared with the search side so queries are pooled exactly like documents.
   */
  public static float[] meanNormalized(TokenMatrix m) {
    int rows = m.rows();
    int dim = m.dim();
    float[] data = m.data();
    float[] v = new float[dim];
    for (int r = 0; r < rows; r++) {
      int off = r * dim;
      for (int c = 0; c < dim; c++) v[c] += data[off + c];
    }
    double norm = 0;
    for (float x : v) norm += (double) x * x;
    if (norm > 0) {
      float inv = (float) (1 / Math.sqrt(norm));
      for (int c = 0; c < dim; c++) v[c] *= inv;
    }
    return v;
  }
}
