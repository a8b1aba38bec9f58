package dev.latte.web;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.search.IndexSearcher;

/**
 * The one place that checks client input against Lucene's and the server's limits before Lucene
 * sees it, so that input over a limit is a clear 400 instead of a failure deep inside a write or a
 * search (Lucene's {@code TooManyClauses}, its immense-term limit of {@value
 * IndexWriter#MAX_TERM_LENGTH} UTF-8 bytes) or work without bound under an index's write lock.
 * Every limit here is documented in the README's HTTP section.
 */
final class InputLimits {
  private InputLimits() {}

  /** Members (keys) one document's metadata may hold, at every depth together. */
  static final int MAX_METADATA_KEYS = 256;

  /** Values (array elements and members together) one document's metadata may hold. */
  static final int MAX_METADATA_VALUES = 1024;

  /** Deepest nesting of objects and arrays in metadata ({@code {"a": {"b": 1}}} is depth 2). */
  static final int MAX_METADATA_DEPTH = 8;

  /**
   * Longest metadata key, in characters. Keys form the dotted path a value is indexed under (and
   * the {@code _exists} term of that path), so depth × key length stays far below Lucene's term
   * limit.
   */
  static final int MAX_METADATA_KEY_CHARS = 256;

  /** Longest metadata string value, in characters. */
  static final int MAX_METADATA_STRING_CHARS = 8192;

  /**
   * Most Lucene clauses a filter may make (each term, range, exists and match_all is one, a bool
   * one more than its clauses, a terms list one more than its values). Lucene refuses queries of
   * more than {@link IndexSearcher#getMaxClauseCount()} clauses in total, and a search adds its own
   * (BM25's bag of words), so a filter gets a budget well below that.
   */
  static final int MAX_FILTER_CLAUSES = 512;

  /** Deepest nesting of bool clauses in a filter. */
  static final int MAX_FILTER_DEPTH = 16;

  /** Refuses metadata (an object, or a merge patch of one) over the shape limits. */
  static void checkMetadata(JsonNode metadata, String where) {
    if (metadata == null || !metadata.isContainerNode()) return;
    int[] counts = new int[2]; // keys, values
    walk(metadata, where, 1, counts);
  }

  private static void walk(JsonNode node, String where, int depth, int[] counts) {
    if (depth > MAX_METADATA_DEPTH)
      throw metadata(
          where,
          "nests objects and arrays deeper than "
              + MAX_METADATA_DEPTH
              + " levels; flatten it (dotted keys like \"a.b\" are fine)");
    if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (++counts[0] > MAX_METADATA_KEYS)
          throw metadata(where, "holds more than " + MAX_METADATA_KEYS + " keys in total");
        String key = e.getKey();
        String at = where + "." + shorten(key);
        if (key.length() > MAX_METADATA_KEY_CHARS)
          throw metadata(
              at,
              "is a key of "
                  + key.length()
                  + " characters; keys have at most "
                  + MAX_METADATA_KEY_CHARS);
        value(e.getValue(), at, depth, counts);
      }
    } else {
      for (int i = 0; i < node.size(); i++)
        value(node.get(i), where + "[" + i + "]", depth, counts);
    }
  }

  private static void value(JsonNode v, String at, int depth, int[] counts) {
    if (++counts[1] > MAX_METADATA_VALUES)
      throw metadata(at, "is past the limit of " + MAX_METADATA_VALUES + " values in one metadata");
    if (v.isContainerNode()) {
      walk(v, at, depth + 1, counts);
    } else if (v.isTextual() && v.textValue().length() > MAX_METADATA_STRING_CHARS) {
      throw metadata(
          at,
          "is a string of "
              + v.textValue().length()
              + " characters; metadata strings have at most "
              + MAX_METADATA_STRING_CHARS
              + " (keep long text in the document's text)");
    } else if (v.isNumber() && !Double.isFinite(v.doubleValue())) {
      throw metadata(at, "is a number too large to index (it has no finite double value)");
    }
  }

  /** Refuses a filter that would make too many Lucene clauses or nest bools too deep. */
  static void checkFilter(JsonNode filter) {
    int clauses = clauses(filter, 1);
    if (clauses > MAX_FILTER_CLAUSES)
      throw Refusal.invalid(
          "invalid_filter",
          "the filter makes more than "
              + MAX_FILTER_CLAUSES
              + " Lucene clauses (each term, range, exists and match_all is one, a bool one more"
              + " than its clauses, a terms list one more than its values); split the request or"
              + " filter on fewer values");
  }

  /**
   * The Lucene clauses {@code node} compiles to in {@link dev.latte.searcher.Filters} (stopping
   * early once over the limit); a malformed part counts one, for the parser to name.
   */
  private static int clauses(JsonNode node, int depth) {
    if (node == null || !node.isObject() || node.size() != 1) return 1;
    Map.Entry<String, JsonNode> clause = node.properties().iterator().next();
    JsonNode body = clause.getValue();
    switch (clause.getKey()) {
      case "terms" -> {
        if (body.isObject() && body.size() == 1) {
          JsonNode values = body.properties().iterator().next().getValue();
          if (values.isArray()) return 1 + values.size();
        }
        return 1;
      }
      case "bool" -> {
        if (depth > MAX_FILTER_DEPTH)
          throw Refusal.invalid(
              "invalid_filter",
              "the filter nests bool clauses deeper than " + MAX_FILTER_DEPTH + " levels");
        int n = 2; // the bool, and the match_all it may add
        if (!body.isObject()) return n;
        for (String list : new String[] {"must", "filter", "should", "must_not"}) {
          JsonNode l = body.get(list);
          if (l == null) continue;
          if (l.isArray()) {
            for (JsonNode c : l) {
              n += clauses(c, depth + 1);
              if (n > MAX_FILTER_CLAUSES) return n;
            }
          } else {
            n += clauses(l, depth + 1);
          }
          if (n > MAX_FILTER_CLAUSES) return n;
        }
        return n;
      }
      default -> {
        return 1;
      }
    }
  }

  private static String shorten(String key) {
    return key.length() > 40 ? key.substring(0, 40) + "…" : key;
  }

  private static Refusal metadata(String where, String problem) {
    return Refusal.invalid("invalid_metadata", where + " " + problem, Map.of("field", where));
  }
}
