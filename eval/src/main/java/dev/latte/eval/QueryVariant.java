package dev.latte.eval;

import dev.latte.encoders.EncodedText;
import dev.latte.searcher.LatteSearcher;
import dev.latte.searcher.QueryContext;
import dev.latte.searcher.QueryTokens;
import dev.latte.searcher.SearchMethod;
import dev.latte.searcher.WeightedQueryMethod;

/**
 * An experiment on how late-interaction methods see the query ({@code ./latte eval --query-tokens
 * ... --query-mask-length N}), applied to every late-interaction method of a run so that query
 * token weighting and [MASK] augmentation can be measured on any method: rows weighted or dropped
 * ({@link QueryTokens}), and/or the query padded with the tokenizer's {@code [MASK]} token up to
 * {@code maskLength} word pieces before encoding (ColBERT's query augmentation; here the masks are
 * appended to the text, so they come before the final {@code [SEP]}, and BM25 never sees them).
 * Rows are named {@code method~variant}.
 */
public record QueryVariant(QueryTokens tokens, int maskLength) {
  public static final QueryVariant NONE = new QueryVariant(QueryTokens.ALL, 0);

  public QueryVariant {
    if (maskLength < 0)
      throw new IllegalArgumentException("mask length must be >= 0, got " + maskLength);
  }

  String label() {
    String t = tokens.equals(QueryTokens.ALL) ? "" : tokens.label();
    String m = maskLength == 0 ? "" : "mask" + maskLength;
    return t.isEmpty() ? m : m.isEmpty() ? t : t + "," + m;
  }

  SearchMethod wrap(SearchMethod method) {
    return tokens.equals(QueryTokens.ALL)
        ? method
        : new WeightedQueryMethod(method.name(), method, tokens);
  }

  /** The query context a method searches with: as the searcher makes it, or mask-augmented. */
  QueryContext query(LatteSearcher searcher, String text, SearchMethod method) {
    QueryContext q = searcher.query(text);
    if (maskLength == 0 || !method.needsQueryMatrix()) return q;
    int pieces = q.encoded().length();
    if (pieces >= maskLength) return q;
    String padded = text + " [MASK]".repeat(maskLength - pieces);
    EncodedText e = searcher.encoder().encodeQuery(padded);
    return QueryContext.ofEncoded(text, e, searcher.kernel());
  }
}
