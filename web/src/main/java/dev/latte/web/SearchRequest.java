package dev.latte.web;

import com.fasterxml.jackson.databind.JsonNode;
import dev.latte.searcher.LatteSearcher;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A search request body, {@code {"query" | "query_vectors", "k"?, "method"?, "explain"?, "filter"?,
 * "from"?, "include"?}}, validated (every problem a 400 naming the field), and the response shape.
 */
record SearchRequest(
    String query,
    int k,
    String method,
    boolean explain,
    int from,
    org.apache.lucene.search.Query filter,
    dev.latte.core.TokenMatrix vectors,
    java.util.Set<String> include) {
  /** Most query vectors accepted, and the largest absolute component. */
  static final int MAX_VECTORS = 512;

  static final float MAX_COMPONENT = 1e4f;

  /** Hit fields a request may choose with {@code include} (docid, score and rank always come). */
  static final java.util.Set<String> FIELDS =
      java.util.Set.of("title", "text", "metadata", "explain");

  /** Largest {@code k}, and the deepest page a request may reach: {@code from + k}. */
  static final int MAX_K = 1000;

  static final int MAX_DEPTH = MAX_K;

  /** Longest query text, in characters. */
  static final int MAX_QUERY_CHARS = 10_000;

  /** Validates a body already known to be an object with no unknown fields. */
  static SearchRequest of(JsonNode body, List<String> methods) {
    dev.latte.core.TokenMatrix vectors = parseVectors(body.get("query_vectors"));
    JsonNode q = body.get("query");
    if (vectors == null && (q == null || !q.isTextual()))
      throw Refusal.invalid(
          "invalid_request", "\"query\" must be a string (or give \"query_vectors\")");
    if (q != null && !q.isTextual())
      throw Refusal.invalid("invalid_request", "\"query\" must be a string");
    String query = q == null ? "" : q.asText();
    if (vectors == null && query.isBlank())
      throw Refusal.invalid("invalid_request", "\"query\" must not be blank");
    if (query.length() > MAX_QUERY_CHARS) {
      throw Refusal.invalid(
          "invalid_request",
          "\"query\" has " + query.length() + " characters; the limit is " + MAX_QUERY_CHARS);
    }
    int k = 10;
    JsonNode kn = body.get("k");
    if (kn != null) {
      k = (int) ClientInput.integer(kn, "k", 1, MAX_K);
    }
    String method = LatteSearcher.DEFAULT_METHOD;
    JsonNode mn = body.get("method");
    if (mn != null) {
      if (!mn.isTextual() || !methods.contains(mn.asText()))
        throw Refusal.invalid("invalid_request", "\"method\" must be one of " + methods);
      method = mn.asText();
    }
    boolean explain = false;
    JsonNode en = body.get("explain");
    if (en != null) {
      if (!en.isBoolean())
        throw Refusal.invalid("invalid_request", "\"explain\" must be a boolean (true or false)");
      explain = en.booleanValue();
    }
    int from = 0;
    JsonNode fn = body.get("from");
    if (fn != null) {
      // Exact, and compared without overflow: from <= MAX_DEPTH - k.
      if (!fn.isIntegralNumber()
          || !fn.canConvertToLong()
          || fn.asLong() < 0
          || fn.asLong() > MAX_DEPTH - k) {
        throw Refusal.invalid(
            "invalid_request", "\"from\" must be an integer from 0 with from + k <= " + MAX_DEPTH);
      }
      from = fn.asInt();
    }
    JsonNode filterNode = body.get("filter");
    org.apache.lucene.search.Query filter = filterNode == null ? null : filter(filterNode);
    java.util.Set<String> include = java.util.Set.of("title", "text", "metadata");
    JsonNode in = body.get("include");
    if (in != null) {
      if (!in.isArray())
        throw Refusal.invalid(
            "invalid_request", "\"include\" must be an array of field names from " + FIELDS);
      java.util.Set<String> chosen = new java.util.LinkedHashSet<>();
      for (JsonNode f : in) {
        if (!f.isTextual() || !FIELDS.contains(f.asText()))
          throw Refusal.invalid(
              "invalid_request", "\"include\" names fields from " + FIELDS + ", not " + f);
        chosen.add(f.asText());
      }
      include = chosen;
      if (include.contains("explain")) explain = true;
    }
    if (explain && !include.contains("explain")) {
      include = new java.util.LinkedHashSet<>(include);
      include.add("explain");
    }
    return new SearchRequest(query, k, method, explain, from, filter, vectors, include);
  }

  /**
   * A metadata filter in the Elasticsearch shapes of {@link dev.latte.searcher.Filters}; 400 {@code
   * invalid_filter} naming the offending part otherwise.
   */
  static org.apache.lucene.search.Query filter(JsonNode node) {
    InputLimits.checkFilter(node);
    try {
      return dev.latte.searcher.Filters.parse(node);
    } catch (IllegalArgumentException e) {
      throw Refusal.invalid("invalid_filter", e.getMessage());
    }
  }

  /** {@code [[float]]}: 1 to 512 rows of equal length, finite components of at most 1e4. */
  private static dev.latte.core.TokenMatrix parseVectors(JsonNode v) {
    if (v == null) return null;
    if (!v.isArray() || v.isEmpty() || v.size() > MAX_VECTORS)
      throw Refusal.invalid(
          "invalid_request",
          "\"query_vectors\" must be an array of 1 to "
              + MAX_VECTORS
              + " vectors (arrays of numbers)");
    int dim = -1;
    float[] data = null;
    for (int r = 0; r < v.size(); r++) {
      JsonNode row = v.get(r);
      if (!row.isArray() || row.isEmpty())
        throw Refusal.invalid(
            "invalid_request", "\"query_vectors\"[" + r + "] must be a non-empty array of numbers");
      if (dim < 0) {
        dim = row.size();
        data = new float[v.size() * dim];
      } else if (row.size() != dim) {
        throw Refusal.invalid(
            "invalid_request",
            "\"query_vectors\"[" + r + "] has " + row.size() + " components, the first has " + dim);
      }
      for (int c = 0; c < dim; c++) {
        JsonNode x = row.get(c);
        double d = x.isNumber() ? x.asDouble() : Double.NaN;
        if (!x.isNumber() || !Double.isFinite(d) || Math.abs(d) > MAX_COMPONENT)
          throw Refusal.invalid(
              "invalid_request",
              "\"query_vectors\"["
                  + r
                  + "]["
                  + c
                  + "] must be a finite number of magnitude at most "
                  + MAX_COMPONENT);
        data[r * dim + c] = (float) d;
      }
    }
    return new dev.latte.core.TokenMatrix(data, v.size(), dim);
  }

  /** The hits with only the requested fields (docid, score and rank always). */
  static java.util.List<Map<String, Object>> hits(
      LatteSearcher.SearchResponse r, java.util.Set<String> include) {
    java.util.List<Map<String, Object>> out = new java.util.ArrayList<>();
    for (LatteSearcher.Hit h : r.hits()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("docid", h.docid());
      m.put("score", h.score());
      m.put("rank", h.rank());
      if (include.contains("title")) m.put("title", h.title());
      if (include.contains("text")) m.put("text", h.text());
      if (include.contains("metadata") && h.metadata() != null) m.put("metadata", h.metadata());
      if (include.contains("explain") && h.explain() != null) m.put("explain", h.explain());
      out.add(m);
    }
    return out;
  }

  /** The JSON body of a search response. */
  static Map<String, Object> response(LatteSearcher.SearchResponse r) {
    return response(r, null);
  }

  /** As above with only the {@code include}d hit fields (null: every field the hit has). */
  static Map<String, Object> response(
      LatteSearcher.SearchResponse r, java.util.Set<String> include) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("hits", include == null ? r.hits() : hits(r, include));
    out.put("method", r.method());
    out.put("took_ms", round(r.tookMillis()));
    out.put("encode_ms", round(r.encodeMillis()));
    out.put("search_ms", round(r.searchMillis()));
    out.put("first_stage_ms", round(r.firstStageMillis()));
    out.put("rescore_ms", round(r.rescoreMillis()));
    out.put("candidates_scored", r.candidatesScored());
    if (!r.stepsMillis().isEmpty()) {
      Map<String, Object> steps = new LinkedHashMap<>();
      r.stepsMillis().forEach((name, ms) -> steps.put(name, round(ms)));
      out.put("steps_ms", steps);
    }
    return out;
  }

  private static double round(double ms) {
    return Math.round(ms * 1000) / 1000.0;
  }
}
