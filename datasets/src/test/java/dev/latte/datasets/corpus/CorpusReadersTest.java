package dev.latte.datasets.corpus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.latte.datasets.DatasetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every reader on real-shaped files (test resources), good and bad records alike. */
class CorpusReadersTest {
  @TempDir Path tmp;

  static Path resource(String name) throws Exception {
    return Path.of(
        CorpusReadersTest.class.getResource("/dev/latte/datasets/corpus/" + name).toURI());
  }

  static List<SourceRecord> read(Corpus c) {
    List<SourceRecord> out = new ArrayList<>();
    try (Corpus.Records r = c.records()) {
      r.forEachRemaining(out::add);
    }
    return out;
  }

  static List<SourceRecord> read(String name) throws Exception {
    return read(Corpus.open(resource(name).toString(), null, FieldMapping.DEFAULT));
  }

  static SourceRecord byId(List<SourceRecord> rs, String id) {
    return rs.stream()
        .filter(r -> !r.isBad() && r.document().id().equals(id))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no document " + id));
  }

  @Test
  void trecSgmlAsOnTheDisks() throws Exception {
    List<SourceRecord> rs = read("robust-sample.trec");
    assertEquals(5, rs.size());
    SourceRecord fbis = byId(rs, "FBIS3-1");
    assertEquals("Article Type:FBIS Translated Text", fbis.document().title());
    assertEquals(
        "Language: Chinese The Ministry of Agriculture said grain output rose & prices fell.",
        fbis.document().text());
    SourceRecord la = byId(rs, "LA010189-0001");
    assertEquals("YOU'LL SEE IT \"SOON\"", la.document().title());
    assertEquals(
        "First paragraph about a parade.\n\nSecond paragraph <with brackets>.",
        la.document().text(),
        "<P> paragraphs are kept as blank lines (long documents are cut at them)");
    SourceRecord bad = rs.get(2);
    assertTrue(bad.isBad());
    assertEquals("robust-sample.trec line 31", bad.location());
    assertTrue(bad.problem().contains("no <DOCNO>"), bad.problem());
    SourceRecord ft = byId(rs, "FT911-3");
    assertEquals("All on one line.", ft.document().text());
    assertEquals("FT 14 MAY 91 / Short one", ft.document().title());
    SourceRecord fr = byId(rs, "FR940104-0-00001");
    assertEquals("Federal Register text, part one.\n\nPart two.", fr.document().text());
    for (int i = 0; i < rs.size(); i++) assertEquals(i, rs.get(i).ordinal());
  }

  @Test
  void trecUnterminatedDocIsReportedAndTheNextReads() throws Exception {
    Path f = tmp.resolve("cut.sgml");
    Files.writeString(
        f,
        "<DOC>\n<DOCNO>a</DOCNO>\n<TEXT>never closed\n<DOC><DOCNO>b</DOCNO><TEXT>ok</TEXT></DOC>\n<DOC><DOCNO>c</DOCNO>");
    List<SourceRecord> rs = read(Corpus.open(f.toString(), null, FieldMapping.DEFAULT));
    assertEquals(3, rs.size());
    assertTrue(rs.get(0).problem().contains("before the next <DOC>"));
    assertEquals("cut.sgml line 1", rs.get(0).location());
    assertEquals("b", rs.get(1).document().id());
    assertTrue(rs.get(2).problem().contains("end of the file"));
  }

  @Test
  void msMarcoTsvWithoutHeaderAndBareQuotes() throws Exception {
    List<SourceRecord> rs = read("msmarco-passages.tsv");
    assertEquals(6, rs.size());
    assertEquals("0", rs.get(0).document().id());
    assertTrue(rs.get(0).document().text().startsWith("The presence of communication"));
    assertEquals(
        "The \"Manhattan Project\" and its atomic bomb helped bring an end to World War II.",
        rs.get(1).document().text());
    assertEquals("Essay on 'quotes' \"unbalanced", rs.get(2).document().text());
    assertTrue(rs.get(3).isBad(), "a line with one column");
    assertEquals("msmarco-passages.tsv line 5", rs.get(3).location());
    assertTrue(rs.get(4).isBad(), "a line with three columns");
    assertTrue(rs.get(4).problem().contains("3 columns"), rs.get(4).problem());
    assertEquals("Last passage.", rs.get(5).document().text());
  }

