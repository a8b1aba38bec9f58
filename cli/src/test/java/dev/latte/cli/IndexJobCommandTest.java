package dev.latte.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./latte index} as a job over precomputed vectors, and search by query vectors. */
class IndexJobCommandTest {
  @TempDir Path tmp;

  @Test
  void vectorsIndexWithoutModelSearchedByQueryVectors() throws Exception {
    Path input = tmp.resolve("v.jsonl");
    Files.writeString(
        input,
        "{\"_id\": \"a\", \"text\": \"alpha\", \"vectors\": [[1, 0, 0], [0, 1, 0]]}\n"
            + "{\"_id\": \"b\", \"text\": \"beta\", \"vectors\": [[0, 0, 1]]}\n"
            + "{\"_id\": \"a\", \"text\": \"again\", \"vectors\": [[1, 0, 0]]}\n"
            + "{\"_id\": \"c\", \"vectors\": [[1, 0]]}\n"
            + "not json\n");
    String index = tmp.resolve("i").toString();
    var r = LatteCommandLineTest.run("index", "--input", input.toString(), "--index", index);
    assertEquals(0, r.exit(), r.err());
    assertTrue(
        r.out()
            .contains(
                "Read 5 records: indexed 2 (0 replaced an existing id), skipped 3"
                    + " (0 empty, 1 duplicate id in the input, 2 errors)"),
        r.out());
    assertTrue(r.out().contains("v.jsonl line 4: document c has 2-d vectors"), r.out());
    assertTrue(r.out().contains("v.jsonl line 5: malformed JSON"), r.out());
    assertTrue(Files.isRegularFile(Path.of(index, "latte-job.json")));

    r = LatteCommandLineTest.run("index", "--input", input.toString(), "--index", index);
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("already complete"), r.out());

