package dev.latte.searcher.firststage.warp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.core.codec.TokenCodec;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.datasets.Document;
import dev.latte.indexer.IndexLayout;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.LatteIndexWriter;
import dev.latte.indexer.ModelIdentity;
import dev.latte.indexer.TokenAnnotations;
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.indexer.lists.DocumentTokens;
import dev.latte.indexer.lists.TokenCompaction;
import dev.latte.searcher.ExactMaxSimMethod;
import dev.latte.searcher.Explainer;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.MethodResult;
import dev.latte.searcher.QueryContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one-copy layout against the two-copy one it replaces: a residual index is copied, one copy
 * keeps its codes in the main index, the other moves them into its WARP lists ({@link
 * TokenCompaction}); both then take the same live writes, deletes, replacements, metadata changes
 * and rebuilds, and every reader must see bit-identical matrices and return bit-identical scores.
 */
class OneCopyLayoutTest {
  static final int DIM = 21;
  static final ModelIdentity MODEL = new ModelIdentity("fake", "fake-fp", DIM, false, null);
  static final IndexOptions RESIDUAL = new IndexOptions(TokenCodec.RESIDUAL_2, 1);

  @TempDir Path tmp;
  final Random rnd = new Random(5);
  final float[][] words = new float[30][];

  float[] near(float[] centre, float noise) {
    float[] v = new float[DIM];
    for (int d = 0; d < DIM; d++) v[d] = centre[d] + noise * (float) rnd.nextGaussian();
    TokenMatrix.normalizeRows(v, 1, DIM);
    return v;
  }

  TokenMatrix doc() {
    int n = 1 + rnd.nextInt(25);
    float[] data = new float[n * DIM];
    for (int j = 0; j < n; j++)
      System.arraycopy(
          near(words[(int) (words.length * Math.pow(rnd.nextDouble(), 2))], 0.25f),
          0,
          data,
          j * DIM,
          DIM);
    return new TokenMatrix(data, n, DIM);
  }

  void add(LatteIndexWriter w, String id, TokenMatrix m) throws Exception {
    int[] none = new int[m.rows()];
    Arrays.fill(none, -1);
    String[] t = new String[m.rows()];
    Arrays.fill(t, "w");
    w.add(new Document(id, "", "doc " + id), m, new TokenAnnotations(t, none, none.clone()));
  }

  QueryContext query() {
    int rows = 1 + rnd.nextInt(7);
    float[] data = new float[rows * DIM];
    for (int i = 0; i < rows; i++)
      System.arraycopy(near(words[rnd.nextInt(words.length)], 0.3f), 0, data, i * DIM, DIM);
    return QueryContext.ofVectors("q", new TokenMatrix(data, rows, DIM), VectorKernel.get());
  }

  static void buildWarp(Path path) throws Exception {
    try (LatteIndex index = LatteIndex.open(path)) {
      new WarpBuilder().build(index.path(), index.reader(), index.metadata(), IndexProgress.NONE);
    }
  }

  /** Every live document's value by id: raw (as stored) or through {@link DocumentTokens}. */
  static TreeMap<String, byte[]> values(Path path, boolean resolved) throws Exception {
    TreeMap<String, byte[]> out = new TreeMap<>();
    try (LatteIndex index = LatteIndex.open(path)) {
      for (LeafReaderContext leaf : index.reader().leaves()) {
        BinaryDocValues v =
            resolved
                ? DocumentTokens.of(leaf.reader())
                : leaf.reader().getBinaryDocValues(IndexLayout.TOKENS);
        Bits live = leaf.reader().getLiveDocs();
        var stored = leaf.reader().storedFields();
        for (int d = v.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = v.nextDoc()) {
          if (live != null && !live.get(d)) continue;
          BytesRef b = v.binaryValue();
          out.put(
              stored.document(d).get(IndexLayout.ID),
              Arrays.copyOfRange(b.bytes, b.offset, b.offset + b.length));
        }
      }
    }
    return out;
  }