  @Test
  void csvWithQuotedNewlinesAndFieldMapping() throws Exception {
    FieldMapping m =
        new FieldMapping("doc_id", "headline", List.of("body"), null, null, null, null, null);
    List<SourceRecord> rs = read(Corpus.open(resource("export.csv").toString(), null, m));
    assertEquals(4, rs.size());
    var a1 = rs.get(0).document();
    assertEquals("a1", a1.id());
    assertEquals("Quoted, with comma", a1.title());
    assertEquals("First line\nsecond line of the same field, with \"quotes\"", a1.text());
    assertEquals("{\"year\":\"2020\",\"lang\":\"en\"}", a1.metadata().toString());
    assertEquals("export.csv line 2", rs.get(0).location());
    assertEquals("export.csv line 4", rs.get(1).location(), "line numbers count quoted newlines");
    assertTrue(rs.get(2).isBad());
    assertEquals("3 fields, the header has 5", rs.get(2).problem());
    assertEquals("", rs.get(3).document().title());

    FieldMapping picked =
        new FieldMapping(
            "doc_id", "none", List.of("headline", "body"), List.of("lang"), null, null, null, null);
    var joined = read(Corpus.open(resource("export.csv").toString(), null, picked)).get(1);
    assertEquals("Plain\n\nPlain body", joined.document().text(), "several text fields joined");
    assertEquals("{\"lang\":\"de\"}", joined.document().metadata().toString());
  }

  @Test
  void csvBrokenQuoteEndsTheFileWithOneBadRecord() throws Exception {
    Path f = tmp.resolve("broken.csv");
    Files.writeString(f, "id,text\n1,fine\n2,\"never closed\n3,lost\n");
    List<SourceRecord> rs = read(Corpus.open(f.toString(), null, FieldMapping.DEFAULT));
    assertEquals(2, rs.size());
    assertEquals("fine", rs.get(0).document().text());
    assertTrue(rs.get(1).isBad());
    assertTrue(rs.get(1).problem().contains("rest of the file"), rs.get(1).problem());
  }

  @Test
  void folderTreeOfHtmlMarkdownAndText() throws Exception {
    Corpus c = Corpus.open(resource("site").toString(), null, FieldMapping.DEFAULT);
    assertEquals(List.of("assets/logo.png"), c.ignored());
    List<SourceRecord> rs = read(c);
    assertEquals(
        List.of(
            "guide/latin1.txt",
            "guide/no-title.htm",
            "guide/notes.md",
            "guide/plain.txt",
            "index.html"),
        rs.stream().map(r -> r.isBad() ? r.location() : r.document().id()).toList());
    assertTrue(rs.get(0).isBad() && rs.get(0).problem().startsWith("not UTF-8"));
    var home = byId(rs, "index.html").document();
    assertEquals("Café & Bar — Home", home.title());
    assertEquals(
        "Menu\n\nWelcome\n\nEspresso costs €2 – <cheap> ☺",
        home.text(),
        "block elements become paragraphs");
    assertTrue(!home.text().contains("secret") && !home.text().contains("color"));
    assertEquals("Brewing guide", byId(rs, "guide/no-title.htm").document().title());
    assertEquals(
        "Brewing guide\n\nGrind, tamp, pull.", byId(rs, "guide/no-title.htm").document().text());
    assertEquals("Milk steaming", byId(rs, "guide/notes.md").document().title());
    assertEquals("", byId(rs, "guide/plain.txt").document().title());
    assertEquals("Plain text note.\nSecond line.", byId(rs, "guide/plain.txt").document().text());
  }

  @Test
  void htmlBlocksBecomeParagraphsInlineMarkupStaysInItsSentence() {
    var page =
        org.jsoup.Jsoup.parse(
            "<body><div>  <p>One <b>bold</b>\n word.</p><ul><li>first</li><li>second <i>item</i>"
                + "</li></ul>tail text<br>after break<script>no()</script></div></body>");
    assertEquals(
        "One bold word.\n\nfirst\n\nsecond item\n\ntail text after break",
        BlockText.of(page.body()));
  }

