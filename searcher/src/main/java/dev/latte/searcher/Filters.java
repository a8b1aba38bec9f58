package dev.latte.searcher;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.latte.indexer.IndexLayout;
import dev.latte.indexer.MetadataFields;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.document.DoublePoint;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.MatchNoDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermQuery;

/**
 * Metadata filters in Elasticsearch's query DSL, compiled to a Lucene {@link Query} over the
 * metadata fields of {@link IndexLayout} ({@link MetadataFields}). Field names are dotted metadata
 * paths ({@code "a.b"} for {@code {"a": {"b": ...}}}). The grammar, one clause per JSON object:
 *
 * <ul>
 *   <li>{@code {"term": {"field": v}}} (or {@code {"term": {"field": {"value": v}}}}): v a string
 *       or boolean matches that exact keyword; a number matches that exact number (as a double);
 *   <li>{@code {"terms": {"field": [v, ...]}}}: any of the values ({@code []} matches nothing);
 *   <li>{@code {"range": {"field": {"gte"|"gt": n, "lte"|"lt": n}}}}: numbers only, at least one
 *       bound, at most one lower and one upper; a range with lower above upper matches nothing;
 *   <li>{@code {"exists": {"field": "path"}}}: documents with some value at that path (a leaf or an
 *       object path);
 *   <li>{@code {"bool": {"must": [..], "filter": [..], "should": [..], "must_not": [..],
 *       "minimum_should_match": n}}}: each list may also be one clause; must and filter are the
 *       same here (filters do not score); should clauses are required (at least one, or {@code
 *       minimum_should_match}) only when there is no must or filter clause, as in Elasticsearch 7+;
 *       only must_not clauses means everything else;
 *   <li>{@code {"match_all": {}}}.
 * </ul>
 *
 * A multi-valued field (a JSON array) matches if any of its values does. Anything else — an unknown
 * clause, a value of the wrong type, an empty bool, a non-numeric or NaN range bound, a missing
 * field name — fails with an {@link IllegalArgumentException} naming the offending part (as a path
 * like {@code bool.must[1].range.year}) and what to write instead.
 */
public final class Filters {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CLAUSES = "term, terms, range, exists, bool, match_all";
  private static final Set<String> BOOL_KEYS =
      Set.of("must", "filter", "should", "must_not", "minimum_should_match");
  private static final Set<String> RANGE_KEYS = Set.of("gte", "gt", "lte", "lt");

  private Filters() {}

