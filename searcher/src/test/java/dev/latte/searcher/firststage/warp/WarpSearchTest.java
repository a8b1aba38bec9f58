package dev.latte.searcher.firststage.warp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.ResidualCodebook;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.datasets.Document;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.LatteIndexWriter;
import dev.latte.indexer.ModelIdentity;
import dev.latte.indexer.TokenAnnotations;
import dev.latte.indexer.firststage.LiveFirstStage;
import dev.latte.searcher.Candidates;
import dev.latte.searcher.ExactMaxSimMethod;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.MaxSimScorer;
import dev.latte.searcher.MethodResult;
import dev.latte.searcher.QueryContext;
import dev.latte.searcher.ScoredDoc;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WARP against brute force on clustered synthetic token vectors (dimensions that are not a multiple
 * of 8, lists of very different sizes): with every list probed its scores are exactly MaxSim over
 * the decoded residual vectors; with few probes each score is the definition (per query token the
 * best decoded similarity among probed, unskipped lists, else the imputed value) recomputed here
 * from the raw vectors and the codebook alone; live writes and deletes are searched like a rebuild;
 * and {@code warp+maxsim} returns exact MaxSim scores of the main index.
 */
class WarpSearchTest {
  static final int DIM = 21;
  static final int WORDS = 30;
  static final ModelIdentity MODEL = new ModelIdentity("fake", "fake-fp", DIM, false, null);

  @TempDir Path tmp;
  final Random rnd = new Random(11);
  final float[][] words = new float[WORDS][];
  final Map<String, TokenMatrix> live = new HashMap<>();

