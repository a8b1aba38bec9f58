package dev.latte.indexer;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.ResidualCodebook;
import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.core.codec.TokenCodec;
import dev.latte.datasets.Document;
import dev.latte.indexer.firststage.MatrixFile;
import dev.latte.indexer.firststage.SourceDocuments;
import dev.latte.indexer.pooling.TokenPooler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;

/**
 * Builds an index with other {@link IndexOptions} (codec, pool factor) from the full-precision
 * matrices of an existing float32, unpooled index — no re-encoding. This is how a trade-off sweep
 * compares codecs and pool factors on exactly the same token vectors.
 */
public final class IndexRecoder {
  private IndexRecoder() {}

  /** Returns statistics of the new index at {@code target}. */
  public static IndexStats recode(
      Path source, Path target, IndexOptions options, IndexProgress progress) throws IOException {
    try (Directory dir = FSDirectory.open(source);
        DirectoryReader reader = DirectoryReader.open(dir)) {
      IndexMetadata m = LatteIndexReaderSupport.metadataOf(reader.getIndexCommit());
      if (!m.options().equals(IndexOptions.DEFAULT)) {
        throw new IndexMismatchException(
            "index "
                + source
                + " stores "
                + m.options().label()
                + " matrices; re-coding needs a float32 index without pooling");
      }
      ResidualCodebook codebook =
          options.codec().isResidual() ? trainCodebook(source, reader, m, options) : null;
      progress.start(reader.numDocs());
      try (LatteIndexWriter w =
          LatteIndexWriter.openForEncoded(
              target, ModelIdentity.of(m), m.source(), m.sourceFingerprint(), options, codebook)) {
        String passages =
            reader.getIndexCommit().getUserData().get(IndexLayout.COMMIT_PASSAGES_KEY);
        if (passages != null) w.usePassages(dev.latte.encoders.PassagePolicy.fromJson(passages));
        Set<String> fields =
            Set.of(IndexLayout.ID, IndexLayout.TITLE, IndexLayout.TEXT, IndexLayout.METADATA);
        for (LeafReaderContext leaf : reader.leaves()) {
          BinaryDocValues values = dev.latte.indexer.lists.DocumentTokens.of(leaf.reader());
          if (values == null) continue;
          StoredFields stored = leaf.reader().storedFields();
          BinaryDocValues info = leaf.reader().getBinaryDocValues(IndexLayout.TOKEN_INFO);
          BinaryDocValues parts = leaf.reader().getBinaryDocValues(IndexLayout.PASSAGES);
          Bits live = leaf.reader().getLiveDocs();
          for (int doc = values.nextDoc();
              doc != DocIdSetIterator.NO_MORE_DOCS;
              doc = values.nextDoc()) {
            if (live != null && !live.get(doc)) continue;
            BytesRef v = values.binaryValue();
            StoredTokenMatrix.Header h =
                StoredTokenMatrix.header(v.bytes, v.offset, v.length, m.dimension());
            TokenMatrix matrix =
                TokenCodec.FLOAT32.decodePayload(
                    v.bytes,
                    StoredTokenMatrix.Header.payloadOffset(v.offset),
                    h.tokens(),
                    m.dimension());
            var d = stored.document(doc, fields);
            Document document =
                new Document(
                    d.get(IndexLayout.ID),
                    d.get(IndexLayout.TITLE),
                    d.get(IndexLayout.TEXT),
                    parseMetadata(d.get(IndexLayout.METADATA)));
            TokenAnnotations annotations =
                info != null && info.advanceExact(doc)
                    ? TokenAnnotations.decode(info.binaryValue())
                    : null;
            if (parts != null && parts.advanceExact(doc)) {
              // Each passage is pooled on its own, as at indexing time.
              w.add(document, Passages.decode(parts.binaryValue()).encoded(matrix, annotations));
            } else {
              w.add(document, matrix, annotations);
            }
            progress.advance(1);
          }
        }
        progress.close();
        return w.commit();
      }
    }
  }

