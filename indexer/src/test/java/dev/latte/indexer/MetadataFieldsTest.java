package dev.latte.indexer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.lucene.document.DoublePoint;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.IndexableField;
import org.junit.jupiter.api.Test;

class MetadataFieldsTest {
  static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void everyLeafIsIndexedUnderItsDottedPathAndEveryPresentPathExists() throws Exception {
    ObjectNode m =
        (ObjectNode)
            JSON.readTree(
                "{\"lang\": \"en\", \"year\": 2020, \"score\": -0.0, \"ok\": true,"
                    + " \"tags\": [\"a\", \"b\"], \"nums\": [1, 2.5], \"a\": {\"b\": {\"c\": \"x\"},"
                    + " \"n\": null}, \"none\": null, \"empty\": [], \"obj\": {},"
                    + " \"list\": [{\"k\": \"v\"}, {\"k\": \"w\"}]}");
    List<IndexableField> fields = MetadataFields.of(m);
    assertEquals(IndexLayout.METADATA, fields.get(0).name());
    assertTrue(fields.get(0) instanceof StoredField);
    assertEquals(m, JSON.readTree(fields.get(0).stringValue()));

    List<String> keywords = new ArrayList<>();
    List<String> numbers = new ArrayList<>();
    Set<String> exists = new TreeSet<>();
    for (IndexableField f : fields.subList(1, fields.size())) {
      if (f.name().equals(IndexLayout.METADATA_EXISTS)) {
        assertTrue(exists.add(f.stringValue()), "one exists entry per path: " + f.stringValue());
      } else if (f instanceof StringField) {
        keywords.add(f.name() + "=" + f.stringValue());
      } else if (f instanceof DoublePoint p) {
        numbers.add(f.name() + "=" + p.numericValue());
      }
    }
    assertEquals(
        List.of(
            "m.lang=en",
            "m.ok=true",
            "m.tags=a",
            "m.tags=b",
            "m.a.b.c=x",
            "m.list.k=v",
            "m.list.k=w"),
        keywords);
    assertEquals(List.of("m.year=2020.0", "m.score=0.0", "m.nums=1.0", "m.nums=2.5"), numbers);
    assertEquals(
        new TreeSet<>(
            List.of(
                "lang", "year", "score", "ok", "tags", "nums", "a", "a.b", "a.b.c", "list",
                "list.k")),
        exists);
  }

  @Test
  void noMetadataNoFields() {
    assertEquals(List.of(), MetadataFields.of(null));
    assertEquals(List.of(), MetadataFields.of(JSON.createObjectNode()));
  }
}
