package dev.latte.searcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.indexer.MetadataFields;
import java.io.IOException;
import java.util.Set;
import java.util.TreeSet;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The filter grammar: what each clause matches, over documents indexed the way {@link
 * dev.latte.indexer.LatteIndexWriter} indexes metadata, and a named {@link
 * IllegalArgumentException} for every malformed input.
 */
class FiltersTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String[] DOCS = {
    "{\"lang\": \"en\", \"year\": 2020, \"score\": 0.5, \"tags\": [\"a\", \"b\"], \"ok\": true,"
        + " \"author\": {\"name\": \"x\"}}",
    "{\"lang\": \"fr\", \"year\": 2021.0, \"score\": -0.0, \"tags\": [], \"ok\": false}",
    "{\"lang\": \"en\", \"year\": 2019, \"score\": null, \"tags\": [\"c\"],"
        + " \"authors\": [{\"name\": \"y\"}, {\"name\": \"z\"}]}",
    "{\"big\": 9007199254740993, \"year\": -3, \"_exists\": \"sneaky\", \"empty\": {}}",
    null // no metadata at all
  };

  static Directory dir;
  static DirectoryReader reader;
  static IndexSearcher searcher;

  @BeforeAll
  static void index() throws IOException {
    dir = new ByteBuffersDirectory();
    try (IndexWriter w = new IndexWriter(dir, new IndexWriterConfig())) {
      for (int i = 0; i < DOCS.length; i++) {
        Document d = new Document();
        d.add(new StringField("id", "" + i, Field.Store.YES));
        if (DOCS[i] != null)
          for (var f : MetadataFields.of((ObjectNode) JSON.readTree(DOCS[i]))) d.add(f);
        w.addDocument(d);
      }
    }
    reader = DirectoryReader.open(dir);
    searcher = new IndexSearcher(reader);
  }

  @AfterAll
  static void close() throws IOException {
    reader.close();
    dir.close();
  }

  static Set<Integer> match(String filter) throws IOException {
    Set<Integer> out = new TreeSet<>();
    for (ScoreDoc sd : searcher.search(Filters.parse(filter), 100).scoreDocs)
      out.add(Integer.parseInt(searcher.storedFields().document(sd.doc).get("id")));
    return out;
  }

  @Test
  void termMatchesKeywordsNumbersAndBooleansExactly() throws IOException {
    assertEquals(Set.of(0, 2), match("{\"term\": {\"lang\": \"en\"}}"));
    assertEquals(Set.of(), match("{\"term\": {\"lang\": \"EN\"}}"));
    assertEquals(Set.of(0), match("{\"term\": {\"year\": 2020}}"));
    assertEquals(Set.of(0), match("{\"term\": {\"year\": 2020.0}}"));
    assertEquals(Set.of(1), match("{\"term\": {\"year\": 2021}}"));
    assertEquals(Set.of(), match("{\"term\": {\"year\": \"2020\"}}")); // strings are keywords
    assertEquals(Set.of(0), match("{\"term\": {\"ok\": true}}"));
    assertEquals(Set.of(0), match("{\"term\": {\"ok\": \"true\"}}"));
    assertEquals(Set.of(1), match("{\"term\": {\"ok\": {\"value\": false}}}"));
    assertEquals(Set.of(2), match("{\"term\": {\"tags\": {\"value\": \"c\"}}}"));
  }

  @Test
  void arraysAreMultiValuedAndObjectsFlattenToDottedPaths() throws IOException {
    assertEquals(Set.of(0), match("{\"term\": {\"tags\": \"b\"}}"));
    assertEquals(Set.of(0, 2), match("{\"terms\": {\"tags\": [\"a\", \"c\"]}}"));
    assertEquals(Set.of(0, 1), match("{\"terms\": {\"year\": [2020, 2021, \"x\"]}}"));
    assertEquals(Set.of(), match("{\"terms\": {\"tags\": []}}"));
    assertEquals(Set.of(0), match("{\"term\": {\"author.name\": \"x\"}}"));
    assertEquals(Set.of(2), match("{\"term\": {\"authors.name\": \"z\"}}"));
  }

  @Test
  void rangeBoundsAreInclusiveOrExclusiveAsWritten() throws IOException {
    assertEquals(Set.of(0, 1), match("{\"range\": {\"year\": {\"gte\": 2020}}}"));
    assertEquals(Set.of(1), match("{\"range\": {\"year\": {\"gt\": 2020}}}"));
    assertEquals(Set.of(2, 3), match("{\"range\": {\"year\": {\"lt\": 2020}}}"));
    assertEquals(Set.of(0, 2, 3), match("{\"range\": {\"year\": {\"lte\": 2020}}}"));
    assertEquals(Set.of(0), match("{\"range\": {\"year\": {\"gt\": 2019, \"lt\": 2020.5}}}"));
    assertEquals(Set.of(), match("{\"range\": {\"year\": {\"gte\": 2021, \"lte\": 2020}}}"));
    // -0.0 is indexed as 0: it is >= 0 and <= 0, not > 0, and term 0 finds it
    assertEquals(Set.of(0, 1), match("{\"range\": {\"score\": {\"gte\": 0}}}"));
    assertEquals(Set.of(1), match("{\"range\": {\"score\": {\"lte\": -0.0}}}"));
    assertEquals(Set.of(0), match("{\"range\": {\"score\": {\"gt\": 0}}}"));
    assertEquals(Set.of(1), match("{\"term\": {\"score\": 0}}"));
    // integers beyond 2^53 are rounded to the nearest double, in documents and filters alike
    assertEquals(Set.of(3), match("{\"term\": {\"big\": 9007199254740992}}"));
  }

  @Test
  void existsSeesLeavesAndObjectsButNotNullsOrEmptiness() throws IOException {
    assertEquals(Set.of(0, 1), match("{\"exists\": {\"field\": \"score\"}}"));
    assertEquals(Set.of(0, 2), match("{\"exists\": {\"field\": \"tags\"}}"));
    assertEquals(Set.of(0), match("{\"exists\": {\"field\": \"author\"}}"));
    assertEquals(Set.of(0), match("{\"exists\": {\"field\": \"author.name\"}}"));
    assertEquals(Set.of(2), match("{\"exists\": {\"field\": \"authors\"}}"));
    assertEquals(Set.of(), match("{\"exists\": {\"field\": \"empty\"}}"));
    assertEquals(Set.of(), match("{\"exists\": {\"field\": \"nope\"}}"));
  }

  @Test
  void boolFollowsElasticsearch() throws IOException {
    assertEquals(
        Set.of(2),
        match(
            "{\"bool\": {\"must\": {\"term\": {\"lang\": \"en\"}}, \"filter\": [{\"range\":"
                + " {\"year\": {\"lt\": 2020}}}]}}"));
    // only must_not: everything else, documents without metadata included
    assertEquals(
        Set.of(1, 3, 4), match("{\"bool\": {\"must_not\": [{\"term\": {\"lang\": \"en\"}}]}}"));
    // only should: at least one
    assertEquals(
        Set.of(1, 3),
        match(
            "{\"bool\": {\"should\": [{\"term\": {\"lang\": \"fr\"}}, {\"exists\": {\"field\":"
                + " \"big\"}}]}}"));
    // with must, should is optional
    assertEquals(
        Set.of(0, 2),
        match(
            "{\"bool\": {\"must\": [{\"term\": {\"lang\": \"en\"}}], \"should\": [{\"term\":"
                + " {\"ok\": false}}]}}"));
    assertEquals(
        Set.of(0),
        match(
            "{\"bool\": {\"should\": [{\"term\": {\"lang\": \"en\"}}, {\"term\": {\"ok\": true}},"
                + " {\"term\": {\"year\": 7}}], \"minimum_should_match\": 2}}"));
    assertEquals(Set.of(0, 1, 2, 3, 4), match("{\"match_all\": {}}"));
    // a top-level _exists key is stored but never indexed
    assertEquals(Set.of(), match("{\"exists\": {\"field\": \"sneaky\"}}"));
  }

  static void bad(String filter, String... mentions) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Filters.parse(filter), filter);
    for (String m : mentions)
      assertTrue(e.getMessage().contains(m), "'" + m + "' not in: " + e.getMessage());
  }

  @Test
  void malformedFiltersNameTheOffendingPart() {
    // not a filter at all
    bad("", "filter is empty");
    bad("{\"term\": ", "not valid JSON");
    bad("[1, 2]", "expected a clause object", "array");
    bad("null", "expected a clause object", "null");
    bad("{}", "exactly one key", "none");
    bad("{\"term\": {\"a\": 1}, \"range\": {\"b\": {\"gt\": 1}}}", "exactly one key", "bool");
    // unknown clauses
    bad("{\"match\": {\"text\": \"x\"}}", "unknown filter clause 'match'", "term, terms");
    bad(
        "{\"bool\": {\"must\": [{\"term\": {\"a\": 1}}, {\"prefix\": {\"a\": \"x\"}}]}}",
        "filter.bool.must[1]",
        "'prefix'");
    // term / terms
    bad("{\"term\": {\"lang\": [\"en\"]}}", "filter.term.lang", "string, number or boolean");
    bad("{\"term\": {\"lang\": null}}", "filter.term.lang", "null");
    bad("{\"term\": {\"lang\": \"en\", \"year\": 1}}", "filter.term", "one field", "2 fields");
    bad("{\"term\": {}}", "filter.term", "one field");
    bad("{\"term\": \"lang\"}", "filter.term", "one field");
    bad("{\"term\": {\"lang\": {\"valu\": \"en\"}}}", "filter.term.lang", "valu");
    bad("{\"terms\": {\"lang\": \"en\"}}", "filter.terms.lang", "array");
    bad("{\"terms\": {\"lang\": [\"en\", {\"x\": 1}]}}", "filter.terms.lang[1]");
    // range
    bad("{\"range\": {\"year\": {\"gte\": \"2020\"}}}", "filter.range.year.gte", "JSON numbers");
    bad("{\"range\": {\"year\": {\"gte\": true}}}", "filter.range.year.gte", "JSON numbers");
    bad("{\"range\": {\"year\": {\"lt\": {\"v\": 1}}}}", "filter.range.year.lt", "JSON numbers");
    bad("{\"range\": {\"year\": {\"from\": 1}}}", "filter.range.year", "'from'", "gte, gt");
    bad("{\"range\": {\"year\": {\"gt\": 1, \"gte\": 2}}}", "gt or gte");
    bad("{\"range\": {\"year\": {\"lt\": 1, \"lte\": 2}}}", "lt or lte");
    bad("{\"range\": {\"year\": {}}}", "filter.range.year", "bounds");
    bad("{\"range\": {\"year\": 2020}}", "filter.range.year", "bounds");
    bad("{\"range\": {\"year\": {\"gte\": NaN}}}", "not valid JSON");
    bad("{\"range\": {\"year\": {\"lte\": 1e400}}}", "filter.range.year.lte", "finite");
    // missing or reserved field names
    bad("{\"term\": {\"\": \"x\"}}", "filter.term", "missing field name");
    bad("{\"range\": {\" \": {\"gte\": 1}}}", "filter.range", "missing field name");
    bad("{\"exists\": {}}", "filter.exists", "missing field name");
    bad("{\"exists\": {\"field\": \"\"}}", "filter.exists.field", "missing field name");
    bad("{\"exists\": {\"field\": 3}}", "filter.exists.field", "path string");
    bad("{\"exists\": {\"field\": \"a\", \"boost\": 2}}", "filter.exists", "'boost'");
    bad("{\"exists\": {\"field\": \"_exists\"}}", "reserved");
    bad("{\"term\": {\"_exists\": \"a\"}}", "reserved");
    // bool
    bad("{\"bool\": {}}", "filter.bool", "empty bool");
    bad("{\"bool\": {\"must\": [], \"should\": []}}", "filter.bool", "empty bool");
    bad("{\"bool\": {\"must\": [], \"boost\": 1}}", "filter.bool", "'boost'");
    bad("{\"bool\": {\"must\": \"lang\"}}", "filter.bool.must", "clause object or an array");
    bad("{\"bool\": []}", "filter.bool", "expected an object");
    bad(
        "{\"bool\": {\"should\": [{\"term\": {\"a\": 1}}], \"minimum_should_match\": \"1\"}}",
        "minimum_should_match",
        "whole number");
    bad(
        "{\"bool\": {\"should\": [{\"term\": {\"a\": 1}}], \"minimum_should_match\": 2}}",
        "minimum_should_match");
    bad("{\"match_all\": {\"boost\": 1}}", "filter.match_all");
  }

  @Test
  void nanAndInfinityFromAParsedTreeAreRejected() {
    ObjectNode f = JSON.createObjectNode();
    f.putObject("range").putObject("year").set("gte", DoubleNode.valueOf(Double.NaN));
    var e = assertThrows(IllegalArgumentException.class, () -> Filters.parse(f));
    assertTrue(e.getMessage().contains("filter.range.year.gte") && e.getMessage().contains("NaN"));
    ObjectNode t = JSON.createObjectNode();
    t.putObject("term").set("score", DoubleNode.valueOf(Double.POSITIVE_INFINITY));
    e = assertThrows(IllegalArgumentException.class, () -> Filters.parse(t));
    assertTrue(e.getMessage().contains("filter.term.score"), e.getMessage());
  }
}
