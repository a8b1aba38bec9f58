package dev.latte.spark;

import static dev.latte.spark.SingleIndexReference.assertPackedShards;
import static dev.latte.spark.SingleIndexReference.deriveWithParameters;
import static dev.latte.spark.SingleIndexReference.same;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.JobState;
import dev.latte.indexer.ShardManifest;
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.indexer.lists.TokenCompaction;
import dev.latte.searcher.Filters;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.LatteSearcher;
import dev.latte.searcher.firststage.FirstStages;
import java.io.BufferedReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.FSDirectory;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark job's sharded index against {@code ./latte index}'s single index over the same
 * documents (a Cranfield subset with bad, empty and duplicate records mixed in), derived with the
 * same trained parameters: same counters, and for every method the same top 10 ids and scores; with
 * one shard task failing mid-shard (retried by Spark) and the job run twice (the second run does
 * nothing).
 */
class ShardedJobTest {
  static final String MODEL = "class:" + ContextHashEncoder.class.getName();
  static final int DOCS = 500;
  static final int SHARDS = 3;
  static final ObjectMapper JSON = new ObjectMapper();
  static final IndexOptions FLOAT32 = new IndexOptions(dev.latte.core.codec.TokenCodec.FLOAT32, 1);

  @TempDir static Path tmp;
  static SparkSession spark;
  static final AtomicInteger failedTasks = new AtomicInteger();
  static Path input;
  static Path sharded;
  static Path single;
  static Path reversed;
  static LatteSparkJob.Summary summary;
  static JobState.Counters singleCounters;
  static List<String> queries = new ArrayList<>();

  @BeforeAll
  static void build() throws Exception {
    Path cranfield =
        Path.of(System.getProperty("latte.shared.dir", "../../shared"), "datasets", "cranfield");
    Assumptions.assumeTrue(Files.isDirectory(cranfield), "no shared datasets at " + cranfield);
    input = tmp.resolve("docs.jsonl");
    List<String> lines = new ArrayList<>();
    try (BufferedReader in = Files.newBufferedReader(cranfield.resolve("corpus.jsonl"))) {
      for (int i = 0; i < DOCS; i++) {
        ObjectNode d = (ObjectNode) JSON.readTree(in.readLine());
        d.putObject("metadata").put("group", "g" + (i % 3)).put("n", i);
        lines.add(d.toString());
        if (i == 10) lines.add("{\"_id\": \"broken\", \"text\": "); // malformed
        if (i == 20) lines.add("{\"title\": \"no id\", \"text\": \"x\"}");
        if (i == 30) lines.add("{\"_id\": \"empty-doc\", \"title\": \"\", \"text\": \"  \"}");
        if (i == 40) lines.add(lines.get(5)); // a duplicate id: the first one is kept
      }
    }
    Files.write(input, lines);
    try (BufferedReader in = Files.newBufferedReader(cranfield.resolve("queries.jsonl"))) {
      for (int i = 0; i < 8; i++) queries.add(JSON.readTree(in.readLine()).get("text").asText());
    }

    spark =
        SparkSession.builder()
            .master("local[2,4]") // 2 cores, up to 4 attempts per task
            .appName("latte-spark-test")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .getOrCreate();
    spark
        .sparkContext()
        .addSparkListener(
            new SparkListener() {
              @Override
              public void onTaskEnd(SparkListenerTaskEnd end) {
                if (!end.taskInfo().successful()) failedTasks.incrementAndGet();
              }
            });
    sharded = tmp.resolve("sharded");
    summary = runJob("--fail-shard-once", "1:40");

    // ./latte index over the same file, then every first stage derived with the job's parameters.
    single = tmp.resolve("single");
    singleCounters = singleIndex(input, single, 2);
    // The same documents in the opposite order, encoded on one thread: other doc ids, same index.
    Path reversedInput = tmp.resolve("reversed.jsonl");
    List<String> backwards = new ArrayList<>(lines);
    java.util.Collections.reverse(backwards);
    Files.write(reversedInput, backwards);
    reversed = tmp.resolve("reversed");
    assertEquals(singleCounters, singleIndex(reversedInput, reversed, 1));
  }

