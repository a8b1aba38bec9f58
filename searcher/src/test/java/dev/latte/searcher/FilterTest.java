package dev.latte.searcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.core.codec.TokenCodec;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.datasets.Document;
import dev.latte.encoders.EncodedText;
import dev.latte.encoders.ModelConfig;
import dev.latte.encoders.TokenEncoder;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.LatteIndexWriter;
import dev.latte.indexer.ModelIdentity;
import dev.latte.searcher.firststage.coil.CoilBuilder;
import dev.latte.searcher.firststage.coil.CoilCandidates;
import dev.latte.searcher.firststage.slim.SlimBuilder;
import dev.latte.searcher.firststage.slim.SlimCandidates;
import dev.latte.searcher.firststage.stock.LuceneStockBuilder;
import dev.latte.searcher.firststage.stock.LuceneStockMethod;
import dev.latte.searcher.firststage.xtr.XtrBuilder;
import dev.latte.searcher.firststage.xtr.XtrCandidates;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.lucene.search.Query;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Metadata filters applied before scoring, in every method, on a synthetic collection (clustered
 * token vectors, token annotations, random metadata with missing fields): each filter is paired
 * with an equivalent Java predicate over the generated metadata, and results are checked against
 * brute force over the matching subset computed here from the raw matrices.
 */
class FilterTest {
  static final int DIM = 24;
  static final int DOCS = 200;
  static final int WORDS = 40;
  static final ModelIdentity MODEL = new ModelIdentity("fake", "fake-fp", DIM, false, null);
  static final String[] LANGS = {"en", "fr", "de", "es"};
  static final String[] TAGS = {"a", "b", "c", "d", "e"};
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path tmp;
  static Path path;
  static ClusteredTokens clusters;
  static List<TokenMatrix> matrices = new ArrayList<>();
  static List<String[]> tokens = new ArrayList<>();
  static List<Meta> metas = new ArrayList<>();
  static Random rnd = new Random(11);

  /** The generated metadata of one document; null fields are missing, {@code none}: no object. */
  record Meta(
      boolean none,
      int serial,
      Integer year,
      String lang,
      List<String> tags,
      Double score,
      Boolean flag,
      String author) {}

  record Case(String json, Predicate<Meta> test) {}

  static final List<Case> CASES =
      List.of(
          new Case("{\"term\": {\"lang\": \"en\"}}", m -> "en".equals(m.lang())),
          new Case(
              "{\"range\": {\"year\": {\"gte\": 2010, \"lt\": 2015}}}",
              m -> m.year() != null && m.year() >= 2010 && m.year() < 2015),
          new Case(
              "{\"terms\": {\"tags\": [\"a\", \"c\"]}}",
              m -> m.tags() != null && (m.tags().contains("a") || m.tags().contains("c"))),
          new Case(
              "{\"bool\": {\"must\": [{\"term\": {\"lang\": \"fr\"}}],"
                  + " \"must_not\": [{\"exists\": {\"field\": \"score\"}}]}}",
              m -> "fr".equals(m.lang()) && m.score() == null),
          // very selective: 3, 1 and about 2 documents
          new Case(
              "{\"bool\": {\"should\": [{\"term\": {\"serial\": 17}}, {\"term\": {\"serial\": 43}},"
                  + " {\"term\": {\"serial\": 99}}]}}",
              m -> !m.none() && (m.serial() == 17 || m.serial() == 43 || m.serial() == 99)),
          new Case("{\"term\": {\"serial\": 123}}", m -> !m.none() && m.serial() == 123),
          new Case(
              "{\"range\": {\"score\": {\"gt\": 9.9}}}", m -> m.score() != null && m.score() > 9.9),
          // nothing
          new Case("{\"term\": {\"lang\": \"xx\"}}", m -> false),
          new Case("{\"range\": {\"year\": {\"gt\": 3000}}}", m -> false),
          // negation only: documents without metadata match too
          new Case(
              "{\"bool\": {\"must_not\": {\"term\": {\"flag\": true}}}}",
              m -> m.flag() == null || !m.flag()),
          new Case("{\"exists\": {\"field\": \"author\"}}", m -> m.author() != null),
          new Case(
              "{\"bool\": {\"filter\": [{\"term\": {\"author.name\": \"n3\"}},"
                  + " {\"range\": {\"year\": {\"lte\": 2012}}}],"
                  + " \"should\": [{\"term\": {\"lang\": \"en\"}}]}}",
              m -> "n3".equals(m.author()) && m.year() != null && m.year() <= 2012));

