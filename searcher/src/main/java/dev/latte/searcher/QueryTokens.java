package dev.latte.searcher;

import dev.latte.core.TokenMatrix;
import dev.latte.encoders.EncodedText;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.lucene.analysis.en.EnglishAnalyzer;

/**
 * Which query token rows count in late interaction, and how much: with IDF weighting every row's
 * vector is scaled by its word piece's IDF in the index (BERTScore's importance weighting; since
 * MaxSim takes each query row's best dot product, scaling a row by w ≥ 0 scales its term by w), and
 * rows can be dropped: the tokens the encoder inserted ({@code [CLS]}, {@code [SEP]}, markers,
 * masks: rows without a character span), punctuation, English stop words. Under IDF weighting the
 * inserted tokens weigh 0, as in BERTScore. A query that would lose every row keeps them all.
 */
public record QueryTokens(
    boolean idf, boolean dropInserted, boolean dropPunctuation, boolean dropStopWords) {

  public static final QueryTokens ALL = new QueryTokens(false, false, false, false);
  public static final QueryTokens IDF = new QueryTokens(true, false, false, false);

  /**
   * Parses a comma-separated list of {@code idf}, {@code no-inserted}, {@code no-punct}, {@code
   * no-stop}; {@code all} or empty: every row, unweighted.
   */
  public static QueryTokens parse(String spec) {
    boolean idf = false, inserted = false, punct = false, stop = false;
    for (String part : spec.split(",")) {
      switch (part.strip().toLowerCase(Locale.ROOT)) {
        case "", "all" -> {}
        case "idf" -> idf = true;
        case "no-inserted" -> inserted = true;
        case "no-punct" -> punct = true;
        case "no-stop" -> stop = true;
        default ->
            throw new IllegalArgumentException(
                "unknown query token option '"
                    + part
                    + "'; use a comma-separated list of idf, no-inserted, no-punct, no-stop (or all)");
      }
    }
    return new QueryTokens(idf, inserted, punct, stop);
  }

  /** The options as {@link #parse} reads them. */
  public String label() {
    List<String> parts = new ArrayList<>();
    if (idf) parts.add("idf");
    if (dropInserted) parts.add("no-inserted");
    if (dropPunctuation) parts.add("no-punct");
    if (dropStopWords) parts.add("no-stop");
    return parts.isEmpty() ? "all" : String.join(",", parts);
  }

  /**
   * The query as late interaction should see it: encoded (timed on {@code query}), rows dropped or
   * scaled; the filter carries over. Returns {@code query} itself when nothing changes.
   */
  public QueryContext apply(LatteIndex index, QueryContext query) throws IOException {
    if (this.equals(ALL)) return query;
    EncodedText e = query.encoded();
    TokenDocumentFrequencies df = idf ? TokenDocumentFrequencies.of(index) : null;
    int rows = e.length(), dim = e.matrix().dim();
    float[] weights = new float[rows];
    int kept = 0;
    for (int i = 0; i < rows; i++) {
      String t = e.tokens()[i];
      boolean inserted = e.starts()[i] < 0;
      boolean drop =
          (inserted && (dropInserted || idf))
              || (dropPunctuation && !inserted && isPunctuation(t))
              || (dropStopWords && !inserted && isStopWord(t));
      weights[i] = drop ? 0 : idf ? df.idf(t) : 1;
      if (weights[i] > 0) kept++;
    }
    if (kept == 0) return query;
    float[] data = new float[kept * dim];
    String[] tokens = new String[kept];
    int[] starts = new int[kept], ends = new int[kept];
    float[] src = e.matrix().data();
    int r = 0;
    for (int i = 0; i < rows; i++) {
      if (weights[i] <= 0) continue;
      for (int j = 0; j < dim; j++) data[r * dim + j] = weights[i] * src[i * dim + j];
      tokens[r] = e.tokens()[i];
      starts[r] = e.starts()[i];
      ends[r++] = e.ends()[i];
    }
    QueryContext out =
        QueryContext.ofEncoded(
            query.text(),
            new EncodedText(new TokenMatrix(data, kept, dim), tokens, starts, ends),
            query.kernel());
    return out.withFilter(query.filter()).withPassageScoring(query.passageScoring());
  }

  /** A word piece made only of punctuation or symbols ("##" ignored), like ColBERT's skiplist. */
  static boolean isPunctuation(String token) {
    String s = token.startsWith("##") ? token.substring(2) : token;
    if (s.isEmpty()) return false;
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      if (Character.isLetterOrDigit(cp)) return false;
      i += Character.charCount(cp);
    }
    return true;
  }

  /** A whole word (not a "##" continuation) in Lucene's English stop set. */
  static boolean isStopWord(String token) {
    return !token.startsWith("##")
        && EnglishAnalyzer.ENGLISH_STOP_WORDS_SET.contains(token.toLowerCase(Locale.ROOT));
  }
}
