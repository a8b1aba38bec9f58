package dev.latte.searcher;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.indexer.IndexLayout;
import dev.latte.indexer.TokenAnnotations;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.util.BytesRef;

/**
 * Explains late-interaction matches token by token (see {@link Explanation}).
 *
 * <p>Reads one document's stored token matrix, decodes it to floats with its codec ({@link
 * StoredTokenMatrix#decode}), and for each query row finds the document row with the largest dot
 * product in plain Java. Row tokens and spans come from {@link IndexLayout#TOKEN_INFO} when the
 * index has them (unpooled indexes of layout 2). Allocates per call: meant for the few hits a user
 * looks at, not for scoring.
 */
public final class Explainer {
  private Explainer() {}

  /**
   * Explains how the query matches document {@code doc} (an index-wide Lucene doc id, as in {@link
   * ScoredDoc#doc()}). Encodes the query if it was not encoded yet.
   *
   * <p>The result explains MaxSim whatever ranked the document: for a BM25, hybrid or hamming hit
   * its score is the document's {@code maxsim-exact} score, not the hit's score.
   *
   * @throws IllegalArgumentException if {@code doc} is not a document of the index
   */
  public static Explanation explain(LatteIndex index, QueryContext query, int doc)
      throws IOException {
    checkDoc(index, doc);
    return explain(index, query, doc, index.stored(doc));
  }

  /** As {@link #explain(LatteIndex, QueryContext, int)}, given the document's stored fields. */
  static Explanation explain(
      LatteIndex index, QueryContext query, int doc, LatteIndex.StoredDocument stored)
      throws IOException {
    checkDoc(index, doc);
    var encoded = query.encoded();
    TokenMatrix q = encoded.matrix();
    String[] queryTokens = encoded.tokens();

    List<LeafReaderContext> leaves = index.reader().leaves();
    LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(doc, leaves));
    int local = doc - leaf.docBase;
    BinaryDocValues values = dev.latte.indexer.lists.DocumentTokens.of(leaf.reader());
    if (values == null || !values.advanceExact(local)) return new Explanation(0f, List.of());
    BytesRef v = values.binaryValue();
    int dim = index.metadata().dimension();
    var book = index.residualCodebook();
    TokenMatrix d =
        book != null
            ? book.decode(v.bytes, v.offset, v.length)
            : StoredTokenMatrix.decode(v.bytes, v.offset, v.length, dim);
    if (d.rows() == 0) return new Explanation(0f, List.of());
    if (q.dim() != dim) {
      throw new IllegalArgumentException(
          "query vectors have " + q.dim() + " dimensions, the index " + dim);
    }

    TokenAnnotations info = null;
    BinaryDocValues infoValues = leaf.reader().getBinaryDocValues(IndexLayout.TOKEN_INFO);
    if (infoValues != null && infoValues.advanceExact(local)) {
      TokenAnnotations a = TokenAnnotations.decode(infoValues.binaryValue());
      // Annotations describe the unpooled rows; use them only when they match the stored rows.
      if (a.rows() == d.rows() && index.metadata().options().poolFactor() == 1) info = a;
    }
    String title = stored.title() == null ? "" : stored.title();
    String text = stored.text() == null ? "" : stored.text();

    float[] qd = q.data();
    float[] dd = d.data();
    List<Explanation.TokenMatch> matches = new ArrayList<>(q.rows());
    double score = 0;
    for (int i = 0; i < q.rows(); i++) {
      int best = -1;
      float bestSim = Float.NEGATIVE_INFINITY;
      for (int j = 0; j < d.rows(); j++) {
        float s = dot(qd, i * dim, dd, j * dim, dim);
        if (best < 0 || s > bestSim) { // strictly greater: ties keep the smallest row
          best = j;
          bestSim = s;
        }
      }
      score += bestSim;
      String docToken = null;
      String field = null;
      int start = -1;
      int end = -1;
      if (info != null) {
        docToken = info.tokens()[best];
        Span span = toField(info.starts()[best], info.ends()[best], title, text);
        if (span != null) {
          field = span.field;
          start = span.start;
          end = span.end;
        }
      }
      matches.add(
          new Explanation.TokenMatch(
              i, queryTokens[i], best, docToken, field, start, end, bestSim));
    }
    return new Explanation((float) score, matches);
  }

  private record Span(String field, int start, int end) {}

  /**
   * Maps a span in the encoded passage ({@code title + " " + text}, or {@code text} alone when the
   * title is empty, see {@code Document.contents()}) to the field it lies in; null when there is no
   * span or it does not lie within one field.
   */
  private static Span toField(int start, int end, String title, String text) {
    if (start < 0 || end < start) return null;
    if (title.isEmpty())
      return end <= text.length() ? new Span(Explanation.TEXT, start, end) : null;
    if (end <= title.length()) return new Span(Explanation.TITLE, start, end);
    int textStart = title.length() + 1;
    if (start >= textStart && end - textStart <= text.length())
      return new Span(Explanation.TEXT, start - textStart, end - textStart);
    return null; // across the separator (not a single word piece) or beyond the stored text
  }

  private static float dot(float[] a, int ao, float[] b, int bo, int dim) {
    float s = 0f;
    for (int k = 0; k < dim; k++) s += a[ao + k] * b[bo + k];
    return s;
  }

  private static void checkDoc(LatteIndex index, int doc) {
    if (doc < 0 || doc >= index.reader().maxDoc()) {
      throw new IllegalArgumentException(
          "doc " + doc + " is not in the index (maxDoc " + index.reader().maxDoc() + ")");
    }
  }
}
