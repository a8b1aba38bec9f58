package dev.latte.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The commands as a user runs them: exit codes, one-line errors, and index -> search on ADI. */
class LatteCommandLineTest {
  @TempDir Path tmp;

  record Run(int exit, String out, String err) {}

  /** Runs a command with standard output captured (help and results are printed there). */
  static Run run(String... args) {
    PrintStream stdout = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      CommandLine cl = Latte.commandLine();
      StringWriter err = new StringWriter();
      cl.setErr(new PrintWriter(err, true));
      int exit = cl.execute(args);
      System.out.flush();
      return new Run(exit, captured.toString(StandardCharsets.UTF_8), err.toString());
    } finally {
      System.setOut(stdout);
    }
  }

  @Test
  void everyCommandHasHelp() {
    for (String c : new String[] {"index", "search", "eval", "serve", "demo"}) {
      Run r = run(c, "--help");
      assertEquals(0, r.exit(), c);
      assertTrue(r.out().contains("Usage: latte " + c), "[" + r.out() + "]");
    }
  }

  @Test
  void searchAndEvalHelpListEveryMethod() {
    for (String c : new String[] {"search", "eval"}) {
      // picocli wraps long descriptions: compare without the line breaks and indentation.
      String help = run(c, "--help").out().replaceAll("\\s+", " ");
      String all = String.join(", ", dev.latte.searcher.LatteSearcher.methodNames());
      assertTrue(help.contains(all), c + " --help lacks [" + all + "]: " + help);
    }
  }

  @Test
  void missingOptionIsAUsageErrorAndBadInputAOneLineError() {
    Run r = run("index", "--index", tmp.resolve("i").toString());
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("Missing required option: '--input=<input>'"), r.err());

    r =
        run(
            "index",
            "--input",
            tmp.resolve("nope").toString(),
            "--index",
            tmp.resolve("i").toString());
    assertEquals(1, r.exit());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().startsWith("latte index: error: input not found"), r.err());

    r = run("search", "--index", tmp.resolve("missing").toString(), "--query", "x");
    assertEquals(1, r.exit());
    assertTrue(r.err().contains("index folder not found"), r.err());

    r = run("eval", "--dataset", tmp.toString(), "--codec", "float8");
    assertEquals(1, r.exit());
    assertTrue(r.err().contains("float8"), r.err());
  }

  @Test
  void stageParametersComeFromTheRegistry() {
    // picocli may wrap anywhere, even after a '.': compare without white space.
    String help = run("eval", "--help").out().replaceAll("\\s+", "");
    assertTrue(help.contains("xtr.probes(default8)"), help);
    assertTrue(help.contains("xtr.token-depth(default100)"), help);
    Run r = run("eval", "--dataset", tmp.toString(), "--stage-param", "xtr.probez=3");
    assertEquals(1, r.exit());
    assertTrue(r.err().contains("first stage 'xtr' has no parameter 'probez'"), r.err());
    assertTrue(r.err().contains("xtr.probes, xtr.token-depth"), r.err());
    r = run("eval", "--dataset", tmp.toString(), "--stage-param", "xtr.probes=0");
    assertEquals(1, r.exit());
    assertTrue(r.err().contains("xtr.probes must be >= 1, got 0"), r.err());
    r = run("eval", "--dataset", tmp.toString(), "--stage-param", "nope.probes=3");
    assertEquals(1, r.exit());
    assertTrue(r.err().contains("unknown first stage 'nope'"), r.err());
  }

  @Test
  void suiteOptionsFailWithOneLineErrors() {
    Run r = run("eval", "--suite", tmp.toString(), "--dataset", tmp.toString());
    assertEquals(1, r.exit());
    assertTrue(r.err().contains("leave out --dataset and --index"), r.err());
    r = run("eval", "--dataset", tmp.toString(), "--markdown", tmp.resolve("t.md").toString());
    assertEquals(1, r.exit());
    assertTrue(r.err().contains("--markdown needs --suite"), r.err());
    r = run("eval", "--suite", tmp.toString(), "--query-tokens", "idf,bogus");
    assertEquals(1, r.exit());
    assertTrue(r.err().contains("unknown query token option 'bogus'"), r.err());
    r = run("eval", "--suite", tmp.resolve("missing").toString());
    assertEquals(1, r.exit());
    assertTrue(r.err().contains("suite folder not found"), r.err());
  }

  @Test
  void serveOptionsAreCheckedBeforeAnythingStarts() {
    String index = tmp.resolve("i").toString();
    Run r = run("serve", "--index", index, "--name", "Bad Name");
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("--name Bad Name is not valid"), r.err());
    r = run("serve", "--data", index, "--name", "x");
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("--name applies to --index"), r.err());
    r = run("serve", "--index", index, "--model", "default", "--model", "other");
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("at most one --model"), r.err());
    r = run("serve", "--index", tmp.resolve("missing").toString(), "--port", "0");
    assertEquals(1, r.exit());
    assertTrue(r.err().contains("index folder not found"), r.err());
  }

  @Test
  void servedIndexNamesComeFromTheFolderAndAreAlwaysValid() {
    assertEquals("scifact", ServeCommand.nameOf(Path.of("/x/scifact")));
    assertEquals(
        "scifact-bge-small-en-v1-5-int8-19ef",
        ServeCommand.nameOf(Path.of("/x/SciFact-bge-small-en-v1.5-int8-19ef")));
    assertEquals("index", ServeCommand.nameOf(Path.of("/x/...")));
    assertEquals("a-b", ServeCommand.nameOf(Path.of("/x/_a b")));
    assertEquals(64, ServeCommand.nameOf(Path.of("/x/" + "a".repeat(100))).length());
    for (String f : new String[] {"x@float16-p2", "Ünïcode", "-lead", "CON", "a.b.c"})
      assertTrue(dev.latte.web.IndexRegistry.isValidName(ServeCommand.nameOf(Path.of("/x", f))), f);
  }

  @Test
  void indexThenSearchTheAdiCollection() throws Exception {
    Path adi = Path.of(System.getProperty("latte.shared.dir", "../../shared"), "datasets", "adi");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.isDirectory(adi), "no shared datasets at " + adi);
    Path index = tmp.resolve("adi");
    Run r =
        run(
            "index",
            "--input",
            adi.toString(),
            "--index",
            index.toString(),
            "--threads",
            "2",
            "--codec",
            "int8",
            "--pool-factor",
            "2");
    assertEquals(0, r.exit(), r.err());
    assertTrue(
        r.out().contains("Read 82 records: indexed 82 (0 replaced an existing id), skipped 0"),
        r.out());
    assertTrue(Files.isRegularFile(index.resolve("latte-stats.json")));

    r = run("search", "--index", index.toString(), "--query", "automatic indexing", "--k", "3");
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("3 hits by maxsim-exact"), r.out());

    r =
        run(
            "search",
            "--index",
            index.toString(),
            "--query",
            "automatic indexing",
            "--method",
            "colbert");
    assertEquals(1, r.exit());
    assertTrue(r.err().contains("unknown method 'colbert'"), r.err());

    // Adding with other storage options is refused and the index stays as it was.
    r = run("index", "--input", adi.toString(), "--index", index.toString(), "--codec", "bit");
    assertEquals(1, r.exit());
    // (the pool factor not given is the index's own, 2)
    assertTrue(r.err().contains("stores int8-p2 token matrices, not bit-p2"), r.err());
    r = run("search", "--index", index.toString(), "--query", "automatic indexing", "--k", "3");
    assertEquals(0, r.exit(), r.err());
  }

  /**
   * With no codec option a new index is the compact default: residual-2 pooled by 2, with its
   * frozen codebook and WARP lists over its own codes, and search answers by WARP.
   */
  @Test
  void indexWithoutCodecOptionsBuildsTheCompactDefault() throws Exception {
    Path adi = Path.of(System.getProperty("latte.shared.dir", "../../shared"), "datasets", "adi");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.isDirectory(adi), "no shared datasets at " + adi);
    Path index = tmp.resolve("adi-default");
    Run r = run("index", "--input", adi.toString(), "--index", index.toString(), "--threads", "2");
    assertEquals(0, r.exit(), r.err());
    try (var dir = org.apache.lucene.store.FSDirectory.open(index)) {
      var m = dev.latte.indexer.LatteIndexReaderSupport.metadataIfPresent(dir);
      assertEquals(
          new dev.latte.indexer.IndexOptions(dev.latte.core.codec.TokenCodec.RESIDUAL_2, 2),
          m.options());
      assertEquals(IndexCommand.DEFAULT_OPTIONS, m.options());
    }
    assertTrue(
        Files.isRegularFile(index.resolve(dev.latte.indexer.ResidualCodebookFile.FILE)),
        "no residual codebook in " + index);
    assertTrue(Files.isDirectory(index.resolve("latte-warp")), "no WARP lists in " + index);
    r =
        run(
            "search",
            "--index",
            index.toString(),
            "--query",
            "automatic indexing",
            "--k",
            "3",
            "--method",
            "warp+maxsim");
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("3 hits by warp+maxsim"), r.out());
  }
}
