package dev.latte.indexer.firststage;

import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.PayloadAttribute;
import org.apache.lucene.analysis.tokenattributes.PositionIncrementAttribute;
import org.apache.lucene.util.BytesRef;

/**
 * Pre-computed terms with per-position payloads, one position per entry: how a derived index writes
 * postings whose occurrences carry token vectors (XTR codes, COIL vectors). Position p is the p-th
 * entry, so a term's positions in a document are the document rows it came from when entries are
 * given in row order.
 */
public final class PayloadTokenStream extends TokenStream {
  private final CharTermAttribute term = addAttribute(CharTermAttribute.class);
  private final PayloadAttribute payload = addAttribute(PayloadAttribute.class);
  private final PositionIncrementAttribute posInc = addAttribute(PositionIncrementAttribute.class);
  private final String[] terms;
  private final BytesRef[] payloads;
  private int next;

  /** Postings with positions (payloads ride on positions), no norms: the lists' field type. */
  private static final org.apache.lucene.document.FieldType LISTS = listsType();

  private static org.apache.lucene.document.FieldType listsType() {
    var t = new org.apache.lucene.document.FieldType();
    t.setIndexOptions(org.apache.lucene.index.IndexOptions.DOCS_AND_FREQS_AND_POSITIONS);
    t.setTokenized(true);
    t.setOmitNorms(true);
    t.freeze();
    return t;
  }

  /** A field whose postings are {@code terms} in order, each position carrying its payload. */
  public static org.apache.lucene.document.Field field(
      String name, String[] terms, BytesRef[] payloads) {
    return new org.apache.lucene.document.Field(
        name, new PayloadTokenStream(terms, payloads), LISTS);
  }

  PayloadTokenStream(String[] terms, BytesRef[] payloads) {
    this.terms = terms;
    this.payloads = payloads;
  }

  @Override
  public boolean incrementToken() {
    if (next == terms.length) return false;
    clearAttributes();
    term.setEmpty().append(terms[next]);
    payload.setPayload(payloads == null ? null : payloads[next]);
    posInc.setPositionIncrement(1);
    next++;
    return true;
  }

  @Override
  public void reset() {
    next = 0;
  }
}