  static Meta randomMeta(int i) {
    if (i % 20 == 0) return new Meta(true, i, null, null, null, null, null, null);
    Integer year = rnd.nextInt(10) == 0 ? null : 2000 + rnd.nextInt(25);
    String lang = rnd.nextInt(10) == 0 ? null : LANGS[rnd.nextInt(LANGS.length)];
    List<String> tags = null;
    if (rnd.nextInt(5) != 0) {
      tags = new ArrayList<>();
      for (String t : TAGS) if (rnd.nextInt(3) == 0) tags.add(t);
    }
    Double score = rnd.nextInt(4) == 0 ? null : rnd.nextDouble() * 10;
    Boolean flag = rnd.nextInt(3) == 0 ? null : rnd.nextBoolean();
    String author = rnd.nextInt(2) == 0 ? null : "n" + rnd.nextInt(7);
    return new Meta(false, i, year, lang, tags, score, flag, author);
  }

  static ObjectNode json(Meta m) {
    if (m.none()) return null;
    ObjectNode o = JSON.createObjectNode();
    o.put("serial", m.serial());
    if (m.year() != null) o.put("year", m.year());
    if (m.lang() != null) o.put("lang", m.lang());
    if (m.tags() != null) {
      var a = o.putArray("tags"); // an empty array indexes nothing
      m.tags().forEach(a::add);
    }
    if (m.score() != null) o.put("score", m.score());
    else if (rnd.nextBoolean()) o.putNull("score"); // null is as good as missing
    if (m.flag() != null) o.put("flag", m.flag());
    if (m.author() != null) o.putObject("author").put("name", m.author());
    return o;
  }

  @BeforeAll
  static void build() throws Exception {
    clusters = new ClusteredTokens(rnd, WORDS, DIM);
    path = tmp.resolve("main");
    try (LatteIndexWriter w =
        LatteIndexWriter.openForEncoded(path, MODEL, "synthetic", "seeded", IndexOptions.DEFAULT)) {
      for (int i = 0; i < DOCS; i++) {
        ClusteredTokens.Doc doc = clusters.document(1, 30);
        TokenMatrix m = doc.matrix();
        String[] t = doc.tokens();
        Meta meta = randomMeta(i);
        w.add(new Document("d" + i, "", String.join(" ", t), json(meta)), m, doc.annotations());
        matrices.add(m);
        tokens.add(t);
        metas.add(meta);
      }
      w.commit();
    }
    try (LatteIndex index = LatteIndex.open(path)) {
      for (var b :
          List.of(
              new XtrBuilder(new XtrBuilder.Params(16, 32, 5, 1, 2)),
              new dev.latte.searcher.firststage.warp.WarpBuilder(
                  new dev.latte.searcher.firststage.warp.WarpBuilder.Params(2, 16, 32, 5, 1)),
              new CoilBuilder(new CoilBuilder.Params(8, 5000, 1)),
              new SlimBuilder(new SlimBuilder.Params(5, 12)),
              new LuceneStockBuilder()))
        b.build(index.path(), index.reader(), index.metadata(), IndexProgress.NONE);
    }
  }

  record Q(String text, TokenMatrix matrix, String[] tokens) {}

  static Q query(int rows) {
    ClusteredTokens.Doc q = clusters.tokens(rows, 0.2f);
    return new Q(
        String.join(" ", q.tokens()) + " q" + rnd.nextInt(1_000_000), q.matrix(), q.tokens());
  }

  /** An encoder answering each registered query text with its matrix (LatteSearcher needs one). */
  static final class FakeEncoder implements TokenEncoder {
    final Map<String, Q> queries = new HashMap<>();

    public ModelConfig config() {
      throw new UnsupportedOperationException();
    }

    public String fingerprint() {
      return MODEL.fingerprint();
    }