  /**
   * {@code ./latte index} of {@code docs} into {@code out} on {@code threads} encoding threads,
   * then every first stage built with the job's parameters.
   */
  static JobState.Counters singleIndex(Path docs, Path out, int threads) throws Exception {
    JobState.Counters counters = SingleIndexReference.index(docs, out, threads, FLOAT32);
    deriveWithParameters(sharded, out, FirstStages.names());
    return counters;
  }

  static LatteSparkJob.Summary runJob(String... extra) throws Exception {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--input",
                input.toString(),
                "--output",
                sharded.toString(),
                "--model",
                MODEL,
                "--shards",
                Integer.toString(SHARDS),
                "--train-fraction",
                "0.5",
                // Unpooled float32 whatever the default: COIL and SLIM need every row's token
                // (aResidualCodecSharesOneCodebookAcrossShards tests the compact codec).
                "--codec",
                "float32",
                "--pool-factor",
                "1",
                // every stage the single index has: "all" leaves the stock baseline out
                "--first-stage",
                "all,lucene-stock"));
    args.addAll(List.of(extra));
    return LatteSparkJob.run(spark, args.toArray(String[]::new));
  }

  @AfterAll
  static void stop() {
    if (spark != null) spark.stop();
  }

  @Test
  void countsAsTheSingleJob() {
    JobState.Counters c = summary.counters();
    assertEquals(singleCounters, c);
    assertEquals(DOCS + 4, c.read());
    assertEquals(2, c.skippedError());
    assertTrue(c.skippedEmpty() >= 1 && c.skippedDuplicate() >= 1, c.toString());
    assertEquals(DOCS + 4, c.indexed() + c.skipped());
    assertTrue(summary.trainedOn() > DOCS / 4 && summary.trainedOn() < DOCS * 3 / 4);
  }

  @Test
  void aFailedShardTaskIsRetriedAndNoAttemptIsLeft() throws Exception {
    assertTrue(failedTasks.get() >= 1, "the injected failure did not happen");
    assertFalse(Files.exists(sharded.resolve(HadoopOutput.ATTEMPTS)));
    ShardManifest m = ShardManifest.read(sharded);
    assertEquals(SHARDS, m.shards().size());
    assertEquals(summary.counters().indexed(), m.documents());
    for (ShardManifest.Shard s : m.shards()) assertTrue(s.documents() > 0, s.name());
    assertPackedShards(sharded, false); // float32: packed lists, no codes to move
  }

  @Test
  void parquetThroughSparksReaderGivesTheSameIndex() throws Exception {
    // The same records as Parquet (Spark's JSON reader drops the malformed line into
    // _corrupt_record; the others, the one without id included, become rows).
    Path parquet = tmp.resolve("docs.parquet");
    spark
        .read()
        .json(input.toString())
        .filter("_corrupt_record IS NULL")
        .drop("_corrupt_record")
        .coalesce(1)
        .write()
        .parquet(parquet.toString());
    Path out = tmp.resolve("from-parquet");
    LatteSparkJob.Summary p =
        LatteSparkJob.run(
            spark,
            "--input",
            parquet.toString(),
            "--format",
            "parquet",
            "--output",
            out.toString(),
            "--model",
            MODEL,
            "--shards",
            "2",
            "--codec",
            "float32",
            "--pool-factor",
            "1",
            "--first-stage",
            "none");
    JobState.Counters c = singleCounters;
    assertEquals(
        new JobState.Counters(
            c.read() - 1,
            c.indexed(),
            c.replaced(),
            c.skippedEmpty(),
            c.skippedDuplicate(),
            c.skippedError() - 1,
            c.tokens()),
        p.counters());
    ContextHashEncoder encoder = new ContextHashEncoder();
    try (LatteSearcher one = new LatteSearcher(LatteIndex.open(single), encoder);
        LatteSearcher many = new LatteSearcher(LatteIndex.open(out), encoder)) {
      List<String> differ = new ArrayList<>();
      for (String method : List.of("bm25", "maxsim-exact", "hybrid-linear"))
        for (String q : queries)
          same(method, q, one.search(method, q, 20), many.search(method, q, 20), differ);
      assertEquals(List.of(), differ);
    }
  }

  @Test
  void tsvThroughSparksCsvReaderCountsAndRanksAsLatteIndex() throws Exception {
    // The documents as TSV with a header (group becomes metadata), one row of 3 fields among 4,
    // an empty record, a duplicate id and a bare quote (TSV has no quoting).
    Path tsv = tmp.resolve("docs.tsv");
    List<String> rows = new ArrayList<>(List.of("_id\ttitle\ttext\tgroup"));
    try (BufferedReader in = Files.newBufferedReader(input)) {
      int i = 0;
      for (String line = in.readLine(); line != null; line = in.readLine(), i++) {
        com.fasterxml.jackson.databind.JsonNode d;
        try {
          d = JSON.readTree(line);
        } catch (java.io.IOException malformed) {
          continue;
        }
        if (!d.has("_id") || !d.has("text")) continue;
        String text = d.get("text").asText().replaceAll("[\t\n\r]", " ");
        if (i == 7) text = "a \"bare quote " + text;
        rows.add(
            String.join(
                "\t",
                d.get("_id").asText(),
                d.path("title").asText("").replaceAll("[\t\n\r]", " "),
                text,
                "g" + (i % 3)));
        if (i == 50) rows.add("three\tfields only\there");
      }
    }
    Files.write(tsv, rows);
    Path out = tmp.resolve("from-tsv");
    LatteSparkJob.Summary p =
        LatteSparkJob.run(
            spark,
            "--input",
            tsv.toString(),
            "--output",
            out.toString(),
            "--model",
            MODEL,
            "--shards",
            "2",
            "--codec",
            "float32",
            "--pool-factor",
            "1",
            "--first-stage",
            "none");
    Path one = tmp.resolve("tsv-single");
    JobState.Counters c = SingleIndexReference.index(tsv, one, 2, FLOAT32);
    assertEquals(c, p.counters());
    assertEquals(1, c.skippedError(), c.toString());
    assertTrue(c.skippedEmpty() >= 1 && c.skippedDuplicate() >= 1, c.toString());
    ContextHashEncoder encoder = new ContextHashEncoder();
    var filter = Filters.parse("{\"term\": {\"group\": \"g2\"}}");
    try (LatteSearcher a = new LatteSearcher(LatteIndex.open(one), encoder);
        LatteSearcher b = new LatteSearcher(LatteIndex.open(out), encoder)) {
      List<String> differ = new ArrayList<>();
      for (String method : List.of("bm25", "maxsim-exact"))
        for (String q : queries) {
          same(method, q, a.search(method, q, 20), b.search(method, q, 20), differ);
          same(method, q, a.search(method, q, 20, filter), b.search(method, q, 20, filter), differ);
        }
      assertEquals(List.of(), differ);
    }
  }

  @Test
  void aSecondRunOfTheFinishedJobDoesNothing() throws Exception {
    String before = Files.readString(sharded.resolve(ShardManifest.FILE));
    LatteSparkJob.Summary again = runJob();
    assertTrue(again.alreadyDone());
    assertEquals(summary.counters(), again.counters());
    assertEquals(before, Files.readString(sharded.resolve(ShardManifest.FILE)));
  }

  /**
   * An output an older job wrote (layout 1: WARP derived, codes in every shard's main index) is
   * still searched, and this job refuses to take it for its own or overwrite it.
   */
  @Test
  void anOlderLayoutIsReadButNotTakenForThisJobs() throws Exception {
    Path old = tmp.resolve("layout-1");
    try (var files = Files.walk(sharded)) {
      for (Path f : files.toList()) {
        Path to = old.resolve(sharded.relativize(f).toString());
        if (Files.isDirectory(f)) Files.createDirectories(to);
        else Files.copy(f, to);
      }
    }
    ShardManifest m = ShardManifest.read(sharded);
    assertEquals(2, m.layoutVersion());
    ShardManifest v1 =
        new ShardManifest(
            1,
            m.job(),
            m.index(),
            m.shards(),
            m.firstStages(),
            m.trainedOn(),
            m.counters(),
            m.residualCodebook());
    Files.writeString(old.resolve(ShardManifest.FILE), v1.toJson());
    ContextHashEncoder encoder = new ContextHashEncoder();
    try (LatteSearcher a = new LatteSearcher(LatteIndex.open(sharded), encoder);
        LatteSearcher b = new LatteSearcher(LatteIndex.open(old), encoder)) {
      List<String> differ = new ArrayList<>();
      for (String q : queries)
        same("bm25", q, a.search("bm25", q, 20), b.search("bm25", q, 20), differ);
      assertEquals(List.of(), differ);
    }
    Path keep = sharded;
    sharded = old;
    try {
      var e =
          org.junit.jupiter.api.Assertions.assertThrows(
              IllegalArgumentException.class, () -> runJob());
      assertTrue(e.getMessage().contains("layout version 1"), e.getMessage());
    } finally {
      sharded = keep;
    }
    assertEquals(v1.toJson(), Files.readString(old.resolve(ShardManifest.FILE)));
  }

  @Test
  void everyMethodGivesTheSingleIndexTopTen() throws Exception {
    ContextHashEncoder encoder = new ContextHashEncoder();
    try (LatteSearcher one = new LatteSearcher(LatteIndex.open(single), encoder);
        LatteSearcher many = new LatteSearcher(LatteIndex.open(sharded), encoder)) {
      LatteIndex a = one.index();
      LatteIndex b = many.index();
      assertEquals(a.stats().documents(), b.stats().documents());
      assertEquals(a.stats().tokens(), b.stats().tokens());
      List<String> methods = one.methods();
      assertTrue(
          methods.containsAll(
              List.of("bm25", "maxsim-exact", "xtr+maxsim", "coil+maxsim", "warp", "warp+maxsim")),
          methods.toString());
      assertEquals(methods, many.methods());
      var filter = Filters.parse("{\"term\": {\"group\": \"g1\"}}");
      List<String> differ = new ArrayList<>();
      for (String method : methods)
        for (String q : queries) {
          // 20 asked, 10 compared: a tie at rank 10 shows in the ranks after it.
          same(method, q, one.search(method, q, 20), many.search(method, q, 20), differ);
          same(
              method + " filtered",
              q,
              one.search(method, q, 20, filter),
              many.search(method, q, 20, filter),
              differ);
        }
      assertEquals(List.of(), differ);
      // Explanations: the same token matches (rows, tokens, spans) and scores per hit.
      for (String method : List.of("maxsim-exact", "bm25", "xtr+maxsim"))
        for (String q : queries.subList(0, 3)) {
          var x = one.search(method, q, 5, null, true).hits();
          var y = many.search(method, q, 5, null, true).hits();
          for (int i = 0; i < Math.min(x.size(), y.size()); i++)
            if (x.get(i).docid().equals(y.get(i).docid()))
              assertEquals(x.get(i).explain(), y.get(i).explain(), method + " / " + q);
        }
    }
  }

  /**
   * Which documents a first stage hands on at its depth must not depend on doc ids: the fixture's
   * queries meet tied scores across a depth cut (checked here, else the test proves nothing), and
   * the index of the same documents in reverse order ranks and scores alike for every method. With
   * a plain cut, which of the tied documents entered a hybrid's pool followed the order documents
   * reached the index, and a pool-normalised fusion moved every score (hybrid-xtr-idf filtered:
   * 3.3640 vs 3.3525 at rank 1).
   */
  @Test
  void theOrderDocumentsReachTheIndexDecidesNoCut() throws Exception {
    ContextHashEncoder encoder = new ContextHashEncoder();
    int depth = dev.latte.searcher.SearchSettings.DEFAULT.rescoreDepth();
    var filter = Filters.parse("{\"term\": {\"group\": \"g1\"}}");
    try (LatteSearcher one = new LatteSearcher(LatteIndex.open(single), encoder);
        LatteSearcher back = new LatteSearcher(LatteIndex.open(reversed), encoder)) {
      int moved = 0;
      for (int d = 0; d < one.index().reader().maxDoc(); d++)
        if (!one.index().id(d).equals(back.index().id(d))) moved++;
      assertTrue(moved > 0, "the reversed index has its documents in the same order");
      int tiesAtTheCut = 0;
      for (String method : List.of("bm25", "xtr"))
        for (String q : queries)
          for (var f : java.util.Arrays.asList(null, filter)) {
            var hits = one.search(method, q, depth + 1, f).hits();
            if (hits.size() > depth && hits.get(depth - 1).score() == hits.get(depth).score())
              tiesAtTheCut++;
          }
      assertTrue(tiesAtTheCut > 0, "no query of the fixture has a tie across a depth cut");
      List<String> differ = new ArrayList<>();
      for (String method : one.methods())
        for (String q : queries) {
          same(method, q, one.search(method, q, 20), back.search(method, q, 20), differ);
          same(
              method + " filtered",
              q,
              one.search(method, q, 20, filter),
              back.search(method, q, 20, filter),
              differ);
        }
      assertEquals(List.of(), differ);
    }
  }

  @Test
  void aResidualCodecSharesOneCodebookAcrossShards() throws Exception {
    Path out = tmp.resolve("residual");
    int failedBefore = failedTasks.get();
    LatteSparkJob.Summary r =
        LatteSparkJob.run(
            spark,
            "--input",
            input.toString(),
            "--output",
            out.toString(),
            "--model",
            MODEL,
            "--shards",
            "3",
            "--codec",
            "residual-2",
            "--pool-factor",
            "2",
            "--train-fraction",
            // another sample than the float32 job's (0.5): equality must not depend on it
            "0.3",
            "--first-stage",
            "xtr,warp",
            // a task killed mid-shard: Spark's retry packs and compacts the shard from scratch
            "--fail-shard-once",
            "2:30");
    assertEquals(singleCounters, r.counters());
    // Spark's listener bus reports task ends asynchronously.
    for (int i = 0; i < 100 && failedTasks.get() == failedBefore; i++) Thread.sleep(100);
    assertTrue(failedTasks.get() > failedBefore, "the injected failure did not happen");
    assertFalse(Files.exists(out.resolve(HadoopOutput.ATTEMPTS)));
    assertPackedShards(out, true);
    ShardManifest m = ShardManifest.read(out);
    assertEquals("residual-2", m.index().options().codec().cliName());
    assertEquals(2, m.index().options().poolFactor());
    // One codebook, once: beside the manifest (its SHA-256 listed); every shard holds a reference
    // to it (no copy), which reads as the same codebook.
    byte[] book = Files.readAllBytes(out.resolve(dev.latte.indexer.ResidualCodebookFile.FILE));
    assertEquals(LatteSparkJob.sha256(book), m.residualCodebook());
    String shared = dev.latte.indexer.ResidualCodebookFile.read(out).fingerprint();
    for (ShardManifest.Shard s : m.shards()) {
      Path shard = out.resolve(s.name());
      assertFalse(Files.exists(shard.resolve(dev.latte.indexer.ResidualCodebookFile.FILE)));
      assertTrue(
          Files.size(shard.resolve(dev.latte.indexer.ResidualCodebookFile.REFERENCE_FILE)) < 200);
      assertEquals(shared, dev.latte.indexer.ResidualCodebookFile.read(shard).fingerprint());
    }
    // A shard taken out of its folder says where its codebook should be.
    Path alone = tmp.resolve("alone").resolve("shard");
    Files.createDirectories(alone);
    try (var files = Files.list(out.resolve(m.shards().getFirst().name()))) {
      for (Path f : files.filter(Files::isRegularFile).toList())
        Files.copy(f, alone.resolve(f.getFileName()));
    }
    var lost =
        org.junit.jupiter.api.Assertions.assertThrows(
            dev.latte.indexer.IndexMismatchException.class,
            () -> dev.latte.indexer.ResidualCodebookFile.read(alone));
    assertTrue(lost.getMessage().contains("must stay in its sharded folder"), lost.getMessage());

    // ./latte index over the same file coding with that codebook, first stages derived with the
    // job's parameters.
    Path one = tmp.resolve("residual-single");
    Files.createDirectories(one);
    Files.write(one.resolve(dev.latte.indexer.ResidualCodebookFile.FILE), book);
    SingleIndexReference.index(
        input, one, 2, new IndexOptions(dev.latte.core.codec.TokenCodec.RESIDUAL_2, 2));
    // XTR with the job's centroids; WARP exactly as ./latte index --first-stage warp builds it on a
    // residual index (its codebook is the index's own: the job's), packed, then compacted.
    deriveWithParameters(out, one, List.of("xtr"));
    FirstStages.build(one, List.of("warp"), false, name -> IndexProgress.NONE, System.out);
    try (var dir = FSDirectory.open(one);
        DirectoryReader main = DirectoryReader.open(dir)) {
      assertTrue(TokenCompaction.keepsCodesInLists(main.getIndexCommit().getUserData()));
    }
    ContextHashEncoder encoder = new ContextHashEncoder();
    try (LatteSearcher a = new LatteSearcher(LatteIndex.open(one), encoder);
        LatteSearcher b = new LatteSearcher(LatteIndex.open(out), encoder)) {
      assertEquals(a.index().stats().documents(), b.index().stats().documents());
      assertEquals(a.index().stats().tokenBytes(), b.index().stats().tokenBytes());
      // Bytes on disk: every shard's commit, and every shard's first-stage folders.
      long shardBytes = 0, warpBytes = 0;
      for (ShardManifest.Shard s : m.shards()) {
        try (LatteIndex shard = LatteIndex.open(out.resolve(s.name()))) {
          shardBytes += shard.stats().indexBytes();
        }
        warpBytes +=
            dev.latte.core.FileTrees.bytes(FirstStageIndex.dir(out.resolve(s.name()), "warp"));
      }
      assertEquals(shardBytes, b.index().stats().indexBytes());
      assertTrue(
          FirstStages.bytes(out, "warp") >= warpBytes && warpBytes > 0,
          FirstStages.bytes(out, "warp") + " vs " + warpBytes);
      // One copy on both: the shards' main indexes hold no more than the single one's (centroid
      // ids and headers; the codes are in the lists), where a second copy would be ~4x as much.
      long singleMain = a.index().stats().indexBytes();
      long singleWarp = FirstStages.bytes(one, "warp");
      System.out.printf(
          "residual-2 one copy: single main %d + warp %d B, shards main %d + warp %d B%n",
          singleMain, singleWarp, shardBytes, warpBytes);
      assertTrue(shardBytes < singleMain * 1.5, shardBytes + " vs " + singleMain);
      List<String> differ = new ArrayList<>();
      List<String> methods =
          List.of("bm25", "maxsim-exact", "hybrid-linear", "xtr+maxsim", "warp", "warp+maxsim");
      var filter = Filters.parse("{\"term\": {\"group\": \"g1\"}}");
      for (String method : methods)
        for (String q : queries) {
          same(method, q, a.search(method, q, 20), b.search(method, q, 20), differ);
          same(
              method + " filtered",
              q,
              a.search(method, q, 20, filter),
              b.search(method, q, 20, filter),
              differ);
        }
      assertEquals(List.of(), differ);
    }
  }
}
