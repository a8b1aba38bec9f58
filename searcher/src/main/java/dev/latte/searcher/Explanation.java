package dev.latte.searcher;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * The token-level view of one late-interaction match, as {@link Explainer} computes it: for every
 * query token, the document token it matched best and what that match adds to the score.
 *
 * <p>{@code score} is the sum of the {@linkplain TokenMatch#similarity() similarities}, i.e. float
 * MaxSim of the encoded query over the document's stored vectors as decoded from the index codec
 * (exact for float32, the codec's approximation otherwise; pooled rows for pooled indexes). It
 * equals the {@code maxsim-exact} score of the document up to float rounding; other methods rank by
 * other scores (BM25, fusions, first-stage approximations, hamming over sign bits), and their hits
 * are still explained by this MaxSim.
 *
 * <p>JSON (snake_case): {@code {"score": 12.3, "matches": [{"query_token", "doc_token", "field",
 * "start", "end", "similarity", "query_row", "doc_row"}]}}.
 *
 * @param score sum of the matches' similarities; 0 for a document without token vectors
 * @param matches one per query row, in query order; empty for a document without token vectors
 */
@JsonPropertyOrder({"score", "matches"})
public record Explanation(
    @JsonProperty("score") float score, @JsonProperty("matches") List<TokenMatch> matches) {
  public Explanation {
    matches = List.copyOf(matches);
  }

  /** {@link TokenMatch#field()} of a span in the hit's title. */
  public static final String TITLE = "title";

  /** {@link TokenMatch#field()} of a span in the hit's text. */
  public static final String TEXT = "text";

  /**
   * One query token and its best document token.
   *
   * <p>The span is where the document token occurs in the text a hit returns, ready to highlight:
   * {@code field} names the hit's {@code title} or {@code text}, and {@code [start, end)} are
   * UTF-16 char offsets into that string (so {@code hit.text().substring(start, end)} is the
   * matched piece). The index records spans in the passage the encoder saw, {@code title + " " +
   * text} (just {@code text} when the title is empty); the title occupies {@code [0,
   * title.length())}, then one space, then the text, and the span is shifted into the field it
   * falls in.
   *
   * @param queryRow row of the query's token matrix (0-based; includes markers and [MASK] rows)
   * @param queryToken the query token string (word piece, marker or special token)
   * @param docRow row of the document's stored token matrix with the highest dot product (smallest
   *     row on ties); for a pooled index a pooled row, which no longer stands for one token
   * @param docToken the document token string (word piece, "##" continuation prefix kept), or null
   *     when unknown: pooled index, index of layout 1, or an index written without annotations
   * @param field {@link #TITLE} or {@link #TEXT}; null when the span is unknown
   * @param start span start in {@code field}, inclusive; -1 when unknown (docToken unknown, a token
   *     the encoder inserted such as the document marker, or a span outside the stored strings)
   * @param end span end in {@code field}, exclusive; -1 when unknown
   * @param similarity dot product of the query row and the decoded document row: this query token's
   *     contribution to {@code score}
   */
  @JsonPropertyOrder({
    "query_token",
    "doc_token",
    "field",
    "start",
    "end",
    "similarity",
    "query_row",
    "doc_row"
  })
  public record TokenMatch(
      @JsonProperty("query_row") int queryRow,
      @JsonProperty("query_token") String queryToken,
      @JsonProperty("doc_row") int docRow,
      @JsonProperty("doc_token") String docToken,
      @JsonProperty("field") String field,
      @JsonProperty("start") int start,
      @JsonProperty("end") int end,
      @JsonProperty("similarity") float similarity) {

    /** Whether the match has a span to highlight. */
    public boolean hasSpan() {
      return field != null && start >= 0;
    }
  }
}