  /** Parses a filter from its JSON text. */
  public static Query parse(String json) {
    if (json == null || json.isBlank())
      throw new IllegalArgumentException(
          "filter is empty; give a JSON object such as {\"term\": {\"lang\": \"en\"}}");
    JsonNode node;
    try {
      node = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "filter is not valid JSON ("
              + e.getOriginalMessage()
              + "); give a JSON object such as {\"term\": {\"lang\": \"en\"}}",
          e);
    }
    return parse(node);
  }

  /** Compiles a parsed filter. */
  public static Query parse(JsonNode node) {
    if (node == null || node.isMissingNode())
      throw new IllegalArgumentException(
          "filter is empty; give a JSON object such as {\"term\": {\"lang\": \"en\"}}");
    return clause(node, "filter");
  }

  private static Query clause(JsonNode node, String where) {
    if (!node.isObject())
      throw new IllegalArgumentException(
          where
              + ": expected a clause object like {\"term\": {...}}, found "
              + describe(node)
              + "; clauses: "
              + CLAUSES);
    if (node.size() != 1)
      throw new IllegalArgumentException(
          where
              + ": a clause object has exactly one key ("
              + CLAUSES
              + "), found "
              + (node.isEmpty() ? "none" : "{" + String.join(", ", keys(node)) + "}")
              + "; combine several clauses with {\"bool\": {\"must\": [...]}}");
    Map.Entry<String, JsonNode> e = node.properties().iterator().next();
    String name = e.getKey();
    JsonNode body = e.getValue();
    String at = where + "." + name;
    return switch (name) {
      case "term" -> term(body, at);
      case "terms" -> terms(body, at);
      case "range" -> range(body, at);
      case "exists" -> exists(body, at);
      case "bool" -> bool(body, at);
      case "match_all" -> {
        if (!body.isObject() || !body.isEmpty())
          throw new IllegalArgumentException(at + ": expected {}, found " + describe(body));
        yield new MatchAllDocsQuery();
      }
      default ->
          throw new IllegalArgumentException(
              where + ": unknown filter clause '" + name + "'; supported: " + CLAUSES);
    };
  }

  /** The single {"field": value} entry of a term/terms/range body. */
  private static Map.Entry<String, JsonNode> singleField(JsonNode body, String at, String example) {
    if (!body.isObject() || body.size() != 1)
      throw new IllegalArgumentException(
          at
              + ": expected one field, like "
              + example
              + ", found "
              + (body.isObject() ? body.size() + " fields" : describe(body)));
    Map.Entry<String, JsonNode> e = body.properties().iterator().next();
    checkField(e.getKey(), at);
    return e;
  }

  private static void checkField(String field, String at) {
    if (field == null || field.isBlank())
      throw new IllegalArgumentException(
          at + ": missing field name; name a metadata path such as \"year\" or \"author.name\"");
    if (field.equals(IndexLayout.METADATA_EXISTS_PATH))
      throw new IllegalArgumentException(
          at + ": '" + field + "' is reserved and never indexed; filter on another metadata path");
  }

  private static Query term(JsonNode body, String at) {
    Map.Entry<String, JsonNode> e = singleField(body, at, "{\"lang\": \"en\"}");
    JsonNode v = e.getValue();
    String where = at + "." + e.getKey();
    if (v.isObject()) {
      if (v.size() != 1 || !v.has("value"))
        throw new IllegalArgumentException(
            where
                + ": expected a value or {\"value\": v}, found {"
                + String.join(", ", keys(v))
                + "}");
      v = v.get("value");
      where += ".value";
    }
    return value(e.getKey(), v, where);
  }

  /** Exact match of one scalar value. */
  private static Query value(String field, JsonNode v, String where) {
    String f = MetadataFields.field(field);
    if (v.isTextual()) return new TermQuery(new Term(f, v.textValue()));
    if (v.isBoolean()) return new TermQuery(new Term(f, v.booleanValue() ? "true" : "false"));
    if (v.isNumber()) return DoublePoint.newExactQuery(f, finite(v, where));
    throw new IllegalArgumentException(
        where + ": expected a string, number or boolean, found " + describe(v));
  }

  private static Query terms(JsonNode body, String at) {
    Map.Entry<String, JsonNode> e = singleField(body, at, "{\"lang\": [\"en\", \"fr\"]}");
    JsonNode v = e.getValue();
    String where = at + "." + e.getKey();
    if (!v.isArray())
      throw new IllegalArgumentException(
          where + ": expected an array of values like [\"en\", \"fr\"], found " + describe(v));
    if (v.isEmpty()) return new MatchNoDocsQuery("empty terms list for " + e.getKey());
    if (v.size() > org.apache.lucene.search.IndexSearcher.getMaxClauseCount())
      throw new IllegalArgumentException(
          where
              + ": at most "
              + org.apache.lucene.search.IndexSearcher.getMaxClauseCount()
              + " values, found "
              + v.size());
    BooleanQuery.Builder b = new BooleanQuery.Builder();
    for (int i = 0; i < v.size(); i++)
      b.add(value(e.getKey(), v.get(i), where + "[" + i + "]"), BooleanClause.Occur.SHOULD);
    return b.build();
  }

  private static Query range(JsonNode body, String at) {
    Map.Entry<String, JsonNode> e = singleField(body, at, "{\"year\": {\"gte\": 2020}}");
    JsonNode spec = e.getValue();
    String where = at + "." + e.getKey();
    if (!spec.isObject() || spec.isEmpty())
      throw new IllegalArgumentException(
          where + ": expected bounds like {\"gte\": 2020, \"lt\": 2024}, found " + describe(spec));
    for (String k : keys(spec))
      if (!RANGE_KEYS.contains(k))
        throw new IllegalArgumentException(
            where + ": unknown range bound '" + k + "'; use gte, gt, lte or lt");
    if (spec.has("gt") && spec.has("gte"))
      throw new IllegalArgumentException(where + ": give gt or gte, not both");
    if (spec.has("lt") && spec.has("lte"))
      throw new IllegalArgumentException(where + ": give lt or lte, not both");
    double lo = Double.NEGATIVE_INFINITY, hi = Double.POSITIVE_INFINITY;
    if (spec.has("gte")) lo = bound(spec.get("gte"), where + ".gte");
    if (spec.has("gt")) lo = Math.nextUp(bound(spec.get("gt"), where + ".gt"));
    if (spec.has("lte")) hi = bound(spec.get("lte"), where + ".lte");
    if (spec.has("lt")) hi = Math.nextDown(bound(spec.get("lt"), where + ".lt"));
    // Indexed values never are -0.0, so a bound of -0.0 (nextUp of the smallest negative) is safe.
    if (lo > hi) return new MatchNoDocsQuery("empty range for " + e.getKey());
    return DoublePoint.newRangeQuery(MetadataFields.field(e.getKey()), lo, hi);
  }

  private static double bound(JsonNode v, String where) {
    if (!v.isNumber())
      throw new IllegalArgumentException(
          where + ": range bounds must be JSON numbers (e.g. 2020), found " + describe(v));
    return finite(v, where);
  }

  private static double finite(JsonNode v, String where) {
    double d = MetadataFields.number(v);
    if (Double.isNaN(d) || Double.isInfinite(d))
      throw new IllegalArgumentException(
          where + ": " + d + " is not a finite number; give a finite JSON number");
    return d;
  }

  private static Query exists(JsonNode body, String at) {
    if (!body.isObject())
      throw new IllegalArgumentException(
          at + ": expected {\"field\": \"path\"}, found " + describe(body));
    for (String k : keys(body))
      if (!k.equals("field"))
        throw new IllegalArgumentException(
            at + ": unknown key '" + k + "'; expected {\"field\": \"path\"}");
    JsonNode f = body.get("field");
    if (f == null || f.isNull())
      throw new IllegalArgumentException(
          at + ": missing field name; expected {\"field\": \"path\"}");
    if (!f.isTextual())
      throw new IllegalArgumentException(
          at + ".field: expected a path string, found " + describe(f));
    checkField(f.textValue(), at + ".field");
    return new TermQuery(new Term(IndexLayout.METADATA_EXISTS, f.textValue()));
  }

  private static Query bool(JsonNode body, String at) {
    if (!body.isObject())
      throw new IllegalArgumentException(
          at
              + ": expected an object with must, filter, should or must_not, found "
              + describe(body));
    for (String k : keys(body))
      if (!BOOL_KEYS.contains(k))
        throw new IllegalArgumentException(
            at
                + ": unknown bool key '"
                + k
                + "'; use must, filter, should, must_not (and minimum_should_match)");
    List<Query> must = new ArrayList<>();
    must.addAll(list(body.get("must"), at + ".must"));
    must.addAll(list(body.get("filter"), at + ".filter"));
    List<Query> should = list(body.get("should"), at + ".should");
    List<Query> mustNot = list(body.get("must_not"), at + ".must_not");
    if (must.isEmpty() && should.isEmpty() && mustNot.isEmpty())
      throw new IllegalArgumentException(
          at
              + ": empty bool; give at least one clause in must, filter, should or must_not (or"
              + " use {\"match_all\": {}})");
    int minShould = must.isEmpty() && !should.isEmpty() ? 1 : 0;
    JsonNode msm = body.get("minimum_should_match");
    if (msm != null) {
      if (!msm.isIntegralNumber() || msm.asLong() < 0 || msm.asLong() > should.size())
        throw new IllegalArgumentException(
            at
                + ".minimum_should_match: expected a whole number from 0 to the "
                + should.size()
                + " should clauses, found "
                + describe(msm));
      minShould = msm.asInt();
    }
    BooleanQuery.Builder b = new BooleanQuery.Builder();
    for (Query q : must) b.add(q, BooleanClause.Occur.FILTER);
    for (Query q : should) b.add(q, BooleanClause.Occur.SHOULD);
    for (Query q : mustNot) b.add(q, BooleanClause.Occur.MUST_NOT);
    if (must.isEmpty() && minShould == 0)
      // Nothing positive is required: everything not excluded matches (as in Elasticsearch).
      b.add(new MatchAllDocsQuery(), BooleanClause.Occur.FILTER);
    b.setMinimumNumberShouldMatch(minShould);
    return b.build();
  }

  /** A clause list: an array of clauses or a single clause object; absent is empty. */
  private static List<Query> list(JsonNode node, String at) {
    List<Query> out = new ArrayList<>();
    if (node == null) return out;
    if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) out.add(clause(node.get(i), at + "[" + i + "]"));
    } else if (node.isObject()) {
      out.add(clause(node, at));
    } else {
      throw new IllegalArgumentException(
          at + ": expected a clause object or an array of them, found " + describe(node));
    }
    return out;
  }

  private static List<String> keys(JsonNode node) {
    List<String> out = new ArrayList<>();
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) out.add(it.next());
    return out;
  }

  private static String describe(JsonNode v) {
    if (v == null || v.isMissingNode()) return "nothing";
    if (v.isNull()) return "null";
    String type = v.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    String text = v.toString();
    return type + " " + (text.length() > 60 ? text.substring(0, 57) + "..." : text);
  }
}