    Path q = tmp.resolve("q.json");
    Files.writeString(q, "[[0, 0, 1]]");
    r = LatteCommandLineTest.run("search", "--index", index, "--query-vectors", q.toString());
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().strip().lines().findFirst().orElseThrow().contains(" b "), r.out());

    r = LatteCommandLineTest.run("search", "--index", index, "--query", "alpha");
    assertEquals(1, r.exit());
    assertTrue(r.err().contains("precomputed vectors"), r.err());
    assertTrue(r.err().contains("--query-vectors"), r.err());

    Files.writeString(q, "[[0, 1]]");
    r = LatteCommandLineTest.run("search", "--index", index, "--query-vectors", q.toString());
    assertEquals(1, r.exit());
    assertTrue(r.err().contains("query vectors are 2-d; this index holds 3-d"), r.err());
  }

  @Test
  void onErrorFailStopsAtTheFirstBadRecord() throws Exception {
    Path input = tmp.resolve("v.jsonl");
    Files.writeString(
        input,
        "{\"_id\": \"a\", \"vectors\": [[1, 0]]}\n{\"_id\": \"b\", \"vectors\": [[1, Infinity]]}\n");
    String index = tmp.resolve("i").toString();
    var r =
        LatteCommandLineTest.run(
            "index", "--input", input.toString(), "--index", index, "--on-error", "fail");
    assertEquals(1, r.exit());
    assertTrue(r.err().contains("stopped at v.jsonl line 2"), r.err());
    assertTrue(r.err().contains("--on-error skip"), r.err());
    r = LatteCommandLineTest.run("index", "--input", input.toString(), "--index", index);
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("resumed at record 1"), r.out());
  }

  @Test
  void longDocumentsAreIndexedAsPassagesAndTheSettingsStayWithTheIndex() throws Exception {
    String sentence =
        "Statins lower the risk of cardiovascular events in patients with high cholesterol. ";
    String vitamin = "Vitamin D supplements did not prevent fractures in older adults. ";
    Path input = tmp.resolve("docs.jsonl");
    Files.writeString(
        input,
        "{\"_id\": \"long\", \"text\": \""
            + sentence.repeat(30)
            + vitamin
            + sentence.repeat(30)
            + "\"}\n{\"_id\": \"short\", \"text\": \"Gut bacteria and diet.\"}\n");
    String index = tmp.resolve("i").toString();
    var r =
        LatteCommandLineTest.run(
            "index",
            "--input",
            input.toString(),
            "--index",
            index,
            "--long-docs",
            "late-chunking",
            "--window",
            "64");
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("late-chunking 64/64 in 512"), r.out());
    String stats = Files.readString(Path.of(index, "latte-stats.json"));
    assertTrue(stats.contains("\"documents\" : 2"), stats);
    assertTrue(
        !stats.contains("\"passages\" : 2,"), "the long document is several passages: " + stats);
    assertTrue(
        Files.readString(Path.of(index, "latte-job.json"))
            .contains("\"long_docs\" : \"late-chunking\""));

    r =
        LatteCommandLineTest.run(
            "search",
            "--index",
            index,
            "--query",
            "vitamin D fractures",
            "--passage-scoring",
            "maxp");
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("best passage"), r.out());
    var m = java.util.regex.Pattern.compile("characters (\\d+)-(\\d+)").matcher(r.out());
    assertTrue(m.find(), r.out());
    int at = (sentence.repeat(30) + vitamin).indexOf("Vitamin D");
    assertTrue(
        Integer.parseInt(m.group(1)) <= at && at < Integer.parseInt(m.group(2)),
        "the best passage is the one about vitamin D: " + r.out());

    // The same query given as vectors scores by the chosen passage scoring too.
    Path q = tmp.resolve("q.json");
    try (var encoder = Common.encoder("default", 1)) {
      var m0 = encoder.encodeQuery("vitamin D fractures").matrix();
      StringBuilder json = new StringBuilder("[");
      for (int row = 0; row < m0.rows(); row++) {
        json.append(row > 0 ? "," : "").append('[');
        for (int c = 0; c < m0.dim(); c++)
          json.append(c > 0 ? "," : "").append(m0.data()[row * m0.dim() + c]);
        json.append(']');
      }
      Files.writeString(q, json.append(']'));
    }
    java.util.function.Function<String, String> topScore =
        out -> out.strip().lines().findFirst().orElseThrow().trim().split("\\s+")[1];
    String textMaxP = topScore.apply(r.out());
    var vMaxP =
        LatteCommandLineTest.run(
            "search",
            "--index",
            index,
            "--query-vectors",
            q.toString(),
            "--passage-scoring",
            "maxp");
    assertEquals(0, vMaxP.exit(), vMaxP.err());
    var vUnion =
        LatteCommandLineTest.run("search", "--index", index, "--query-vectors", q.toString());
    assertEquals(0, vUnion.exit(), vUnion.err());
    assertEquals(textMaxP, topScore.apply(vMaxP.out()), vMaxP.out());
    // Union-MaxSim takes each query token's best row over every passage, so it never scores below
    // the best passage; it ties when one passage holds every query token's best row (here since
    // residual codes carry per-token scales: passage 8 then holds them all).
    assertTrue(
        Float.parseFloat(topScore.apply(vUnion.out())) >= Float.parseFloat(textMaxP),
        "union-MaxSim over all passages scores at least the best passage: " + vUnion.out());
    assertTrue(vMaxP.out().contains("best passage"), vMaxP.out());

    r =
        LatteCommandLineTest.run(
            "index", "--input", input.toString(), "--index", index, "--long-docs", "windows");
    assertEquals(1, r.exit());
    assertTrue(r.err().contains("--long-docs"), r.err());
  }

  @Test
  void aNewIndexCutsLongDocumentsIntoWindowsAndAnExistingOneKeepsItsOwnSetting() throws Exception {
    String sentence = "Statins lower the risk of cardiovascular events in high cholesterol. ";
    Path input = tmp.resolve("docs.jsonl");
    Files.writeString(
        input,
        "{\"_id\": \"long\", \"text\": \""
            + sentence.repeat(60)
            + "\"}\n{\"_id\": \"short\", \"text\": \"Gut bacteria and diet.\"}\n");
    String fresh = tmp.resolve("fresh").toString();
    var r = LatteCommandLineTest.run("index", "--input", input.toString(), "--index", fresh);
    assertEquals(0, r.exit(), r.err());
    assertTrue(
        java.util.regex.Pattern.compile("windows (\\d+)/\\1 at paragraphs").matcher(r.out()).find(),
        "windows cut at paragraph breaks (else sentences) by default: " + r.out());
    assertTrue(
        Files.readString(Path.of(fresh, "latte-job.json")).contains("\"cut\" : \"paragraphs\""),
        "the job records the cut");
    String stats = Files.readString(Path.of(fresh, "latte-stats.json"));
    assertTrue(stats.contains("\"documents\" : 2"), stats);
    assertTrue(!stats.contains("\"passages\" : 2,"), "the long document is windows: " + stats);

    // An index built truncating keeps truncating when more is added without --long-docs.
    String old = tmp.resolve("old").toString();
    r =
        LatteCommandLineTest.run(
            "index", "--input", input.toString(), "--index", old, "--long-docs", "truncate");
    assertEquals(0, r.exit(), r.err());
    Path more = tmp.resolve("more.jsonl");
    Files.writeString(more, "{\"_id\": \"more\", \"text\": \"" + sentence.repeat(60) + "\"}\n");
    r = LatteCommandLineTest.run("index", "--input", more.toString(), "--index", old);
    assertEquals(0, r.exit(), r.err());
    stats = Files.readString(Path.of(old, "latte-stats.json"));
    assertTrue(stats.contains("\"documents\" : 3"), stats);
    assertTrue(stats.contains("\"passages\" : 3"), "one passage per document: " + stats);
  }
}