  @Test
  void gzipAndZstdJsonlReadTheSame() throws Exception {
    List<SourceRecord> gz = read("compressed-gz.jsonl.gz");
    List<SourceRecord> zst = read("compressed.jsonl.zst");
    assertEquals(5, gz.size());
    assertEquals(
        gz.stream().map(r -> r.document()).toList(), zst.stream().map(r -> r.document()).toList());
    assertEquals("compressed document 4", zst.get(4).document().text());
    assertEquals(
        Corpus.open(resource("compressed-gz.jsonl.gz").toString(), null, FieldMapping.DEFAULT)
            .fingerprint(),
        Corpus.open(resource("compressed.jsonl.zst").toString(), null, FieldMapping.DEFAULT)
            .fingerprint(),
        "same content, same fingerprint");
  }

  @Test
  void brokenLinesInTheMiddleAreBadRecordsAndReadingGoesOn() throws Exception {
    List<SourceRecord> rs = read("broken-lines.jsonl");
    List<String> got =
        rs.stream().map(r -> r.isBad() ? "BAD " + r.location() : r.document().id()).toList();
    assertEquals(
        List.of(
            "d1",
            "d2",
            "BAD broken-lines.jsonl line 3",
            "BAD broken-lines.jsonl line 4",
            "BAD broken-lines.jsonl line 5",
            "d4",
            "BAD broken-lines.jsonl line 8",
            "BAD broken-lines.jsonl line 9",
            "BAD broken-lines.jsonl line 10",
            "d7"),
        got);
    assertTrue(rs.get(2).problem().startsWith("malformed JSON"), rs.get(2).problem());
    assertTrue(rs.get(4).problem().startsWith("no id"), rs.get(4).problem());
    assertTrue(rs.get(6).problem().contains("\"metadata\" must be a JSON object"));
    assertTrue(rs.get(7).problem().contains("expected a JSON object"));
    assertEquals(2020, rs.get(1).document().metadata().get("year").asInt());
  }

  @Test
  void skippingCountsRecordsExactlyAsReadingDoes() throws Exception {
    for (String name :
        List.of(
            "broken-lines.jsonl",
            "robust-sample.trec",
            "msmarco-passages.tsv",
            "site",
            "vectors/flat.npy",
            "vectors/padded.npy")) {
      Corpus c = Corpus.open(resource(name).toString(), null, FieldMapping.DEFAULT);
      List<SourceRecord> all = read(c);
      for (int from = 0; from <= all.size(); from++) {
        List<SourceRecord> rest = new ArrayList<>();
        try (var r = c.records(from)) {
          r.forEachRemaining(rest::add);
        }
        assertEquals(all.size() - from, rest.size(), name + " from " + from);
        for (int i = 0; i < rest.size(); i++) {
          assertEquals(all.get(from + i).ordinal(), rest.get(i).ordinal());
          assertEquals(all.get(from + i).location(), rest.get(i).location());
          assertEquals(all.get(from + i).document(), rest.get(i).document());
          assertEquals(all.get(from + i).vectors(), rest.get(i).vectors());
        }
      }
    }
  }

  @Test
  void jsonArrayStreamsElements() throws Exception {
    Path f = tmp.resolve("docs.json");
    Files.writeString(
        f, "[\n {\"id\": \"x\", \"text\": \"one\"},\n 42,\n {\"id\": \"y\", \"text\": \"two\"}\n]");
    List<SourceRecord> rs = read(Corpus.open(f.toString(), null, FieldMapping.DEFAULT));
    assertEquals(3, rs.size());
    assertEquals("x", rs.get(0).document().id());
    assertTrue(rs.get(1).isBad());
    assertEquals("y", rs.get(2).document().id());
    Files.writeString(f, "[{\"id\": \"x\", \"text\": \"one\"}, {\"id\": oops}]");
    rs = read(Corpus.open(f.toString(), null, FieldMapping.DEFAULT));
    assertEquals(2, rs.size());
    assertTrue(rs.get(1).problem().contains("malformed JSON"), rs.get(1).problem());
  }

  @Test
  void precomputedVectorsInJsonlAreCheckedPerRecord() throws Exception {
    List<SourceRecord> rs = read("vectors/vectors.jsonl");
    assertEquals(6, rs.size());
    assertEquals(2, rs.get(0).vectors().rows());
    assertEquals(4, rs.get(0).vectors().dim());
    assertArrayEquals(new String[] {"a", "b"}, rs.get(0).tokens());
    assertEquals(3, rs.get(1).vectors().rows());
    assertNull(rs.get(1).tokens());
    assertTrue(rs.get(2).isBad(), "NaN");
    assertTrue(rs.get(3).problem().contains("has 3 components, row 0 has 4"), rs.get(3).problem());
    assertTrue(rs.get(4).problem().contains("not finite"), rs.get(4).problem());
    assertEquals("two", rs.get(5).document().title());
  }