    public EncodedText encodeQuery(String text) {
      Q q = queries.get(text);
      int[] none = new int[q.tokens().length];
      Arrays.fill(none, -1);
      return new EncodedText(q.matrix(), q.tokens(), none, none.clone());
    }

    public List<EncodedText> encodeDocuments(List<String> documents) {
      throw new UnsupportedOperationException();
    }

    public void close() {}
  }

  static QueryContext context(Q q, Query filter) {
    return QueryContext.ofEncoded(q.text(), q.matrix(), q.tokens(), VectorKernel.get())
        .withFilter(filter);
  }

  /** Brute-force MaxSim top k over the documents passing {@code test}: (doc number, score). */
  static List<float[]> bruteForce(Q q, Predicate<Meta> test, int k) {
    List<float[]> all = new ArrayList<>();
    for (int d = 0; d < DOCS; d++)
      if (test.test(metas.get(d)))
        all.add(new float[] {d, ClusteredTokens.maxSim(q.matrix(), matrices.get(d))});
    all.sort((a, b) -> a[1] != b[1] ? Float.compare(b[1], a[1]) : Float.compare(a[0], b[0]));
    return all.subList(0, Math.min(k, all.size()));
  }

  static int docOf(LatteIndex index, int mainDoc) throws Exception {
    return Integer.parseInt(index.id(mainDoc).substring(1));
  }

  static void assertExact(
      LatteIndex index, List<float[]> expected, List<ScoredDoc> got, String what) throws Exception {
    assertEquals(expected.size(), got.size(), what + ": hits");
    for (int i = 0; i < got.size(); i++) {
      assertEquals((int) expected.get(i)[0], docOf(index, got.get(i).doc()), what + " rank " + i);
      assertEquals(expected.get(i)[1], got.get(i).score(), 1e-4f, what + " rank " + i);
    }
  }

  static long matching(Predicate<Meta> test) {
    return metas.stream().filter(test).count();
  }

  @Test
  void theFiltersCoverSelectiveAndEmptyCases() {
    long[] counts = CASES.stream().mapToLong(c -> matching(c.test())).toArray();
    assertTrue(Arrays.stream(counts).anyMatch(n -> n == 0), Arrays.toString(counts));
    assertTrue(Arrays.stream(counts).anyMatch(n -> n == 1), Arrays.toString(counts));
    assertTrue(Arrays.stream(counts).anyMatch(n -> n >= 2 && n <= 3), Arrays.toString(counts));
    assertTrue(Arrays.stream(counts).anyMatch(n -> n > DOCS / 2), Arrays.toString(counts));
  }

  @Test
  void filterBitsAreTheMatchingDocumentsAndNullWithoutAFilter() throws Exception {
    try (LatteIndex index = LatteIndex.open(path)) {
      Q q = query(3);
      assertNull(context(q, null).filterBits(index));
      for (Case c : CASES) {
        var bits = context(q, Filters.parse(c.json())).filterBits(index);
        for (int doc = 0; doc < index.reader().maxDoc(); doc++)
          assertEquals(
              c.test().test(metas.get(docOf(index, doc))), bits.get(doc), c.json() + " doc " + doc);
      }
    }
  }

  @Test
  void exactMaxSimWithAFilterIsBruteForceOverTheMatchingDocuments() throws Exception {
    try (LatteIndex index = LatteIndex.open(path)) {
      for (Case c : CASES) {
        Query f = Filters.parse(c.json());
        for (int t = 0; t < 2; t++) {
          Q q = query(2 + rnd.nextInt(6));
          var r = new ExactMaxSimMethod().search(index, context(q, f), 10);
          assertExact(index, bruteForce(q, c.test(), 10), r.docs(), c.json());
          assertEquals(Math.min(10, matching(c.test())), r.docs().size());
          assertEquals(matching(c.test()), r.candidatesScored(), "only matching docs are read");
        }
      }
    }
  }

