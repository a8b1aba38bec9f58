package dev.latte.datasets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlCorpusTest {
  @TempDir Path tmp;

  @Test
  void readsAnOptionalMetadataObject() throws IOException {
    Path p = tmp.resolve("corpus.jsonl");
    Files.writeString(
        p,
        "{\"_id\": \"d1\", \"text\": \"one\", \"metadata\": {\"year\": 2020, \"tags\": [\"a\"],"
            + " \"src\": {\"name\": \"x\"}}}\n"
            + "{\"_id\": \"d2\", \"text\": \"two\"}\n"
            + "{\"_id\": \"d3\", \"text\": \"three\", \"metadata\": null}\n"
            + "{\"_id\": \"d4\", \"text\": \"four\", \"metadata\": {}}\n");
    List<Document> docs;
    try (var s = JsonlCorpus.documents(p)) {
      docs = s.toList();
    }
    assertEquals(4, docs.size());
    assertEquals(2020, docs.get(0).metadata().get("year").asInt());
    assertEquals("x", docs.get(0).metadata().at("/src/name").asText());
    assertNull(docs.get(1).metadata());
    assertNull(docs.get(2).metadata());
    assertNull(docs.get(3).metadata(), "an empty object is no metadata");
    // the three-argument constructor still means "no metadata"
    assertEquals(new Document("d2", "", "two"), docs.get(1));
  }

  @Test
  void metadataThatIsNotAnObjectNamesTheLine() throws IOException {
    Path p = tmp.resolve("corpus.jsonl");
    Files.writeString(
        p,
        "{\"_id\": \"d1\", \"text\": \"one\"}\n{\"_id\": \"d2\", \"text\": \"two\", \"metadata\":"
            + " \"2020\"}\n");
    var e =
        assertThrows(
            DatasetException.class,
            () -> {
              try (var s = JsonlCorpus.documents(p)) {
                s.toList();
              }
            });
    assertTrue(
        e.getMessage().contains("line 2") && e.getMessage().contains("\"metadata\" must be"),
        e.getMessage());
  }
}