  /**
   * What every reader returns for a few queries: exact, warp+maxsim, explain of the top hit, as
   * "id=score". Scores are compared to 1e-6 relative, not bit for bit: the inputs are bit-identical
   * (asserted on the matrices), but the Vector API kernel's lane reduction rounds differently once
   * C2 compiles it, so the same bytes can score 1-2 ulp apart within one JVM run.
   */
  void assertSameAnswers(Path two, Path one, long seed) throws Exception {
    assertEquals(scalarScores(two, seed), scalarScores(one, seed));
    List<String> want = answers(two, seed), got = answers(one, seed);
    assertEquals(want.size(), got.size());
    for (int i = 0; i < want.size(); i++) {
      String[] w = want.get(i).split("="), g = got.get(i).split("=");
      assertEquals(w[0], g[0], "rank " + i);
      float a = Float.parseFloat(w[1]), b = Float.parseFloat(g[1]);
      assertEquals(a, b, 1e-6f * Math.max(1f, Math.abs(a)), want.get(i));
    }
  }

  /** Exact MaxSim of every live document with the scalar kernel: bit for bit. */
  List<String> scalarScores(Path path, long seed) throws Exception {
    rnd.setSeed(seed);
    List<String> out = new ArrayList<>();
    VectorKernel scalar = VectorKernel.scalar();
    try (LatteIndex index = LatteIndex.open(path)) {
      for (int i = 0; i < 3; i++) {
        QueryContext q = query();
        QueryContext sq = QueryContext.ofVectors("q", q.encoded().matrix(), scalar);
        var scorer = new dev.latte.searcher.MaxSimScorer(scalar, DIM);
        for (var d : scorer.scoreAll(index, scorer.prepare(sq), 1000))
          out.add(index.id(d.doc()) + "=" + Float.floatToIntBits(d.score()));
      }
    }
    return out;
  }

  List<String> answers(Path path, long seed) throws Exception {
    rnd.setSeed(seed);
    List<String> out = new ArrayList<>();
    try (LatteIndex index = LatteIndex.open(path)) {
      for (int i = 0; i < 6; i++) {
        QueryContext q = query();
        MethodResult exact = new ExactMaxSimMethod().search(index, q, 10);
        MethodResult warp =
            new WarpMethod(new WarpSettings(4, 100_000, 30), true).search(index, q, 10);
        for (MethodResult r : List.of(exact, warp))
          for (var d : r.docs()) out.add(index.id(d.doc()) + "=" + d.score());
        var top = exact.docs().get(0);
        out.add("explain=" + Explainer.explain(index, q, top.doc()).score());
      }
    }
    return out;
  }

  /** Bytes of the main index's own files (not its first stages' folders). */
  static long mainIndexBytes(Path index) throws Exception {
    long n = 0;
    try (var s = Files.list(index)) {
      for (Path p : s.toList()) if (Files.isRegularFile(p)) n += Files.size(p);
    }
    return n;
  }