  @Test
  void fullDepthFirstStagesWithAFilterAreExact() throws Exception {
    try (LatteIndex index = LatteIndex.open(path)) {
      for (Case c : CASES) {
        Query f = Filters.parse(c.json());
        Q q = query(2 + rnd.nextInt(6));
        List<float[]> expected = bruteForce(q, c.test(), 10);
        var xtr =
            new RescoredMethod(new XtrCandidates(16, DOCS), DOCS).search(index, context(q, f), 10);
        assertExact(index, expected, xtr.docs(), "xtr+maxsim " + c.json());
        var stock = new LuceneStockMethod(DOCS + 50).search(index, context(q, f), 10);
        assertExact(index, expected, stock.docs(), "lucene-stock " + c.json());
        assertEquals(matching(c.test()), stock.candidatesScored(), "KNN finds every match");
      }
    }
  }

  @Test
  void xtrImputesOverTheMatchingDocumentsOnly() throws Exception {
    try (LatteIndex index = LatteIndex.open(path)) {
      for (Case c : CASES) {
        Query f = Filters.parse(c.json());
        Q q = query(1 + rnd.nextInt(6));
        float[][] m = tokenMaxima(q.matrix());
        List<Integer> pass = new ArrayList<>();
        for (int d = 0; d < DOCS; d++) if (c.test().test(metas.get(d))) pass.add(d);
        int kPrime = 3;
        Map<Integer, Float> expected = new HashMap<>();
        if (!pass.isEmpty()) {
          float[] kth = new float[m.length];
          for (int i = 0; i < m.length; i++) {
            float[] col = new float[pass.size()];
            for (int j = 0; j < col.length; j++) col[j] = m[i][pass.get(j)];
            Arrays.sort(col);
            kth[i] = col[col.length - Math.min(kPrime, col.length)];
          }
          for (int d : pass) {
            boolean retrieved = false;
            float s = 0;
            for (int i = 0; i < m.length; i++) {
              if (m[i][d] >= kth[i]) {
                retrieved = true;
                s += m[i][d];
              } else {
                s += kth[i];
              }
            }
            if (retrieved) expected.put(d, s);
          }
        }
        Candidates got =
            new XtrCandidates(16, kPrime).generate(index, context(q, f), Integer.MAX_VALUE);
        assertEquals(expected.size(), got.size(), c.json());
        for (int i = 0; i < got.size(); i++) {
          int d = docOf(index, got.docs()[i]);
          assertTrue(expected.containsKey(d), c.json() + ": doc " + d + " not expected");
          assertEquals(expected.get(d), got.scores()[i], 1e-4f, c.json() + " doc " + d);
        }
      }
    }
  }

