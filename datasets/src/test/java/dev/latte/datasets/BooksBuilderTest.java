package dev.latte.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BooksBuilderTest {
  @TempDir Path tmp;

  Path source(int docs) throws Exception {
    Path dir = tmp.resolve("src");
    Files.createDirectories(dir.resolve("qrels"));
    ObjectMapper json = new ObjectMapper();
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < docs; i++)
      lines.add(
          json.writeValueAsString(
              Map.of(
                  "_id", "a" + i, "title", "Title " + i, "text", "Text of abstract " + i + ".")));
    Files.write(dir.resolve("corpus.jsonl"), lines);
    Files.write(
        dir.resolve("queries.jsonl"),
        List.of("{\"_id\": \"q1\", \"text\": \"one\"}", "{\"_id\": \"q2\", \"text\": \"two\"}"));
    Files.write(
        dir.resolve("qrels/test.tsv"),
        List.of("query-id\tcorpus-id\tscore", "q1\ta3\t1", "q1\ta4\t2", "q2\ta50\t1"));
    return dir;
  }

  @Test
  void booksHoldEverySourceDocumentOnceWithMappedQrelsAndExactSpans() throws Exception {
    Path src = source(203);
    Path out = tmp.resolve("books");
    BooksBuilder.Summary s = BooksBuilder.build(BeirDataset.open(src), out, 11);
    assertEquals(203, s.documents());
    assertTrue(s.smallest() >= 10 && s.largest() <= 39, s.toString());
    BeirDataset books = BeirDataset.open(out);
    Map<String, String> text = new HashMap<>();
    try (Stream<Document> d = books.corpus()) {
      d.forEach(b -> text.put(b.id(), b.text()));
    }
    assertEquals(s.books(), text.size());
    Map<String, String> parts = BooksBuilder.parts(out);
    assertEquals(203, parts.size(), "every source document in one book");
    for (String line : Files.readAllLines(out.resolve(BooksBuilder.PARTS_FILE)).subList(1, 204)) {
      String[] f = line.split("\t");
      int i = Integer.parseInt(f[0].substring(1));
      assertEquals(
          "Title " + i + "\nText of abstract " + i + ".",
          text.get(f[1]).substring(Integer.parseInt(f[2]), Integer.parseInt(f[3])));
    }
    // A book's grade is the best grade of its documents.
    var qrels = books.qrels("test");
    assertEquals(parts.get("a3").equals(parts.get("a4")) ? 1 : 2, qrels.get("q1").size());
    assertEquals(2, qrels.get("q1").get(parts.get("a4")));
    assertEquals(1, qrels.get("q2").get(parts.get("a50")));
    assertEquals(books.queries().keySet(), BeirDataset.open(src).queries().keySet());
    // Deterministic for a seed, different for another.
    Path again = tmp.resolve("again");
    BooksBuilder.build(BeirDataset.open(src), again, 11);
    assertArrayEquals(
        Files.readAllBytes(out.resolve("corpus.jsonl")),
        Files.readAllBytes(again.resolve("corpus.jsonl")));
    Path other = tmp.resolve("other");
    BooksBuilder.build(BeirDataset.open(src), other, 12);
    assertNotEquals(
        Files.readString(out.resolve("corpus.jsonl")),
        Files.readString(other.resolve("corpus.jsonl")));
  }

  @Test
  void flatBooksAreTheSameTextWithSpacesForNewlines() throws Exception {
    Path src = source(60);
    Path out = tmp.resolve("books"), flat = tmp.resolve("flat");
    BooksBuilder.build(BeirDataset.open(src), out, 11);
    BooksBuilder.build(BeirDataset.open(src), flat, 11, true);
    Map<String, String> text = new HashMap<>();
    try (Stream<Document> d = BeirDataset.open(out).corpus()) {
      d.forEach(b -> text.put(b.id(), b.text()));
    }
    try (Stream<Document> d = BeirDataset.open(flat).corpus()) {
      d.forEach(
          b -> {
            assertTrue(text.get(b.id()).contains("\n\n"));
            assertTrue(!b.text().contains("\n"), b.text());
            assertEquals(text.get(b.id()).replace('\n', ' '), b.text());
          });
    }
    assertEquals(BooksBuilder.parts(out), BooksBuilder.parts(flat), "same books, same spans");
    assertEquals(
        BeirDataset.open(out).qrels("test"), BeirDataset.open(flat).qrels("test"), "same grades");
  }
}