  static void copy(Path from, Path to) throws Exception {
    try (var s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) Files.createDirectories(t);
        else Files.copy(p, t);
      }
    }
  }

  static void assertSameValues(TreeMap<String, byte[]> want, TreeMap<String, byte[]> got) {
    assertEquals(want.keySet(), got.keySet());
    for (String id : want.keySet()) assertArrayEquals(want.get(id), got.get(id), id);
  }

  @Test
  void everyReaderSeesTheSameTokensWithOneCopyAsWithTwo() throws Exception {
    for (int w = 0; w < words.length; w++) words[w] = near(new float[DIM], 1f);
    Path two = tmp.resolve("two");
    Path one = tmp.resolve("one");
    try (LatteIndexWriter w =
        LatteIndexWriter.openForEncoded(two, MODEL, "s", "seeded", RESIDUAL)) {
      for (int i = 0; i < 120; i++) add(w, "d" + i, doc());
      w.commit();
    }
    buildWarp(two);
    copy(two, one);
    long before =
        Files.size(one.resolve(FirstStageIndex.PREFIX + "warp").resolve("latte_warp_refs.bin"));
    assertTrue(before > 0);

    long mainBefore = mainIndexBytes(one);
    TokenCompaction.Result r = TokenCompaction.moveCodesToLists(one);
    assertEquals(new TokenCompaction.Result(120, 0), r);
    // The codes' bytes leave the disk (the segment is rewritten, not only updated beside).
    long codes = 0;
    for (byte[] v : values(two, false).values())
      codes += v.length - 8 - 2 * ((v.length - 8) / (2 + TokenCodec.RESIDUAL_2.residualBytes(DIM)));
    long mainAfter = mainIndexBytes(one);
    assertTrue(
        mainAfter < mainBefore - codes * 9 / 10,
        mainBefore + " -> " + mainAfter + ", codes " + codes);
    TreeMap<String, byte[]> raw = values(one, false);
    for (byte[] v : raw.values())
      assertTrue(StoredTokenMatrix.isListed(v, 0, v.length), "codeless");
    assertSameValues(values(two, false), values(one, true));
    assertSameAnswers(two, one, 1);
    assertEquals(
        new TokenCompaction.Result(0, 0), TokenCompaction.moveCodesToLists(one), "idempotent");

    // Live writes after the build: new and replaced documents stage their codes in the main
    // index; deletes; a metadata change rewrites a listed document with its codes resolved.
    for (Path p : List.of(two, one)) {
      rnd.setSeed(77);
      try (LatteIndexWriter w =
          LatteIndexWriter.openForEncoded(p, MODEL, "s", "seeded", RESIDUAL)) {
        for (int i = 120; i < 140; i++) add(w, "d" + i, doc());
        for (String gone : List.of("d3", "d40", "d125")) w.delete(gone);
        add(w, "d7", doc());
        w.commit();
        try (var reader = w.openNrtReader()) {
          assertTrue(
              w.replaceMetadata(
                  reader,
                  "d11",
                  old ->
                      new com.fasterxml.jackson.databind.ObjectMapper()
                          .createObjectNode()
                          .put("k", 1)));
        }
        w.commit();
      }
    }
    assertFalse(StoredTokenMatrix.isListed(values(one, false).get("d11"), 0, 8), "resolved back");
    assertTrue(StoredTokenMatrix.isListed(values(one, false).get("d12"), 0, 8));
    assertSameValues(values(two, false), values(one, true));
    // WARP is stale now; exact MaxSim and explain read every document through DocumentTokens.
    for (Path p : List.of(two, one)) buildWarp(p);
    assertSameAnswers(two, one, 2);

    // The rebuild read the listed documents from the old lists; move the rest.
    r = TokenCompaction.moveCodesToLists(one);
    assertEquals(new TokenCompaction.Result(21, 0), r, "19 new, d7 replaced, d11 rewritten");
    for (byte[] v : values(one, false).values())
      assertTrue(StoredTokenMatrix.isListed(v, 0, v.length));
    assertSameValues(values(two, false), values(one, true));
    assertSameAnswers(two, one, 3);
  }

  /**
   * kill -9 at random points of rebuild-then-compact rounds (the build aside, the two renames of
   * the folder swap, the compaction's commit): every document still reads its own codes, from the
   * main index or from the lists, before and after the interrupted swap is put right.
   */
  @Test
  void aKillDuringABuildNeverLosesCodes() throws Exception {
    for (int w = 0; w < words.length; w++) words[w] = near(new float[DIM], 1f);
    Path one = tmp.resolve("killed");
    try (LatteIndexWriter w =
        LatteIndexWriter.openForEncoded(one, MODEL, "s", "seeded", RESIDUAL)) {
      for (int i = 0; i < 400; i++) add(w, "d" + i, doc());
      w.commit();
    }
    buildWarp(one);
    TreeMap<String, byte[]> want = values(one, true);
    Random delays = new Random(3);
    int killed = 0;
    for (int run = 0; run < 6; run++) {
      Process p =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-cp",
                  System.getProperty("java.class.path"),
                  OneCopyKillChild.class.getName(),
                  one.toString(),
                  run == 5 ? "1" : "50")
              .redirectErrorStream(true)
              .start();
      var out = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()));
      int starts = 0, killAt = 1 + delays.nextInt(3);
      String line;
      StringBuilder log = new StringBuilder();
      while ((line = out.readLine()) != null) {
        log.append(line).append('\n');
        if (line.equals("start") && ++starts == killAt && run < 5) {
          Thread.sleep(delays.nextInt(600));
          p.destroyForcibly(); // SIGKILL: no shutdown hook, no rollback
          killed++;
          break;
        }
      }
      assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS));
      if (run == 5) assertEquals(0, p.exitValue(), log.toString());
      // Readable as left, then after the next build's clean-up.
      assertSameValues(want, values(one, true));
      FirstStageIndex.restoreInterrupted(FirstStageIndex.dir(one, WarpBuilder.NAME));
      dev.latte.indexer.firststage.LiveFirstStage.deleteUnfinished(one);
      assertSameValues(want, values(one, true));
    }
    assertEquals(5, killed);
    for (byte[] v : values(one, false).values())
      assertTrue(StoredTokenMatrix.isListed(v, 0, v.length));
  }
}
