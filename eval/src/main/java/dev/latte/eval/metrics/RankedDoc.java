package dev.latte.eval.metrics;

import java.util.Comparator;
import java.util.Objects;

/**
 * One retrieved document of a query and its score.
 *
 * <p>The score is a {@code float} on purpose: it is what Lucene produces, and trec_eval parses the
 * score column of a run file into a C {@code float}, so ties are ties at float precision.
 */
public record RankedDoc(String docId, float score) {

  /**
   * The order in which trec_eval evaluates a query's documents: score descending, then docno
   * descending in {@code strcmp} order ({@code comp_sim_docno} in trec_eval's {@code
   * form_res_rels.c}). The rank column of a run file plays no part.
   */
  public static final Comparator<RankedDoc> TREC_EVAL_ORDER = RankedDoc::compareAsTrecEval;

  public RankedDoc {
    Objects.requireNonNull(docId, "docId");
    if (!Float.isFinite(score)) {
      throw new IllegalArgumentException("score of " + docId + " must be finite, got " + score);
    }
    score += 0.0f; // -0.0 becomes 0.0, which trec_eval's C comparisons treat as equal anyway
  }

  // Written like the C comparator; Float.compare would also order -0.0 before 0.0.
  private static int compareAsTrecEval(RankedDoc a, RankedDoc b) {
    if (a.score > b.score) {
      return -1;
    }
    if (a.score < b.score) {
      return 1;
    }
    return compareAsStrcmp(b.docId, a.docId);
  }

  /**
   * Compares like C's {@code strcmp} on the UTF-8 bytes: unsigned byte order, which is code point
   * order. {@link String#compareTo} differs from it for characters above U+FFFF (surrogates sort
   * before U+E000..U+FFFF in UTF-16).
   */
  static int compareAsStrcmp(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Boolean.compare(i < a.length(), j < b.length());
  }
}
