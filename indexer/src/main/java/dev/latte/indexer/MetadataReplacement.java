package dev.latte.indexer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.datasets.Document;
import java.io.IOException;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;

/**
 * {@link LatteIndexWriter#replaceMetadata}: finds the live version of a document and re-adds it
 * with its stored bytes copied unchanged ({@link LatteIndexWriter#addStored}) and new metadata.
 */
final class MetadataReplacement {
  private static final ObjectMapper JSON = new ObjectMapper();

  private MetadataReplacement() {}

  static boolean replace(
      LatteIndexWriter writer, IndexReader reader, String id, UnaryOperator<ObjectNode> change)
      throws IOException {
    BytesRef term = new BytesRef(id);
    for (LeafReaderContext leaf : reader.leaves()) {
      Terms terms = leaf.reader().terms(IndexLayout.ID);
      if (terms == null) continue;
      TermsEnum te = terms.iterator();
      if (!te.seekExact(term)) continue;
      PostingsEnum postings = te.postings(null, PostingsEnum.NONE);
      Bits live = leaf.reader().getLiveDocs();
      for (int doc = postings.nextDoc();
          doc != DocIdSetIterator.NO_MORE_DOCS;
          doc = postings.nextDoc()) {
        if (live != null && !live.get(doc)) continue;
        rewrite(writer, leaf.reader(), doc, id, change);
        return true;
      }
    }
    return false;
  }

  private static final Set<String> REWRITE_FIELDS =
      Set.of(IndexLayout.TITLE, IndexLayout.TEXT, IndexLayout.METADATA);

  private static void rewrite(
      LatteIndexWriter writer,
      LeafReader leaf,
      int doc,
      String id,
      UnaryOperator<ObjectNode> change)
      throws IOException {
    var stored = leaf.storedFields().document(doc, REWRITE_FIELDS);
    BytesRef matrix = valueOf(dev.latte.indexer.lists.DocumentTokens.of(leaf), doc);
    if (matrix == null)
      throw new IllegalStateException("document " + id + " has no stored token matrix");
    BytesRef info = valueOf(leaf.getBinaryDocValues(IndexLayout.TOKEN_INFO), doc);
    BytesRef passages = valueOf(leaf.getBinaryDocValues(IndexLayout.PASSAGES), doc);
    String json = stored.get(IndexLayout.METADATA);
    ObjectNode old = json == null ? null : (ObjectNode) JSON.readTree(json);
    ObjectNode next = change.apply(old);
    var encoded = leaf.getNumericDocValues(IndexLayout.ENCODED_TOKEN_COUNT);
    writer.addStored(
        new Document(id, stored.get(IndexLayout.TITLE), stored.get(IndexLayout.TEXT), next),
        matrix,
        info,
        passages,
        encoded != null && encoded.advanceExact(doc) ? encoded.longValue() : -1);
  }

  /** The value of {@code doc}, or null when it has none (or the field does not exist). */
  private static BytesRef valueOf(BinaryDocValues values, int doc) throws IOException {
    return values != null && values.advanceExact(doc) ? values.binaryValue() : null;
  }
}