  /**
   * The filtered candidates of {@code g} equal its unfiltered full ranking restricted to matches.
   */
  static void assertRestriction(LatteIndex index, CandidateGenerator g, Q q, Case c, int depth)
      throws Exception {
    Candidates all = g.generate(index, context(q, null), Integer.MAX_VALUE);
    List<Integer> docs = new ArrayList<>();
    List<Float> scores = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      if (c.test().test(metas.get(docOf(index, all.docs()[i])))) {
        docs.add(all.docs()[i]);
        scores.add(all.scores()[i]);
      }
    }
    Candidates got = g.generate(index, context(q, Filters.parse(c.json())), depth);
    int n = Math.min(depth, docs.size());
    String what = g.name() + " depth " + depth + " " + c.json();
    assertEquals(n, got.size(), what);
    Set<Integer> allowed = new HashSet<>(docs);
    for (int i = 0; i < n; i++) {
      assertTrue(allowed.contains(got.docs()[i]), what + ": a non-matching doc");
      // ties may order differently; the score sequence may not
      assertEquals(
          scores.get(i), got.scores()[i], 1e-5f * Math.max(1, scores.get(i)), what + " rank " + i);
    }
  }

  @Test
  void coilAndSlimFilterBeforeRankingNotAfter() throws Exception {
    try (LatteIndex index = LatteIndex.open(path)) {
      for (Case c : CASES) {
        Q q = query(2 + rnd.nextInt(6));
        assertRestriction(index, new CoilCandidates(), q, c, Integer.MAX_VALUE);
        assertRestriction(index, new CoilCandidates(), q, c, 3);
        assertRestriction(index, new SlimCandidates(), q, c, DOCS);
        // a shallow stage 1 still fills its depth from matching documents
        assertRestriction(index, new SlimCandidates(), q, c, 3);
      }
    }
  }

  @Test
  void everyMethodReturnsOnlyMatchingDocuments() throws Exception {
    FakeEncoder encoder = new FakeEncoder();
    try (LatteSearcher searcher =
        new LatteSearcher(
            LatteIndex.open(path), encoder, VectorKernel.get(), SearchSettings.DEFAULT)) {
      List<String> methods = searcher.methods();
      assertTrue(
          methods.containsAll(
              List.of(
                  "bm25",
                  "maxsim-exact",
                  "bm25+maxsim",
                  "hybrid-rrf",
                  "hybrid-linear",
                  "xtr",
                  "xtr+maxsim",
                  "hybrid-xtr",
                  "warp",
                  "warp+maxsim",
                  "coil",
                  "coil+maxsim",
                  "slim",
                  "slim+maxsim",
                  "lucene-stock")),
          methods.toString());
      for (Case c : CASES) {
        Query f = Filters.parse(c.json());
        Q q = query(2 + rnd.nextInt(5));
        encoder.queries.put(q.text(), q);
        long n = matching(c.test());
        for (String method : methods) {
          var r = searcher.search(method, q.text(), 10, f);
          assertTrue(r.hits().size() <= Math.min(10, n), method + " " + c.json());
          for (var h : r.hits()) {
            Meta m = metas.get(Integer.parseInt(h.docid().substring(1)));
            assertTrue(c.test().test(m), method + " " + c.json() + " returned " + h.docid());
          }
        }
        // BM25 scores are unchanged by the filter: the filtered top k is the unfiltered ranking
        // restricted to matching documents.
        var unfiltered = searcher.search("bm25", q.text(), DOCS);
        List<Float> expected = new ArrayList<>();
        for (var h : unfiltered.hits())
          if (c.test().test(metas.get(Integer.parseInt(h.docid().substring(1)))))
            expected.add(h.score());
        var filtered = searcher.search("bm25", q.text(), 10, f);
        assertEquals(Math.min(10, expected.size()), filtered.hits().size(), c.json());
        for (int i = 0; i < filtered.hits().size(); i++)
          assertEquals(expected.get(i), filtered.hits().get(i).score(), 1e-6f, c.json());
        // The exact method through the facade: brute force over the matches.
        var exact = searcher.search("maxsim-exact", q.text(), 10, f);
        List<float[]> bf = bruteForce(q, c.test(), 10);
        assertEquals(bf.size(), exact.hits().size());
        for (int i = 0; i < bf.size(); i++)
          assertEquals("d" + (int) bf.get(i)[0], exact.hits().get(i).docid(), c.json());
      }
    }
  }

  @Test
  void storedMetadataComesBackWithTheDocument() throws Exception {
    try (LatteIndex index = LatteIndex.open(path)) {
      for (int doc = 0; doc < index.reader().maxDoc(); doc++) {
        int d = docOf(index, doc);
        String stored = index.metadata(doc);
        if (metas.get(d).none()) {
          assertNull(stored);
          assertNull(index.metadataById("d" + d));
        } else {
          var node = JSON.readTree(stored);
          assertEquals(d, node.get("serial").asInt());
          assertEquals(metas.get(d).lang(), node.has("lang") ? node.get("lang").asText() : null);
          assertEquals(stored, index.metadataById("d" + d));
        }
      }
    }
  }

  static float dot(float[] a, int ao, float[] b, int bo, int dim) {
    float s = 0;
    for (int d = 0; d < dim; d++) s += a[ao + d] * b[bo + d];
    return s;
  }

  /** m[i][d] = max over the doc's tokens of q_i · int8(d_j). */
  static float[][] tokenMaxima(TokenMatrix q) {
    float[][] m = new float[q.rows()][DOCS];
    for (int d = 0; d < DOCS; d++) {
      TokenMatrix doc = matrices.get(d);
      byte[] s = TokenCodec.INT8.encode(doc);
      float[] dec =
          TokenCodec.INT8.decodePayload(s, StoredTokenMatrix.HEADER_BYTES, doc.rows(), DIM).data();
      for (int i = 0; i < q.rows(); i++) {
        float best = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < doc.rows(); j++)
          best = Math.max(best, dot(q.data(), i * DIM, dec, j * DIM, DIM));
        m[i][d] = best;
      }
    }
    return m;
  }
}
