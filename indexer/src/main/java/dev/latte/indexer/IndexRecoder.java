package dev.latte.indexer;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.core.codec.TokenCodec;
import dev.latte.datasets.Document;
import java.io.IOException;
import java.nio.file.Path;
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
      progress.start(reader.numDocs());
      try (LatteIndexWriter w =
          LatteIndexWriter.openForEncoded(
              target, ModelIdentity.of(m), m.source(), m.sourceFingerprint(), options)) {
        String passages =
            reader.getIndexCommit().getUserData().get(IndexLayout.COMMIT_PASSAGES_KEY);
        if (passages != null) w.usePassages(dev.latte.encoders.PassagePolicy.fromJson(passages));
        Set<String> fields =
            Set.of(IndexLayout.ID, IndexLayout.TITLE, IndexLayout.TEXT, IndexLayout.METADATA);
        for (LeafReaderContext leaf : reader.leaves()) {
          BinaryDocValues values = leaf.reader().getBinaryDocValues(IndexLayout.TOKENS);
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
