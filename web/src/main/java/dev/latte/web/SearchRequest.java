package dev.latte.web;

import com.fasterxml.jackson.databind.JsonNode;
import dev.latte.searcher.LatteSearcher;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A search request body, {@code {"query", "k"?, "method"?, "explain"?}}, validated with the same
 * rules and messages as {@code POST /v1/search} ({@link LatteServer}), and the response shape both
 * share.
 */
record SearchRequest(
    String query,
    int k,
    String method,
    boolean explain,
    int from,
    org.apache.lucene.search.Query filter) {
  /** Deepest page a request may reach: {@code from + k}. */
  static final int MAX_DEPTH = LatteServer.MAX_K;

  /** Validates a body already known to be an object with no unknown fields. */
  static SearchRequest of(JsonNode body, List<String> methods) {
    JsonNode q = body.get("query");
    if (q == null || !q.isTextual())
      throw ApiException.badRequest("invalid_request", "\"query\" must be a string");
    String query = q.asText();
    if (query.isBlank())
      throw ApiException.badRequest("invalid_request", "\"query\" must not be blank");
    if (query.length() > LatteServer.MAX_QUERY_CHARS) {
      throw ApiException.badRequest(
          "invalid_request",
          "\"query\" has "
              + query.length()
              + " characters; the limit is "
              + LatteServer.MAX_QUERY_CHARS);
    }
    int k = 10;
    JsonNode kn = body.get("k");
    if (kn != null) {
      if (!kn.isIntegralNumber() || kn.asLong() < 1 || kn.asLong() > LatteServer.MAX_K) {
        throw ApiException.badRequest(
            "invalid_request", "\"k\" must be an integer from 1 to " + LatteServer.MAX_K);
      }
      k = kn.asInt();
    }
    String method = LatteSearcher.DEFAULT_METHOD;
    JsonNode mn = body.get("method");
    if (mn != null) {
      if (!mn.isTextual() || !methods.contains(mn.asText()))
        throw ApiException.badRequest("invalid_request", "\"method\" must be one of " + methods);
      method = mn.asText();
    }
    boolean explain = false;
    JsonNode en = body.get("explain");
    if (en != null) {
      if (!en.isBoolean())
        throw ApiException.badRequest(
            "invalid_request", "\"explain\" must be a boolean (true or false)");
      explain = en.booleanValue();
    }
    int from = 0;
    JsonNode fn = body.get("from");
    if (fn != null) {
      if (!fn.isIntegralNumber() || fn.asLong() < 0 || fn.asLong() + k > MAX_DEPTH) {
        throw ApiException.badRequest(
            "invalid_request", "\"from\" must be an integer from 0 with from + k <= " + MAX_DEPTH);
      }
      from = fn.asInt();
    }
    org.apache.lucene.search.Query filter = null;
    JsonNode filterNode = body.get("filter");
    if (filterNode != null) {
      try {
        filter = dev.latte.searcher.Filters.parse(filterNode);
      } catch (IllegalArgumentException e) {
        throw ApiException.badRequest("invalid_filter", e.getMessage());
      }
    }
    return new SearchRequest(query, k, method, explain, from, filter);
  }

  /** The JSON body of a search response. */
  static Map<String, Object> response(LatteSearcher.SearchResponse r) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("hits", r.hits());
    out.put("method", r.method());
    out.put("took_ms", round(r.tookMillis()));
    out.put("encode_ms", round(r.encodeMillis()));
    out.put("search_ms", round(r.searchMillis()));
    out.put("first_stage_ms", round(r.firstStageMillis()));
    out.put("rescore_ms", round(r.rescoreMillis()));
    out.put("candidates_scored", r.candidatesScored());
    return out;
  }

  private static double round(double ms) {
    return Math.round(ms * 1000) / 1000.0;
  }
}
