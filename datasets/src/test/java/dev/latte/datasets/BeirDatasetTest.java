package dev.latte.datasets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BeirDatasetTest {
  @TempDir Path tmp;

  private Path write(String name, String content) throws IOException {
    Path p = tmp.resolve(name);
    Files.createDirectories(p.getParent());
    if (name.endsWith(".gz")) {
      try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(p))) {
        out.write(content.getBytes(StandardCharsets.UTF_8));
      }
    } else {
      Files.writeString(p, content);
    }
    return p;
  }

  @Test
  void readsCorpusQueriesAndQrelsIncludingGzip() throws IOException {
    write(
        "corpus.jsonl.gz",
        "{\"_id\": \"d1\", \"title\": \"T\", \"text\": \"one\"}\n\n{\"_id\": 2, \"text\": \"two\"}\n");
    write("queries.jsonl", "{\"_id\": \"q1\", \"text\": \"what\", \"metadata\": {}}\n");
    write("qrels/test.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\t2\t0\n");
    write("qrels/train.tsv", "q9\t0\td1\t2\n"); // TREC layout is accepted too
    BeirDataset ds = BeirDataset.open(tmp);
    List<Document> docs = ds.corpus().toList();
    assertEquals(List.of(new Document("d1", "T", "one"), new Document("2", "", "two")), docs);
    assertEquals("T one", docs.get(0).contents());
    assertEquals(2, ds.corpusSize());
    assertEquals("what", ds.queries().get("q1").text());
    assertEquals(List.of("test", "train"), ds.splits());
    assertEquals(1, ds.qrels("test").get("q1").get("d1"));
    assertEquals(0, ds.qrels("test").get("q1").get("2"));
    assertEquals(2, ds.qrels("train").get("q9").get("d1"));
  }

  @Test
  void malformedInputNamesFileAndLine() throws IOException {
    write("corpus.jsonl", "{\"_id\": \"d1\", \"text\": \"ok\"}\n{\"text\": \"no id\"}\n");
    var e = assertThrows(DatasetException.class, () -> BeirDataset.open(tmp).corpus().toList());
    assertTrue(e.getMessage().contains("line 2") && e.getMessage().contains("_id"), e.getMessage());

    write("corpus.jsonl", "{\"_id\": \"d1\", \"text\": \"ok\"}\n{\"_id\": \"d2\", \"text\": \n");
    e = assertThrows(DatasetException.class, () -> BeirDataset.open(tmp).corpus().toList());
    assertTrue(e.getMessage().contains("malformed JSON"), e.getMessage());

    write("qrels/test.tsv", "q1\td1\tyes\n");
    e = assertThrows(DatasetException.class, () -> BeirDataset.open(tmp).qrels("test"));
    assertTrue(
        e.getMessage().contains("line 1") && e.getMessage().contains("'yes'"), e.getMessage());
  }

  @Test
  void missingFolderOrCorpusSaysWhatIsExpected() {
    var e = assertThrows(DatasetException.class, () -> BeirDataset.open(tmp.resolve("nope")));
    assertTrue(e.getMessage().contains("corpus.jsonl"), e.getMessage());
    e = assertThrows(DatasetException.class, () -> BeirDataset.open(tmp));
    assertTrue(e.getMessage().contains("missing"), e.getMessage());
  }

  @Test
  void bundledSampleIsSciFact() throws IOException {
    BeirDataset ds = BundledSample.materialize(tmp);
    assertEquals(5183, ds.corpusSize());
    assertEquals(1109, ds.queries().size());
    assertEquals(300, ds.qrels("test").size());
    assertEquals(809, ds.qrels("train").size());
    // A second call reuses the copy.
    assertEquals(ds.dir(), BundledSample.materialize(tmp).dir());
  }

  @Test
  void readsTheSharedSciFactCopyWhenPresent() {
    Path scifact =
        Path.of(System.getProperty("latte.shared.dir", "../../shared"), "datasets", "scifact");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.isDirectory(scifact), "no shared datasets here");
    BeirDataset ds = BeirDataset.open(scifact);
    try (var s = ds.corpus()) {
      assertEquals(5183, s.count());
    }
    assertEquals(339, ds.qrels("test").values().stream().mapToInt(m -> m.size()).sum());
  }
}
