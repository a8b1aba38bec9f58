package dev.latte.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.latte.core.FileTrees;
import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.core.codec.TokenCodec;
import dev.latte.datasets.BeirDataset;
import dev.latte.datasets.Document;
import dev.latte.encoders.BundledModel;
import dev.latte.encoders.OnnxTokenEncoder;
import dev.latte.indexer.IndexLayout;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.indexer.lists.TokenCompaction;
import dev.latte.searcher.LatteSearcher;
import dev.latte.searcher.firststage.FirstStages;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.util.BytesRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server's rebuild of the WARP stage leaves one copy of the tokens, as {@code ./latte index}
 * does: the codes the new lists hold leave the main index (same bytes on disk as the CLI's rebuild
 * of the same folder, every document's exact MaxSim unchanged), documents written while it compacts
 * keep their codes, and the stage holding the only copy cannot be removed.
 */
class LiveCompactionTest {
  static final String KEY = "compaction-key";
  static final IndexOptions RESIDUAL = new IndexOptions(TokenCodec.RESIDUAL_2, 1);
  static final FirstStageSettings WARP = new FirstStageSettings(List.of("warp"), 1_000_000);
  @TempDir static Path tmp;
  static List<Document> corpus;
  static List<String> queries;
  static OnnxTokenEncoder encoder;
  static IndexRegistry registry;
  static LatteService service;

  @BeforeAll
  static void start() throws Exception {
    Path adi = Path.of(System.getProperty("latte.shared.dir", "../../shared"), "datasets", "adi");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.isDirectory(adi), "no shared datasets at " + adi);
    BeirDataset ds = BeirDataset.open(adi);
    try (var s = ds.corpus()) {
      corpus = s.toList();
    }
    queries = ds.queries().values().stream().limit(5).map(q -> q.text()).toList();
    encoder = OnnxTokenEncoder.load(BundledModel.folder(), 2, 1);
    registry = new IndexRegistry(tmp.resolve("data"), encoder, 2, 1, 200);
    service =
        new LatteService(registry, new LatteService.Options(KEY, false, 1 << 20))
            .start("127.0.0.1", 0);
  }

  @AfterAll
  static void stop() throws Exception {
    if (service != null) service.close();
    if (registry != null) registry.close();
    if (encoder != null) encoder.close();
  }

  @AfterEach
  void noHook() {
    LiveCompaction.afterPlan = () -> {};
  }

  @Test
  void aServerRebuildAfterLiveWritesLeavesOneCopyAsTheCliDoesWithEveryScoreUnchanged()
      throws Exception {
    LiveIndex li = registry.create("one", RESIDUAL, WARP);
    li.writes().add(corpus.subList(0, 40));
    rebuildWarp(li);
    assertEquals(new Layout(40, 0), layout(li), "the first build moved every document's codes");
    li.writes().add(corpus.subList(40, 70));
    assertEquals(new Layout(40, 30), layout(li), "live writes keep their codes in the main index");
    Map<String, Float> before = scores(li);
    assertEquals(70 * queries.size(), before.size());
    long twoCopies = FileTrees.bytes(li.path);
    long storedTokens = storedTokens(li);

    // The CLI's figure: the same committed folder, its WARP stage rebuilt by ./latte index's path.
    Path cli = tmp.resolve("cli-copy");
    copyCommitted(li.path, cli);
    FirstStages.build(
        cli,
        List.of("warp"),
        false,
        n -> IndexProgress.NONE,
        new PrintStream(OutputStream.nullOutputStream()));
    long cliBytes = FileTrees.bytes(cli);

    rebuildWarp(li);
    assertEquals(new Layout(70, 0), layout(li), "the rebuild moved the live writes' codes too");
    assertSameScores(before, scores(li), "exact MaxSim over the codes, wherever they live");
    long oneCopy = FileTrees.bytes(li.path);
    long tokens = encodedTokens(li);
    // Each moved token leaves its 96 bytes of residual-2 codes (384-d) in the lists only.
    assertTrue(
        twoCopies - oneCopy > 0.8 * 96 * storedTokens,
        "two copies " + twoCopies + " B, one copy " + oneCopy + " B, " + storedTokens + " moved");
    String figures =
        String.format(
            java.util.Locale.ROOT,
            "server %.1f B/token, CLI %.1f B/token (two copies %.1f) over %d tokens",
            oneCopy / (double) tokens,
            cliBytes / (double) tokens,
            twoCopies / (double) tokens,
            tokens);
    System.out.println("LiveCompactionTest: " + figures);
    assertTrue(Math.abs(oneCopy - cliBytes) <= 0.05 * cliBytes, figures);
    JsonNode hits =
        TestHttp.ok(
            post(
                "/v1/indexes/one/search",
                "{\"query\": \"" + queries.get(0) + "\", \"method\": \"warp+maxsim\", \"k\": 10}"),
            200);
    assertEquals(10, hits.get("hits").size(), hits.toString());
  }

  @Test
  void documentsWrittenWhileTheServerCompactsKeepTheirCodesUntilTheNextBuild() throws Exception {
    LiveIndex li = registry.create("busy", RESIDUAL, WARP);
    li.writes().add(corpus.subList(0, 40));
    rebuildWarp(li);
    li.writes().add(corpus.subList(40, 60));
    Map<String, Float> before = scores(li);
    // After the plan (d40..d59, the documents written since the first build), before the moves:
    // d40 is replaced (new text, new codes), d41 deleted, and a twin of d40's new version added.
    Document replaced = new Document(corpus.get(40).id(), "", corpus.get(70).text());
    Document twin = new Document("twin", "", corpus.get(70).text());
    AtomicReference<Exception> failed = new AtomicReference<>();
    LiveCompaction.afterPlan =
        () -> {
          try {
            li.writes().add(List.of(replaced)); // one document per batch: the same encoding
            li.writes().add(List.of(twin));
            li.writes().delete(List.of(corpus.get(41).id()));
          } catch (Exception e) {
            failed.set(e);
          }
        };
    rebuildWarp(li);
    LiveCompaction.afterPlan = () -> {};
    assertEquals(null, failed.get());
    // 20 planned moves, d40's and d41's no longer valid: d0..d39 and d42..d59 listed; the new d40
    // and the twin keep their codes in the main index.
    assertEquals(new Layout(58, 2), layout(li));
    Map<String, Float> scores = scores(li);
    boolean changed = false;
    for (String q : queries) {
      String d40 = replaced.id() + "\t" + q;
      assertEquals(
          scores.get("twin\t" + q),
          scores.get(d40),
          1e-5f * Math.max(1, Math.abs(scores.get(d40))),
          "the replacement's own codes: " + q);
      changed |= Math.abs(scores.get(d40) - before.get(d40)) > 1e-4f;
    }
    assertTrue(changed, "the replacement scores as its new text, not as its old version");
    assertFalse(scores.containsKey(corpus.get(41).id() + "\t" + queries.get(0)));

    rebuildWarp(li);
    assertEquals(new Layout(60, 0), layout(li), "the next build moves them");
    assertSameScores(scores, scores(li), "after the next build");
  }

  @Test
  void theWarpStageHoldingTheOnlyCopyOfTheCodesCannotBeRemoved() throws Exception {
    LiveIndex li = registry.create("only", RESIDUAL, WARP);
    li.writes().add(corpus.subList(0, 30));
    rebuildWarp(li);
    assertTrue(TokenCompaction.keepsCodesInLists(commitData(li)));
    JsonNode e =
        TestHttp.error(
            TestHttp.send(
                service.port(), "DELETE", "/v1/indexes/only/first-stages/warp", null, null, KEY),
            409,
            "only_copy");
    String message = e.get("message").asText();
    assertTrue(message.contains("only copy"), message);
    assertTrue(message.contains("POST /v1/indexes/only/first-stages"), message);
    assertTrue(Files.isDirectory(FirstStageIndex.dir(li.path, "warp")), "nothing was deleted");
    assertEquals(30 * queries.size(), scores(li).size(), "every document still scores");
    TestHttp.ok(
        post(
            "/v1/indexes/only/search",
            "{\"query\": \"" + queries.get(0) + "\", \"method\": \"warp+maxsim\"}"),
        200);

    // The same stage over a float32 index (no codes in lists) is removed.
    LiveIndex plain = registry.create("plain", new IndexOptions(TokenCodec.FLOAT32, 1), WARP);
    plain.writes().add(corpus.subList(0, 30));
    rebuildWarp(plain);
    assertFalse(TokenCompaction.keepsCodesInLists(commitData(plain)));
    TestHttp.ok(
        TestHttp.send(
            service.port(), "DELETE", "/v1/indexes/plain/first-stages/warp", null, null, KEY),
        200);
    assertFalse(Files.exists(FirstStageIndex.dir(plain.path, "warp")));
  }

  // ---- helpers

  static java.net.http.HttpResponse<String> post(String path, String body) throws Exception {
    return TestHttp.send(service.port(), "POST", path, body, "application/json", KEY);
  }

  /** (Re)trains the WARP stage now and waits until it (and its compaction) is done. */
  static void rebuildWarp(LiveIndex li) throws Exception {
    li.configureFirstStages(WARP, List.of("warp"));
    li.awaitTraining();
    var st = li.firstStages().stream().filter(s -> s.stage().equals("warp")).findFirst();
    assertTrue(st.isPresent() && st.get().state() == MaintainedStage.State.READY, st.toString());
  }

  /** Live documents whose main-index value keeps only centroid ids, and those storing codes. */
  record Layout(int listed, int stored) {}

  static Layout layout(LiveIndex li) throws Exception {
    IndexSnapshot s = li.acquire();
    int listed = 0, stored = 0;
    try {
      for (LeafReaderContext leaf : s.reader().leaves()) {
        BinaryDocValues v = leaf.reader().getBinaryDocValues(IndexLayout.TOKENS);
        var live = leaf.reader().getLiveDocs();
        for (int d = v.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = v.nextDoc()) {
          if (live != null && !live.get(d)) continue;
          BytesRef b = v.binaryValue();
          if (StoredTokenMatrix.isListed(b.bytes, b.offset, b.length)) listed++;
          else stored++;
        }
      }
    } finally {
      s.release();
    }
    return new Layout(listed, stored);
  }

  /**
   * The same documents with the same scores. Not bit for bit: the Vector API kernel's lane
   * reduction may round differently once compiled (seen: 1 ulp on every document of a query), and
   * the scalar kernel's bit-for-bit equality across layouts is OneCopyLayoutTest's.
   */
  static void assertSameScores(
      Map<String, Float> expected, Map<String, Float> actual, String what) {
    assertEquals(expected.keySet(), actual.keySet(), what);
    for (var e : expected.entrySet())
      assertEquals(
          e.getValue(),
          actual.get(e.getKey()),
          1e-5f * Math.max(1, Math.abs(e.getValue())),
          what + ": " + e.getKey());
  }

  /** Exact MaxSim (over the residual codes) of every document, by "docid\tquery". */
  static Map<String, Float> scores(LiveIndex li) throws Exception {
    Map<String, Float> out = new TreeMap<>();
    IndexSnapshot s = li.acquire();
    try {
      for (String q : queries) {
        LatteSearcher.SearchResponse r = s.searcher.search("maxsim-exact", q, 1000);
        for (LatteSearcher.Hit h : r.hits()) out.put(h.docid() + "\t" + q, h.score());
      }
    } finally {
      s.release();
    }
    return out;
  }

  static long encodedTokens(LiveIndex li) throws Exception {
    IndexSnapshot s = li.acquire();
    try {
      long n = 0;
      for (LeafReaderContext leaf : s.reader().leaves()) {
        var v = leaf.reader().getNumericDocValues(IndexLayout.ENCODED_TOKEN_COUNT);
        var live = leaf.reader().getLiveDocs();
        for (int d = v.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = v.nextDoc())
          if (live == null || live.get(d)) n += v.longValue();
      }
      return n;
    } finally {
      s.release();
    }
  }

  /** Tokens of the live documents that store their codes in the main index. */
  static long storedTokens(LiveIndex li) throws Exception {
    IndexSnapshot s = li.acquire();
    long n = 0;
    try {
      for (LeafReaderContext leaf : s.reader().leaves()) {
        BinaryDocValues v = leaf.reader().getBinaryDocValues(IndexLayout.TOKENS);
        var live = leaf.reader().getLiveDocs();
        for (int d = v.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = v.nextDoc()) {
          BytesRef b = v.binaryValue();
          if ((live == null || live.get(d))
              && !StoredTokenMatrix.isListed(b.bytes, b.offset, b.length))
            n += StoredTokenMatrix.header(b.bytes, b.offset, b.length, 384).tokens();
        }
      }
    } finally {
      s.release();
    }
    return n;
  }

  static Map<String, String> commitData(LiveIndex li) throws Exception {
    li.lock.lock();
    try {
      assertNotNull(li.writer());
      return new LinkedHashMap<>(li.writer().lastCommitData());
    } finally {
      li.lock.unlock();
    }
  }

  /** Copies an index folder as last committed (no write is running), without its locks. */
  static void copyCommitted(Path from, Path to) throws Exception {
    try (var files = Files.walk(from)) {
      for (Path f : files.toList()) {
        Path t = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) Files.createDirectories(t);
        else if (!f.getFileName().toString().equals("write.lock")) Files.copy(f, t);
      }
    }
  }
}