  @Test
  void npyPaddedAndFlatWithDoclensGiveTheSameDocuments() throws Exception {
    List<SourceRecord> jsonl = read("vectors/vectors.jsonl");
    List<SourceRecord> padded = read("vectors/padded.npy");
    List<SourceRecord> flat = read("vectors/flat.npy");
    assertEquals(List.of("p0", "p1", "p2"), padded.stream().map(r -> r.document().id()).toList());
    int[] good = {0, 1, 5};
    for (int i = 0; i < 3; i++) {
      var want = jsonl.get(good[i]).vectors();
      assertEquals(want, padded.get(i).vectors());
      assertEquals(want.rows(), flat.get(i).vectors().rows());
      float[] f = flat.get(i).vectors().data();
      for (int j = 0; j < f.length; j++) assertEquals(want.data()[j], f[j], 1e-3, "float16");
    }
    // Without doclens the 3-d array drops its all-zero padding rows.
    Path dir = tmp.resolve("np");
    Files.createDirectories(dir);
    Files.copy(resource("vectors/padded.npy"), dir.resolve("padded.npy"));
    Files.writeString(dir.resolve("ids.txt"), "p0\np1\np2\n");
    List<SourceRecord> unpadded =
        read(Corpus.open(dir.resolve("padded.npy").toString(), null, FieldMapping.DEFAULT));
    for (int i = 0; i < 3; i++) assertEquals(padded.get(i).vectors(), unpadded.get(i).vectors());
    Files.writeString(dir.resolve("ids.txt"), "p0\np1\n");
    List<SourceRecord> short_ =
        read(Corpus.open(dir.resolve("padded.npy").toString(), null, FieldMapping.DEFAULT));
    assertTrue(short_.get(2).isBad() && short_.get(2).problem().contains("has 2 ids"));
    Files.delete(dir.resolve("ids.txt"));
    List<SourceRecord> noIds =
        read(Corpus.open(dir.resolve("padded.npy").toString(), null, FieldMapping.DEFAULT));
    assertEquals(1, noIds.size());
    assertTrue(noIds.get(0).problem().contains("--ids FILE"), noIds.get(0).problem());
  }

  @Test
  void globsAndFormatsAndMissingInputs() throws Exception {
    Path dir = tmp.resolve("shards");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("b.jsonl"), "{\"_id\": \"b\", \"text\": \"B\"}\n");
    Files.writeString(dir.resolve("a.jsonl"), "{\"_id\": \"a\", \"text\": \"A\"}\n");
    Files.writeString(dir.resolve("c.txt"), "not matched");
    Corpus c = Corpus.open(dir + "/*.jsonl", null, FieldMapping.DEFAULT);
    assertEquals(List.of("a.jsonl", "b.jsonl"), c.files().stream().map(InputFile::name).toList());
    assertEquals(List.of("a", "b"), read(c).stream().map(r -> r.document().id()).toList());
    String fp = c.fingerprint();
    Files.writeString(dir.resolve("b.jsonl"), "{\"_id\": \"b\", \"text\": \"C\"}\n");
    assertNotEquals(fp, Corpus.open(dir + "/*.jsonl", null, FieldMapping.DEFAULT).fingerprint());
    assertEquals(2, c.estimateCount());
    var e =
        assertThrows(
            DatasetException.class, () -> Corpus.open(dir + "/x", null, FieldMapping.DEFAULT));
    assertTrue(e.getMessage().contains("input not found"), e.getMessage());
    Files.writeString(dir.resolve("data.bin"), "x");
    e =
        assertThrows(
            DatasetException.class,
            () -> Corpus.open(dir.resolve("data.bin").toString(), null, FieldMapping.DEFAULT));
    assertTrue(e.getMessage().contains("--format"), e.getMessage());
    assertEquals(
        "x",
        read(Corpus.open(dir.resolve("data.bin").toString(), "text", FieldMapping.DEFAULT))
            .getFirst()
            .document()
            .text());
  }
}
