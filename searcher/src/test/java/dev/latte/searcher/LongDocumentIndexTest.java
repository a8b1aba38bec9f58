package dev.latte.searcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.TokenCodec;
import dev.latte.datasets.Document;
import dev.latte.encoders.EncodedText;
import dev.latte.encoders.ModelConfig;
import dev.latte.encoders.PassagePolicy;
import dev.latte.encoders.TokenEncoder;
import dev.latte.indexer.IndexMismatchException;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.IndexStats;
import dev.latte.indexer.LatteIndexWriter;
import dev.latte.searcher.firststage.FirstStages;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Indexes of long documents cut into passages (windows and late chunking), against brute force over
 * the same passages computed here from the words alone: union-MaxSim and MaxP scores and rankings,
 * each hit's best passage and its offsets, filters, deletes by document id, statistics, other
 * codecs and pooling, and the first stages.
 *
 * <p>The encoder is context-free (a word's vector depends on the word only), so a passage's rows
 * are its words' vectors under both strategies; the transformer side of late chunking is tested
 * with the real model in the encoders module.
 */
class LongDocumentIndexTest {
  static final int DIM = 16;
  static final int WORDS = 60;
  static final int DOCS = 160;
  static final int K = 10;
  static final int WINDOW = 12;
  static final int STRIDE = 6;
  @TempDir static Path tmp;
  static final float[][] vocabulary = new float[WORDS][];
  static final Map<String, Document> docs = new LinkedHashMap<>();
  static final List<String> queries = new ArrayList<>();
  static final WordEncoder encoder = new WordEncoder();

  /** Each word "wN" has a fixed unit vector; words of the same tenth are close. */
  static final class WordEncoder implements TokenEncoder {
    final ModelConfig config =
        new ModelConfig(
            "words", DIM, null, null, null, null, null, null, null, null, null, null, null, null,
            null, null, null);

    @Override
    public ModelConfig config() {
      return config;
    }

    @Override
    public String fingerprint() {
      return "words-" + DIM;
    }

    @Override
    public EncodedText encodeQuery(String query) {
      return encode(query);
    }

    @Override
    public List<EncodedText> encodeDocuments(List<String> documents) {
      return documents.stream().map(WordEncoder::encode).toList();
    }

    static EncodedText encode(String text) {
      List<int[]> spans = spans(text);
      float[] data = new float[spans.size() * DIM];
      String[] tokens = new String[spans.size()];
      int[] starts = new int[spans.size()];
      int[] ends = new int[spans.size()];
      for (int i = 0; i < spans.size(); i++) {
        tokens[i] = text.substring(spans.get(i)[0], spans.get(i)[1]);
        System.arraycopy(vector(tokens[i]), 0, data, i * DIM, DIM);
        starts[i] = spans.get(i)[0];
        ends[i] = spans.get(i)[1];
      }
      return new EncodedText(new TokenMatrix(data, spans.size(), DIM), tokens, starts, ends);
    }

    @Override
    public void close() {}
  }

  static List<int[]> spans(String text) {
    List<int[]> out = new ArrayList<>();
    for (int i = 0; i < text.length(); ) {
      while (i < text.length() && text.charAt(i) == ' ') i++;
      int s = i;
      while (i < text.length() && text.charAt(i) != ' ') i++;
      if (i > s) out.add(new int[] {s, i});
    }
    return out;
  }

  static float[] vector(String word) {
    return vocabulary[Integer.parseInt(word.substring(1))];
  }

  @BeforeAll
  static void collection() {
    Random rnd = new Random(5);
    float[][] topics = new float[6][DIM];
    for (float[] t : topics) {
      for (int d = 0; d < DIM; d++) t[d] = (float) rnd.nextGaussian();
    }
    for (int w = 0; w < WORDS; w++) {
      float[] v = new float[DIM];
      for (int d = 0; d < DIM; d++) v[d] = topics[w / 10][d] + 0.8f * (float) rnd.nextGaussian();
      TokenMatrix.normalizeRows(v, 1, DIM);
      vocabulary[w] = v;
    }
    for (int i = 0; i < DOCS; i++) {
      int n = 5 + rnd.nextInt(70); // one passage up to many
      StringBuilder text = new StringBuilder();
      int topic = rnd.nextInt(6);
      for (int j = 0; j < n; j++) {
        if (j > 0) text.append(' ');
        int w = rnd.nextInt(3) == 0 ? rnd.nextInt(WORDS) : topic * 10 + rnd.nextInt(10);
        text.append('w').append(w);
      }
      docs.put(
          "d" + i,
          new Document(
              "d" + i,
              "",
              text.toString(),
              new ObjectMapper().createObjectNode().put("group", "g" + (i % 3))));
    }
    for (int q = 0; q < 20; q++) {
      StringBuilder text = new StringBuilder();
      for (int j = 0; j < 4; j++)
        text.append(j > 0 ? " " : "").append('w').append(rnd.nextInt(WORDS));
      queries.add(text.toString());
    }
  }

  // ---- brute force over the passages, from the words alone ----

  /** Word ranges of the passages of an n-word document: [i*stride, min(n, i*stride + window)). */
  static List<int[]> passages(int n, int window, int stride) {
    List<int[]> out = new ArrayList<>();
    if (n <= window) return List.of(new int[] {0, n});
    for (int s = 0; ; s += stride) {
      out.add(new int[] {s, Math.min(n, s + window)});
      if (s + window >= n) return out;
    }
  }

  static float maxSim(String query, List<String> docWords) {
    float sum = 0;
    for (int[] qs : spans(query)) {
      float[] q = vector(query.substring(qs[0], qs[1]));
      float best = Float.NEGATIVE_INFINITY;
      for (String w : docWords) {
        float[] d = vector(w);
        float dot = 0;
        for (int c = 0; c < DIM; c++) dot += q[c] * d[c];
        best = Math.max(best, dot);
      }
      sum += best;
    }
    return sum;
  }

  static List<String> words(Document d) {
    return spans(d.text()).stream().map(s -> d.text().substring(s[0], s[1])).toList();
  }

  /** The brute-force score of a document, and its best passage (first of equals). */
  record Expected(float score, int bestPassage, int start, int end) {}

  static Expected expected(
      String query, Document d, PassageScoring scoring, int window, int stride) {
    List<String> w = words(d);
    List<int[]> spans = spans(d.text());
    List<int[]> ps = passages(w.size(), window, stride);
    int best = 0;
    float bestScore = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < ps.size(); i++) {
      float s = maxSim(query, w.subList(ps.get(i)[0], ps.get(i)[1]));
      if (s > bestScore) {
        bestScore = s;
        best = i;
      }
    }
    float score = scoring == PassageScoring.UNION ? maxSim(query, w) : bestScore;
    int[] p = ps.get(best);
    return new Expected(score, best, spans.get(p[0])[0], spans.get(p[1] - 1)[1]);
  }

  static List<String> exactTop(
      String query, PassageScoring scoring, int k, java.util.function.Predicate<Document> filter) {
    List<Map.Entry<String, Float>> all = new ArrayList<>();
    for (Document d : docs.values())
      if (filter.test(d))
        all.add(Map.entry(d.id(), expected(query, d, scoring, WINDOW, STRIDE).score()));
    all.sort(
        (a, b) ->
            !a.getValue().equals(b.getValue())
                ? Float.compare(b.getValue(), a.getValue())
                : a.getKey().compareTo(b.getKey()));
    return all.subList(0, Math.min(k, all.size())).stream().map(Map.Entry::getKey).toList();
  }

  static int expectedPassages() {
    int n = 0;
    for (Document d : docs.values()) n += passages(words(d).size(), WINDOW, STRIDE).size();
    return n;
  }

  static Path index(String name, PassagePolicy policy, IndexOptions options) throws Exception {
    Path dir = tmp.resolve(name);
    // A residual index codes the first commit's documents as they are released from its training
    // window, and a second session's with the frozen codebook: both paths carry passages.
    int first = options.codec().isResidual() ? DOCS / 2 : DOCS;
    try (LatteIndexWriter w = LatteIndexWriter.open(dir, encoder, "synthetic", "", options)) {
      w.usePassages(policy);
      w.addAll(docs.values().stream().limit(first), 2, 8, IndexProgress.NONE);
      w.commit();
    }
    if (first < DOCS)
      try (LatteIndexWriter w = LatteIndexWriter.open(dir, encoder, "synthetic", "", options)) {
        w.addAll(docs.values().stream().skip(first), 2, 8, IndexProgress.NONE);
        w.commit();
      }
    return dir;
  }

  static PassagePolicy windows() {
    return new PassagePolicy(PassagePolicy.Mode.WINDOWS, WINDOW, STRIDE, 512);
  }

  static SearchResponseView search(
      LatteSearcher s, String method, String query, PassageScoring scoring, String filter)
      throws Exception {
    QueryContext q = s.query(query).withPassageScoring(scoring);
    return new SearchResponseView(
        s.search(method, q, K, filter == null ? null : Filters.parse(filter), false));
  }

  record SearchResponseView(LatteSearcher.SearchResponse r) {
    List<String> ids() {
      return r.hits().stream().map(LatteSearcher.Hit::docid).toList();
    }
  }

  /**
   * The hits score as the brute-force ranking does, rank by rank (ties between documents with the
   * same words may come in either order, and float sums differ in the last bits).
   */
  static void assertSameRanking(
      String query, PassageScoring scoring, List<String> truth, SearchResponseView r) {
    assertEquals(truth.size(), r.ids().size());
    for (int i = 0; i < truth.size(); i++)
      assertEquals(
          expected(query, docs.get(truth.get(i)), scoring, WINDOW, STRIDE).score(),
          r.r().hits().get(i).score(),
          1e-4,
          query + " " + scoring + " rank " + (i + 1));
  }

  @Test
  void exactUnionAndMaxPEqualBruteForceWithBestPassagesFiltersAndDeletes() throws Exception {
    Path dir = index("windows", windows(), IndexOptions.DEFAULT);
    try (LatteIndex index = LatteIndex.open(dir)) {
      IndexStats stats = index.stats();
      assertEquals(DOCS, stats.documents(), "documents are source documents");
      assertEquals(expectedPassages(), stats.passages());
      assertTrue(stats.passages() > 2 * DOCS, "most documents are several passages");
      assertEquals(windows(), index.passagePolicy());
    }
    try (LatteSearcher s = new LatteSearcher(LatteIndex.open(dir), encoder)) {
      for (String query : queries) {
        for (PassageScoring scoring : PassageScoring.values()) {
          var r = search(s, "maxsim-exact", query, scoring, null);
          assertSameRanking(query, scoring, exactTop(query, scoring, K, d -> true), r);
          for (var h : r.r().hits()) {
            Expected e = expected(query, docs.get(h.docid()), scoring, WINDOW, STRIDE);
            assertEquals(e.score(), h.score(), 1e-4, h.docid());
            assertEquals(e.bestPassage(), h.passage().index(), "best passage of " + h.docid());
            assertEquals(e.start(), h.passage().start());
            assertEquals(e.end(), h.passage().end());
          }
          var f = search(s, "maxsim-exact", query, scoring, "{\"term\": {\"group\": \"g1\"}}");
          assertSameRanking(
              query,
              scoring,
              exactTop(query, scoring, K, d -> d.metadata().get("group").asText().equals("g1")),
              f);
          assertTrue(
              f.ids().stream()
                  .allMatch(id -> docs.get(id).metadata().get("group").asText().equals("g1")));
        }
        // MaxP never scores above union (a passage's rows are a subset of the document's).
        var u = search(s, "maxsim-exact", query, PassageScoring.UNION, null).r().hits();
        var m = search(s, "maxsim-exact", query, PassageScoring.MAXP, null).r().hits();
        assertTrue(m.getFirst().score() <= u.getFirst().score() + 1e-5);
      }
    }
    // Deleting a document by id deletes all its passages.
    String victim = "d7";
    int victimPassages = passages(words(docs.get(victim)).size(), WINDOW, STRIDE).size();
    assertTrue(victimPassages > 1);
    try (LatteIndexWriter w = LatteIndexWriter.open(dir, encoder, "synthetic", "")) {
      assertEquals(windows(), w.passagePolicy(), "the policy is kept by the index");
      w.delete(victim);
      IndexStats after = w.commit();
      assertEquals(DOCS - 1, after.documents());
      assertEquals(expectedPassages() - victimPassages, after.passages());
    }
    try (LatteSearcher s = new LatteSearcher(LatteIndex.open(dir), encoder)) {
      String query = String.join(" ", words(docs.get(victim)).subList(0, 4));
      for (PassageScoring scoring : PassageScoring.values())
        assertFalse(search(s, "maxsim-exact", query, scoring, null).ids().contains(victim));
    }
  }

  @Test
  void anIndexKeepsItsPassageSettings() throws Exception {
    Path dir = index("kept", windows(), IndexOptions.DEFAULT);
    try (LatteIndexWriter w = LatteIndexWriter.open(dir, encoder, "synthetic", "")) {
      var e =
          assertThrows(
              IndexMismatchException.class,
              () -> w.usePassages(new PassagePolicy(PassagePolicy.Mode.WINDOWS, 20, 10, 512)));
      assertTrue(e.getMessage().contains("--long-docs"), e.getMessage());
      assertThrows(IndexMismatchException.class, () -> w.usePassages(null));
    }
  }

  @Test
  void lateChunkingCodecsAndPoolingKeepPassages() throws Exception {
    PassagePolicy lc = new PassagePolicy(PassagePolicy.Mode.LATE_CHUNKING, WINDOW, STRIDE, 512);
    // Context-free vectors: late chunking stores what windows store.
    Path lcDir = index("lc", lc, IndexOptions.DEFAULT);
    Map<String, Double> floors = new LinkedHashMap<>();
    floors.put("float16", 0.95);
    floors.put("int8", 0.85);
    floors.put("float32-pool2", 0.4);
    // One codebook per index, every passage's rows coded with it (trained at the first commit).
    floors.put("residual-4", 0.9);
    floors.put("residual-2", 0.85);
    floors.put("residual-1", 0.7);
    floors.put("residual-2-pool2", 0.4); // the default codec and pool factor of a new index
    try (LatteSearcher exact = new LatteSearcher(LatteIndex.open(lcDir), encoder)) {
      assertEquals(expectedPassages(), exact.index().stats().passages());
      for (var e : floors.entrySet()) {
        IndexOptions o =
            e.getKey().endsWith("-pool2")
                ? new IndexOptions(TokenCodec.fromName(e.getKey().replace("-pool2", "")), 2)
                : new IndexOptions(TokenCodec.fromName(e.getKey()), 1);
        Path dir = index(e.getKey(), lc, o);
        try (LatteSearcher s = new LatteSearcher(LatteIndex.open(dir), encoder)) {
          assertEquals(DOCS, s.index().stats().documents());
          assertEquals(expectedPassages(), s.index().stats().passages(), e.getKey());
          for (PassageScoring scoring : PassageScoring.values()) {
            double overlap = 0;
            for (String query : queries) {
              Set<String> truth = new HashSet<>(exactTop(query, scoring, K, d -> true));
              var r = search(s, "maxsim-exact", query, scoring, null);
              overlap += r.ids().stream().filter(truth::contains).count() / (double) K;
              if (!e.getKey().contains("pool"))
                for (var h : r.r().hits()) {
                  assertEquals(
                      expected(query, docs.get(h.docid()), scoring, WINDOW, STRIDE).score(),
                      h.score(),
                      tolerance(e.getKey()),
                      e.getKey() + " " + scoring + " " + h.docid());
                  // The named passage is the one MaxP scores the document by.
                  if (scoring == PassageScoring.MAXP)
                    assertEquals(h.score(), h.passage().score(), 1e-4, e.getKey() + h.docid());
                }
            }
            overlap /= queries.size();
            System.out.printf(
                "long documents, %s %s: %.3f of the exact top %d%n",
                e.getKey(), scoring.cliName(), overlap, K);
            assertTrue(overlap >= e.getValue(), e.getKey() + " " + scoring + " " + overlap);
          }
        }
      }
    }
  }

  /** How far a codec's scores may be from the float32 brute force (4 query tokens, unit rows). */
  static double tolerance(String codec) {
    return switch (codec) {
      case "float16" -> 0.01;
      case "int8", "residual-4" -> 0.05;
      case "residual-2" -> 0.15;
      case "residual-1" -> 0.3;
      default -> throw new IllegalArgumentException(codec);
    };
  }

  @Test
  void everyFirstStageRunsOnPassagesAndRescoresByTheChosenScoring() throws Exception {
    Path dir = index("stages", windows(), IndexOptions.DEFAULT);
    FirstStages.build(
        dir,
        FirstStages.parse("xtr,coil,slim,lucene-stock"),
        false,
        n -> IndexProgress.NONE,
        System.out);
    Map<String, Double> floors =
        Map.of(
            "xtr+maxsim", 0.8,
            "coil+maxsim", 0.6,
            "slim+maxsim", 0.5,
            "lucene-stock", 0.4,
            "bm25+maxsim", 0.5);
    try (LatteSearcher s = new LatteSearcher(LatteIndex.open(dir), encoder)) {
      for (var e : floors.entrySet()) {
        for (PassageScoring scoring : PassageScoring.values()) {
          double overlap = 0;
          for (String query : queries) {
            Set<String> truth = new HashSet<>(exactTop(query, scoring, K, d -> true));
            var r = search(s, e.getKey(), query, scoring, null);
            overlap += r.ids().stream().filter(truth::contains).count() / (double) K;
            // lucene-stock is Lucene's own late-interaction rescorer: union-MaxSim only.
            PassageScoring rescored =
                e.getKey().equals("lucene-stock") ? PassageScoring.UNION : scoring;
            for (var h : r.r().hits())
              assertEquals(
                  expected(query, docs.get(h.docid()), rescored, WINDOW, STRIDE).score(),
                  h.score(),
                  1e-4,
                  "rescored by " + rescored + ": " + e.getKey() + " " + h.docid());
          }
          overlap /= queries.size();
          System.out.printf(
              "long documents, %s %s: %.3f of the exact top %d%n",
              e.getKey(), scoring.cliName(), overlap, K);
          assertTrue(overlap >= e.getValue(), e.getKey() + " " + scoring + " " + overlap);
        }
      }
      // BM25 never encodes the query, so it names no best passage.
      assertNull(s.search("bm25", queries.getFirst(), K).hits().getFirst().passage());
      assertNotEquals(
          null, s.search("maxsim-exact", queries.getFirst(), K).hits().getFirst().passage());
    }
  }

  /**
   * MaxP and union scoring of a multi-passage residual index read the same matrices once the codes
   * live only in the WARP lists: same hits, best passages and (to float rounding of the compiled
   * kernel) scores as the two-copy copy of the same index.
   */
  @Test
  void passagesScoreTheSameWhenTheCodesLiveOnlyInTheLists() throws Exception {
    Path two = index("onecopy-two", windows(), new IndexOptions(TokenCodec.RESIDUAL_2, 1));
    try (LatteIndex index = LatteIndex.open(two)) {
      new dev.latte.searcher.firststage.warp.WarpBuilder()
          .build(index.path(), index.reader(), index.metadata(), IndexProgress.NONE);
    }
    Path one = tmp.resolve("onecopy-one");
    try (var files = java.nio.file.Files.walk(two)) {
      for (Path f : files.toList()) {
        Path t = one.resolve(two.relativize(f).toString());
        if (java.nio.file.Files.isDirectory(f)) java.nio.file.Files.createDirectories(t);
        else java.nio.file.Files.copy(f, t);
      }
    }
    assertEquals(DOCS, dev.latte.indexer.lists.TokenCompaction.moveCodesToLists(one).moved());
    try (LatteSearcher a = new LatteSearcher(LatteIndex.open(two), encoder);
        LatteSearcher b = new LatteSearcher(LatteIndex.open(one), encoder)) {
      for (String query : queries)
        for (PassageScoring scoring : PassageScoring.values()) {
          var want = search(a, "maxsim-exact", query, scoring, null).r().hits();
          var got = search(b, "maxsim-exact", query, scoring, null).r().hits();
          assertEquals(want.size(), got.size());
          // Rank by rank the same scores; ties (documents of the same words) may come in another
          // order, since the compaction's merge renumbers the documents.
          Map<String, LatteSearcher.Hit> byId = new LinkedHashMap<>();
          for (var h : want) byId.put(h.docid(), h);
          for (int i = 0; i < want.size(); i++) {
            var w = want.get(i);
            var g = got.get(i);
            assertEquals(w.score(), g.score(), 1e-6f * Math.abs(w.score()), query + " rank " + i);
            var same = byId.get(g.docid());
            if (same == null) continue;
            assertEquals(same.score(), g.score(), 1e-6f * Math.abs(same.score()), g.docid());
            assertEquals(
                same.passage() == null ? -1 : same.passage().index(),
                g.passage() == null ? -1 : g.passage().index(),
                g.docid());
          }
        }
    }
  }
}