  /** Every document version the lists hold tokens of: the build's, then those written live. */
  final Set<TokenMatrix> stored =
      java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());

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
      // Skewed word use: some lists are long, some nearly empty.
      System.arraycopy(
          near(words[(int) (WORDS * Math.pow(rnd.nextDouble(), 2))], 0.25f), 0, data, j * DIM, DIM);
    return new TokenMatrix(data, n, DIM);
  }

  void add(LatteIndexWriter w, String id) throws Exception {
    TokenMatrix m = doc();
    int[] none = new int[m.rows()];
    Arrays.fill(none, -1);
    String[] t = new String[m.rows()];
    Arrays.fill(t, "w");
    w.add(new Document(id, "", "doc " + id), m, new TokenAnnotations(t, none, none.clone()));
    live.put(id, m);
  }

  QueryContext query() {
    int rows = 1 + rnd.nextInt(7);
    float[] data = new float[rows * DIM];
    for (int i = 0; i < rows; i++)
      System.arraycopy(near(words[rnd.nextInt(WORDS)], 0.3f), 0, data, i * DIM, DIM);
    return QueryContext.ofVectors("q", new TokenMatrix(data, rows, DIM), VectorKernel.get());
  }

  Path buildIndex(int docs, WarpBuilder.Params params) throws Exception {
    return buildIndex(docs, params, IndexOptions.DEFAULT);
  }

  Path buildIndex(int docs, WarpBuilder.Params params, IndexOptions options) throws Exception {
    return buildIndex(docs, params, options, false);
  }

  /**
   * With {@code unscaled} (a residual {@code options}), the main index codes its tokens with a
   * codebook without per-token scales (version 1, as every residual index written before scales),
   * and the WARP lists, which reuse the main index's codebook, hold codes without scale bytes.
   */
  Path buildIndex(int docs, WarpBuilder.Params params, IndexOptions options, boolean unscaled)
      throws Exception {
    for (int w = 0; w < WORDS; w++) words[w] = near(new float[DIM], 1f);
    ResidualCodebook book = null;
    if (unscaled) {
      int n = 600;
      float[] sample = new float[n * DIM];
      for (int t = 0; t < n; t++)
        System.arraycopy(near(words[t % WORDS], 0.25f), 0, sample, t * DIM, DIM);
      float[] centroids = new float[WORDS * DIM];
      for (int w = 0; w < WORDS; w++) System.arraycopy(words[w], 0, centroids, w * DIM, DIM);
      book =
          dev.latte.indexer.ResidualTraining.fit(
                  options.codec().residualBits(), centroids, DIM, sample, n)
              .withoutScales();
    }
    Path path = tmp.resolve("main");
    try (LatteIndexWriter w =
        LatteIndexWriter.openForEncoded(path, MODEL, "synthetic", "seeded", options, book)) {
      for (int i = 0; i < docs; i++) add(w, "d" + i);
      w.commit();
    }
    try (LatteIndex index = LatteIndex.open(path)) {
      new WarpBuilder(params)
          .build(index.path(), index.reader(), index.metadata(), IndexProgress.NONE);
    }
    stored.addAll(live.values());
    return path;
  }

  /** A document's tokens as the lists hold them: centroid and decoded vector c + r. */
  record Coded(int[] centroid, float[] decoded) {}

  /** Lists of ordinals only: every token scores as its centroid. */
  boolean ordinalsOnly;

  Coded code(ResidualCodebook book, TokenMatrix m) {
    Coded c = codeWithResidual(book, m);
    if (ordinalsOnly)
      for (int t = 0; t < c.centroid().length; t++)
        System.arraycopy(book.centroids(), c.centroid()[t] * DIM, c.decoded(), t * DIM, DIM);
    return c;
  }

  static Coded codeWithResidual(ResidualCodebook book, TokenMatrix m) {
    CodebookCoder coder = new CodebookCoder(book, VectorKernel.scalar());
    int n = m.rows();
    int[] ids = new int[n];
    byte[] codes = new byte[n * coder.stride()];
    coder.encode(m.data(), n, ids, codes);
    float[] out = new float[n * DIM];
    for (int t = 0; t < n; t++) book.decodeToken(ids[t], codes, t * coder.stride(), out, t * DIM);
    return new Coded(ids, out);
  }

  static float dot(float[] a, int ao, float[] b, int bo) {
    float s = 0;
    for (int d = 0; d < DIM; d++) s += a[ao + d] * b[bo + d];
    return s;
  }

  /** WARP's score of every live document, recomputed from its definition. */
  Map<String, Float> bruteForce(ResidualCodebook book, TokenMatrix q, WarpSettings s) {
    int k = book.centroidCount(), nq = q.rows();
    Map<String, Coded> coded = new HashMap<>();
    for (var e : live.entrySet()) coded.put(e.getKey(), code(book, e.getValue()));
    // List sizes and bounds count every version the lists hold, deleted ones included.
    int[] size = new int[k];
    float[] maxNorm = new float[k];
    for (TokenMatrix m : stored) {
      Coded c = code(book, m);
      for (int id : c.centroid()) size[id]++;
      for (int t = 0; t < c.centroid().length; t++) {
        double n = 0;
        for (int d = 0; d < DIM; d++) {
          double r = c.decoded()[t * DIM + d] - book.centroids()[c.centroid()[t] * DIM + d];
          n += r * r;
        }
        maxNorm[c.centroid()[t]] = Math.max(maxNorm[c.centroid()[t]], (float) Math.sqrt(n));
      }
    }
    int p = Math.min(s.probes(), k);
    float[] impute = new float[nq];
    List<Set<Integer>> probed = new ArrayList<>();
    for (int i = 0; i < nq; i++) {
      float[] cs = new float[k];
      Integer[] order = new Integer[k];
      for (int c = 0; c < k; c++) {
        cs[c] = dot(q.data(), i * DIM, book.centroids(), c * DIM);
        order[c] = c;
      }
      Arrays.sort(order, (a, b) -> Float.compare(cs[b], cs[a]));
      float m = Float.NaN;
      long walked = 0;
      for (int j = 0; j < p && Float.isNaN(m); j++) {
        walked += size[order[j]];
        if (walked >= s.imputeTokens()) m = cs[order[j]];
      }
      if (Float.isNaN(m)) m = p < k ? cs[order[p]] : Float.NEGATIVE_INFINITY;
      impute[i] = m;
      Set<Integer> use = new HashSet<>();
      for (int j = 0; j < p; j++) {
        // q·c + max|r|, times the largest decodable scale (the smallest, for a negative bound).
        float x = cs[order[j]] + maxNorm[order[j]];
        float bound = !book.scaled() ? x : x * (x >= 0 ? book.scale(255) : book.scaleLow());
        if (bound > m) use.add(order[j]);
      }
      probed.add(use);
    }
    Map<String, Float> out = new HashMap<>();
    for (var e : coded.entrySet()) {
      Coded c = e.getValue();
      float total = 0;
      boolean retrieved = false;
      for (int i = 0; i < nq; i++) {
        float best = Float.NEGATIVE_INFINITY;
        for (int t = 0; t < c.centroid().length; t++)
          if (probed.get(i).contains(c.centroid()[t]))
            best = Math.max(best, dot(q.data(), i * DIM, c.decoded(), t * DIM));
        if (best > impute[i]) {
          total += best;
          retrieved = true;
        } else total += impute[i];
      }
      if (retrieved) out.put(e.getKey(), total);
    }
    return out;
  }

  void assertMatchesDefinition(Path path, WarpSettings s, int queries) throws Exception {
    ResidualCodebook book = WarpBuilder.readCodebook(path);
    try (LatteIndex index = LatteIndex.open(path)) {
      WarpIndex w = index.firstStage(WarpBuilder.NAME, WarpIndex::load);
      for (int qi = 0; qi < queries; qi++) {
        QueryContext q = query();
        Map<String, Float> expected = bruteForce(book, q.encoded().matrix(), s);
        WarpSearch.Result r =
            WarpSearch.search(w, q.encoded().matrix(), VectorKernel.get(), s, null);
        Candidates c = r.ranked();
        assertEquals(Math.min(s.depth(), expected.size()), c.size(), "candidates");
        float prev = Float.POSITIVE_INFINITY;
        for (int j = 0; j < c.size(); j++) {
          String id = index.id(c.docs()[j]);
          assertTrue(expected.containsKey(id), id + " is not a live, retrieved document");
          assertEquals(expected.get(id), c.scores()[j], 1e-4f, "score of " + id);
          assertTrue(c.scores()[j] <= prev, "best first");
          prev = c.scores()[j];
        }
        // The depth cut keeps the best: nothing left out scores above the last one kept.
        if (c.size() > 0 && c.size() < expected.size()) {
          float last = c.scores()[c.size() - 1];
          Set<Integer> kept = new HashSet<>();
          for (int d : c.docs()) kept.add(d);
          long better = expected.values().stream().filter(v -> v > last + 1e-4f).count();
          assertTrue(better <= c.size(), "the top " + s.depth() + " are the best");
        }
        for (String step : List.of("prepare", "select", "decode", "score", "reduce", "sum"))
          assertTrue(r.stepsMillis().get(step) >= 0, step + " is timed");
      }
    }
  }

  @Test
  void everyListProbedIsExactMaxSimOverTheDecodedCodes() throws Exception {
    Path path = buildIndex(150, new WarpBuilder.Params(2, 16, 32, 5, 3));
    assertMatchesDefinition(path, new WarpSettings(16, Integer.MAX_VALUE, 1000), 12);
    // And equal to MaxSim computed directly (no imputation anywhere).
    ResidualCodebook book = WarpBuilder.readCodebook(path);
    assertTrue(book.scaled(), "a new WARP stage codes with per-token scales");
    try (LatteIndex index = LatteIndex.open(path)) {
      QueryContext q = query();
      MethodResult r =
          new WarpMethod(new WarpSettings(16, Integer.MAX_VALUE, 1000), false)
              .search(index, q, 1000);
      assertEquals(live.size(), r.docs().size());
      for (ScoredDoc d : r.docs()) {
        Coded c = code(book, live.get(index.id(d.doc())));
        TokenMatrix x = new TokenMatrix(c.decoded(), c.centroid().length, DIM);
        assertEquals(VectorKernel.scalar().maxSim(q.encoded().matrix(), x), d.score(), 1e-4f);
      }
    }
  }

  /**
   * An index written before per-token scales (its codebook version 1, its lists without scale
   * bytes) opens and scores as it did: every list probed is exact MaxSim over c + r, and few probes
   * follow the definition with the plain bound q·c + max|r|.
   */
  @Test
  void anIndexCodedBeforeScalesScoresAsItDid() throws Exception {
    Path path =
        buildIndex(
            120,
            new WarpBuilder.Params(2, 16, 32, 5, 3),
            new IndexOptions(dev.latte.core.codec.TokenCodec.RESIDUAL_2, 1),
            true);
    ResidualCodebook book = WarpBuilder.readCodebook(path);
    assertTrue(!book.scaled(), "the main index's version-1 codebook");
    assertEquals(WORDS, book.centroidCount());
    assertMatchesDefinition(path, new WarpSettings(WORDS, Integer.MAX_VALUE, 1000), 6);
    assertMatchesDefinition(path, new WarpSettings(3, 20, 1000), 6);
    try (LatteIndex index = LatteIndex.open(path)) {
      QueryContext q = query();
      MethodResult r =
          new WarpMethod(new WarpSettings(WORDS, Integer.MAX_VALUE, 1000), false)
              .search(index, q, 1000);
      assertEquals(live.size(), r.docs().size());
      for (ScoredDoc d : r.docs()) {
        TokenMatrix m = live.get(index.id(d.doc()));
        // c + r decoded by hand, no scale anywhere.
        Coded c = code(book, m);
        float[] plain = new float[c.decoded().length];
        byte[] codes = new byte[book.codeStride()];
        for (int t = 0; t < m.rows(); t++) {
          book.encodeResidual(m.data(), t * DIM, c.centroid()[t], codes, 0);
          for (int dd = 0; dd < DIM; dd++)
            plain[t * DIM + dd] =
                book.centroid(c.centroid()[t], dd) + book.weight(dd, book.code(codes, 0, dd));
        }
        TokenMatrix x = new TokenMatrix(plain, m.rows(), DIM);
        assertEquals(VectorKernel.scalar().maxSim(q.encoded().matrix(), x), d.score(), 1e-4f);
      }
      before = new ExactMaxSimMethod().search(index, q, 50);
      query = q;
    }
    // One copy: its codes move into the (scale-less) lists byte for byte and rescore the same.
    assertEquals(
        new dev.latte.indexer.lists.TokenCompaction.Result(live.size(), 0),
        dev.latte.indexer.lists.TokenCompaction.moveCodesToLists(path));
    try (LatteIndex index = LatteIndex.open(path)) {
      MethodResult after = new ExactMaxSimMethod().search(index, query, 50);
      assertEquals(before.docs(), after.docs());
    }
  }

  private MethodResult before;
  private QueryContext query;

  @Test
  void fewProbesFollowTheDefinitionWithImputationAndTheBound() throws Exception {
    Path path = buildIndex(200, new WarpBuilder.Params(1, 32, 32, 5, 4));
    for (WarpSettings s :
        List.of(
            new WarpSettings(1, 1, 10),
            new WarpSettings(3, 40, 25),
            new WarpSettings(4, 100_000, 1000),
            new WarpSettings(8, 60, 7))) assertMatchesDefinition(path, s, 8);
  }

  @Test
  void listsOfOrdinalsOnlyScoreEachTokenByItsCentroid() throws Exception {
    ordinalsOnly = true;
    Path path = buildIndex(150, new WarpBuilder.Params(2, 16, 32, 5, 8, false));
    try (LatteIndex index = LatteIndex.open(path)) {
      assertEquals(0, index.firstStage(WarpBuilder.NAME, WarpIndex::load).stride());
    }
    assertMatchesDefinition(path, new WarpSettings(16, Integer.MAX_VALUE, 1000), 6);
    assertMatchesDefinition(path, new WarpSettings(3, 40, 25), 6);
  }

  @Test
  void liveWritesAndDeletesAreSearchedWithTheFrozenCodebook() throws Exception {
    Path path = buildIndex(80, new WarpBuilder.Params(2, 16, 32, 5, 5));
    ResidualCodebook before = WarpBuilder.readCodebook(path);
    try (LatteIndexWriter w =
        LatteIndexWriter.openForEncoded(path, MODEL, "synthetic", "seeded", IndexOptions.DEFAULT)) {
      for (int i = 80; i < 110; i++) add(w, "d" + i);
      for (String gone : List.of("d3", "d40", "d95")) {
        w.delete(gone);
        live.remove(gone);
      }
      add(w, "d7"); // replaced: the old version stays in the file, unlinked
      w.commit();
    }
    try (FSDirectory dir = FSDirectory.open(path);
        DirectoryReader main = DirectoryReader.open(dir);
        LiveFirstStage d =
            LiveFirstStage.open(
                path,
                new WarpBuilder(),
                dev.latte.indexer.LatteIndexReaderSupport.metadataOf(main.getIndexCommit()))) {
      d.sync(main);
      d.commit();
    }
    stored.addAll(live.values());
    assertEquals(before.fingerprint(), WarpBuilder.readCodebook(path).fingerprint(), "frozen");
    assertMatchesDefinition(path, new WarpSettings(16, Integer.MAX_VALUE, 1000), 6);
    assertMatchesDefinition(path, new WarpSettings(3, 30, 20), 6);
  }

  @Test
  void overAResidualIndexTheListsHoldItsOwnCodes() throws Exception {
    Path path =
        buildIndex(
            120,
            WarpBuilder.Params.DEFAULT,
            new IndexOptions(dev.latte.core.codec.TokenCodec.RESIDUAL_2, 1));
    ResidualCodebook main = dev.latte.indexer.ResidualCodebookFile.read(path);
    assertEquals(main.fingerprint(), WarpBuilder.readCodebook(path).fingerprint());
    assertTrue(
        java.nio.file.Files.exists(
            dev.latte.indexer.firststage.FirstStageIndex.dir(path, WarpBuilder.NAME)
                .resolve(WarpCodebookFile.REF_FILE)),
        "a reference, not a second copy of the codebook");
    assertTrue(
        !java.nio.file.Files.exists(
            dev.latte.indexer.firststage.FirstStageIndex.dir(path, WarpBuilder.NAME)
                .resolve(WarpCodebookFile.FILE)));
    int k = main.centroidCount();
    assertMatchesDefinition(path, new WarpSettings(k, Integer.MAX_VALUE, 1000), 6);
    assertMatchesDefinition(path, new WarpSettings(2, 50, 20), 6);
    // warp+maxsim at full depth is exact MaxSim over the index's residual codes.
    try (LatteIndex index = LatteIndex.open(path)) {
      for (int qi = 0; qi < 4; qi++) {
        QueryContext q = query();
        MethodResult warp =
            new WarpMethod(new WarpSettings(k, Integer.MAX_VALUE, 1000), true).search(index, q, 5);
        MethodResult exact = new ExactMaxSimMethod().search(index, q, 5);
        for (int j = 0; j < exact.docs().size(); j++)
          assertEquals(exact.docs().get(j).score(), warp.docs().get(j).score(), 1e-5f);
      }
    }
  }

  @Test
  void rescoredAtFullDepthIsExactMaxSim() throws Exception {
    Path path = buildIndex(120, new WarpBuilder.Params(4, 16, 32, 5, 6));
    try (LatteIndex index = LatteIndex.open(path)) {
      for (int qi = 0; qi < 5; qi++) {
        QueryContext q = query();
        MethodResult warp =
            new WarpMethod(new WarpSettings(16, Integer.MAX_VALUE, 1000), true)
                .search(index, q, 10);
        MethodResult exact = new ExactMaxSimMethod().search(index, q, 10);
        assertEquals(exact.docs().size(), warp.docs().size());
        for (int j = 0; j < exact.docs().size(); j++) {
          assertEquals(exact.docs().get(j).doc(), warp.docs().get(j).doc());
          assertEquals(exact.docs().get(j).score(), warp.docs().get(j).score(), 1e-6f);
        }
        assertTrue(warp.stepsMillis().containsKey("rescore"));
      }
    }
  }

  @Test
  void pastItsDepthWarpMaxSimContinuesWithWarpsRankingAndItsTopDoesNotDependOnK() throws Exception {
    Path path = buildIndex(120, new WarpBuilder.Params(4, 16, 32, 5, 6));
    WarpSettings s = new WarpSettings(8, Integer.MAX_VALUE, 8);
    try (LatteIndex index = LatteIndex.open(path)) {
      for (int qi = 0; qi < 5; qi++) {
        QueryContext q = query();
        MethodResult user = new WarpMethod(s, true).search(index, q, 5);
        MethodResult deep = new WarpMethod(s, true).search(index, q, 40);
        MethodResult warp = new WarpMethod(s, false).search(index, q, 40);
        assertEquals(8, user.candidatesScored());
        assertEquals(8, deep.candidatesScored(), "asked for 40, still rescores its depth");
        assertEquals(warp.docs().size(), deep.docs().size());
        // The first 5 are the k = 5 answer, scores included.
        for (int j = 0; j < 5; j++) {
          assertEquals(user.docs().get(j).doc(), deep.docs().get(j).doc());
          assertEquals(user.docs().get(j).score(), deep.docs().get(j).score());
        }
        // The first 8 are WARP's top 8 re-ranked by exact MaxSim...
        java.util.Set<Integer> top8 = new java.util.HashSet<>();
        for (int j = 0; j < 8; j++) top8.add(warp.docs().get(j).doc());
        MaxSimScorer scorer = new MaxSimScorer(q.kernel(), index.metadata().dimension());
        List<ScoredDoc> exact =
            scorer.rescore(
                index, scorer.prepare(q), top8.stream().mapToInt(Integer::intValue).toArray(), 8);
        for (int j = 0; j < 8; j++) {
          assertEquals(exact.get(j).doc(), deep.docs().get(j).doc());
          assertEquals(exact.get(j).score(), deep.docs().get(j).score());
        }
        // ...then WARP's own order, each scored below the one before.
        for (int j = 8; j < deep.docs().size(); j++)
          assertEquals(warp.docs().get(j).doc(), deep.docs().get(j).doc(), "position " + j);
        for (int j = 1; j < deep.docs().size(); j++)
          assertTrue(deep.docs().get(j).score() < deep.docs().get(j - 1).score(), "order " + j);
      }
    }
  }
}