  /**
   * The file the XTR first stage keeps its centroids in, inside its folder {@value #XTR_FOLDER} of
   * the main index (written by {@code XtrBuilder}, a {@link MatrixFile}).
   */
  static final String XTR_FOLDER = "latte-xtr";

  static final String XTR_CENTROIDS_FILE = "latte_xtr_centroids.bin";
  static final String XTR_CENTROIDS_CODEC = "LatteXtrCentroids";

  /**
   * The codebook of a residual re-coding of {@code source}: its centroids are the source's XTR
   * centroids when it has them (trained once per index), else trained as XTR trains them on a
   * sample of the source's tokens ({@link ResidualTraining}); its buckets are fitted on the
   * residuals of about {@link ResidualTraining#WINDOW_TOKENS} rows of evenly spaced documents,
   * pooled as the target pools, so they match what is coded.
   */
  static ResidualCodebook trainCodebook(
      Path source, DirectoryReader reader, IndexMetadata m, IndexOptions options)
      throws IOException {
    int dim = m.dimension();
    long total = SourceDocuments.tokens(reader);
    float[] centroids = xtrCentroids(source, dim);
    if (centroids == null) {
      int k = ResidualTraining.centroids(Math.max(1, total / options.poolFactor()));
      float[] sample =
          SourceDocuments.sampleRows(
              reader,
              dim,
              false,
              (int) Math.min(total, (long) k * ResidualTraining.POINTS_PER_CENTROID),
              ResidualTraining.SEED);
      centroids =
          ResidualTraining.trainCentroids(
              sample, sample.length / dim, dim, k, ResidualTraining.threads());
    }
    TokenPooler pooler =
        options.poolFactor() > 1
            ? new TokenPooler(options.poolFactor(), m.firstRowIsSpecial())
            : null;
    // One document in `every` by a hash of its vectors (not by doc id: doc order depends on how
    // encoding threads were scheduled), in hash order, so the fit is the same for the same
    // documents.
    long every = Math.max(1, total / ResidualTraining.WINDOW_TOKENS);
    List<TokenMatrix> picked = new ArrayList<>();
    List<Long> keys = new ArrayList<>();
    int[] rows = {0};
    SourceDocuments.forEach(
        reader,
        dim,
        false,
        (doc, matrix, annotations) -> {
          long key =
              SourceDocuments.rowKey(matrix.data(), 0, matrix.rows() * dim, ResidualTraining.SEED);
          if (Long.remainderUnsigned(key, every) != 0) return;
          TokenMatrix stored = pooler == null ? matrix : pooler.pool(matrix);
          picked.add(stored);
          keys.add(key);
          rows[0] += stored.rows();
        });
    Integer[] order = new Integer[picked.size()];
    for (int i = 0; i < order.length; i++) order[i] = i;
    java.util.Arrays.sort(order, (x, y) -> Long.compareUnsigned(keys.get(x), keys.get(y)));
    float[] sample = new float[rows[0] * dim];
    int at = 0;
    for (int i : order) {
      TokenMatrix t = picked.get(i);
      System.arraycopy(t.data(), 0, sample, at, t.rows() * dim);
      at += t.rows() * dim;
    }
    return ResidualTraining.fit(options.codec().residualBits(), centroids, dim, sample, rows[0]);
  }

  /** The source's XTR centroids (row-major) when it has them in this dimension, else null. */
  static float[] xtrCentroids(Path source, int dim) throws IOException {
    Path folder = source.resolve(XTR_FOLDER);
    if (!Files.exists(folder.resolve(XTR_CENTROIDS_FILE))) return null;
    try (Directory d = FSDirectory.open(folder)) {
      TokenMatrix c = MatrixFile.read(d, XTR_CENTROIDS_FILE, XTR_CENTROIDS_CODEC);
      return c.dim() == dim && c.rows() > 0 && c.rows() <= ResidualCodebook.MAX_CENTROIDS
          ? c.data()
          : null;
    }
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  /** The stored metadata JSON back as an object (null when the document has none). */
  private static com.fasterxml.jackson.databind.node.ObjectNode parseMetadata(String json)
      throws IOException {
    return json == null
        ? null
        : (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(json);
  }
}
