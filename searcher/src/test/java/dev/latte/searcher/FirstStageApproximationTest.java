package dev.latte.searcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.core.codec.TokenCodec;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.datasets.Document;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.LatteIndexWriter;
import dev.latte.indexer.ModelIdentity;
import dev.latte.indexer.TokenAnnotations;
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.searcher.firststage.coil.CoilBuilder;
import dev.latte.searcher.firststage.coil.CoilCandidates;
import dev.latte.searcher.firststage.slim.SlimBuilder;
import dev.latte.searcher.firststage.slim.SlimMethod;
import dev.latte.searcher.firststage.xtr.XtrBuilder;
import dev.latte.searcher.firststage.xtr.XtrCandidates;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * XTR, COIL and SLIM against brute force on a synthetic collection whose token vectors cluster
 * around their word (like contextual vectors): each method's scores are recomputed here from the
 * raw matrices by the method's definition, with no index structure involved.
 */
class FirstStageApproximationTest {
  static final int DIM = 24;
  static final int DOCS = 200;
  static final int WORDS = 40;
  static final ModelIdentity MODEL = new ModelIdentity("fake", "fake-fp", DIM, false, null);

  @TempDir static Path tmp;
  static Path path;
  static ClusteredTokens clusters;
  static List<TokenMatrix> matrices = new ArrayList<>();
  static List<String[]> tokens = new ArrayList<>();
  static Random rnd = new Random(5);

  @BeforeAll
  static void build() throws Exception {
    clusters = new ClusteredTokens(rnd, WORDS, DIM);
    path = tmp.resolve("main");
    writeMain(path, true);
    try (LatteIndex index = LatteIndex.open(path)) {
      for (var b :
          List.of(
              new XtrBuilder(new XtrBuilder.Params(16, 32, 5, 1, 2)),
              new CoilBuilder(new CoilBuilder.Params(8, 5000, 1)),
              new SlimBuilder(new SlimBuilder.Params(5, 12))))
        b.build(index.path(), index.reader(), index.metadata(), IndexProgress.NONE);
    }
  }

  /** Writes the synthetic collection (drawing it when {@code record}, else the recorded one). */
  static void writeMain(Path path, boolean record) throws Exception {
    try (LatteIndexWriter w =
        LatteIndexWriter.openForEncoded(path, MODEL, "synthetic", "seeded", IndexOptions.DEFAULT)) {
      for (int i = 0; i < DOCS; i++) {
        if (!record) {
          int[] none = new int[matrices.get(i).rows()];
          Arrays.fill(none, -1);
          w.add(
              new Document("d" + i, "", "doc " + i),
              matrices.get(i),
              new TokenAnnotations(tokens.get(i), none, none.clone()));
          continue;
        }
        ClusteredTokens.Doc doc = clusters.document(1, 30);
        TokenMatrix m = doc.matrix();
        String[] t = doc.tokens();
        w.add(new Document("d" + i, "", "doc " + i), m, doc.annotations());
        matrices.add(m);
        tokens.add(t);
      }
      w.commit();
    }
  }

  record Query(TokenMatrix matrix, String[] tokens) {}

  static Query query(int rows) {
    float[] data = new float[rows * DIM];
    String[] t = new String[rows];
    for (int i = 0; i < rows; i++) {
      int word = rnd.nextInt(WORDS + 3); // a few words no document has
      t[i] = "w" + word;
      float[] centre = word < WORDS ? clusters.word(word) : clusters.near(new float[DIM], 1f);
      System.arraycopy(clusters.near(centre, 0.2f), 0, data, i * DIM, DIM);
    }
    return new Query(new TokenMatrix(data, rows, DIM), t);
  }

  static QueryContext context(Query q) {
    return QueryContext.ofEncoded("q", q.matrix(), q.tokens(), VectorKernel.get());
  }

  static float dot(float[] a, int ao, float[] b, int bo, int dim) {
    float s = 0;
    for (int d = 0; d < dim; d++) s += a[ao + d] * b[bo + d];
    return s;
  }

  /** The vectors an int8 payload stands for. */
  static float[] int8(float[] data, int rows, int dim) {
    byte[] s = TokenCodec.INT8.encode(new TokenMatrix(data, rows, dim));
    return TokenCodec.INT8.decodePayload(s, StoredTokenMatrix.HEADER_BYTES, rows, dim).data();
  }

  /** m[i][d] = max over the doc's tokens of q_i · int8(d_j); -inf for an empty doc. */
  static float[][] tokenMaxima(TokenMatrix q) {
    float[][] m = new float[q.rows()][DOCS];
    for (int d = 0; d < DOCS; d++) {
      TokenMatrix doc = matrices.get(d);
      float[] dec = int8(doc.data(), doc.rows(), DIM);
      for (int i = 0; i < q.rows(); i++) {
        float best = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < doc.rows(); j++)
          best = Math.max(best, dot(q.data(), i * DIM, dec, j * DIM, DIM));
        m[i][d] = best;
      }
    }
    return m;
  }

  static int docOf(LatteIndex index, int mainDoc) throws Exception {
    return Integer.parseInt(index.id(mainDoc).substring(1));
  }

  @Test
  void xtrWithEveryListProbedScoresEveryDocumentByItsTokenMaxima() throws Exception {
    try (LatteIndex index = LatteIndex.open(path)) {
      for (int t = 0; t < 5; t++) {
        Query q = query(1 + rnd.nextInt(8));
        float[][] m = tokenMaxima(q.matrix());
        // Every list probed: XTR sees each document's true best token per query token; with k'
        // >= documents nothing is imputed, so the XTR score is MaxSim over the int8 codes.
        Candidates all = new XtrCandidates(16, DOCS).generate(index, context(q), Integer.MAX_VALUE);
        assertEquals(DOCS, all.size());
        for (int c = 0; c < all.size(); c++) {
          int d = docOf(index, all.docs()[c]);
          float exact = 0;
          for (float[] row : m) exact += row[d];
          assertEquals(exact, all.scores()[c], 1e-4f, "doc " + d);
        }
        // k' = 3: per query token the 3 best documents are retrieved, everything else imputed with
        // the 3rd best score; only documents retrieved for some query token are candidates.
        Candidates cut = new XtrCandidates(16, 3).generate(index, context(q), Integer.MAX_VALUE);
        Map<Integer, Float> expected = new HashMap<>();
        float[] kth = new float[m.length];
        for (int i = 0; i < m.length; i++) {
          float[] sorted = m[i].clone();
          Arrays.sort(sorted);
          kth[i] = sorted[DOCS - 3];
        }
        for (int d = 0; d < DOCS; d++) {
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
        assertEquals(expected.size(), cut.size());
        for (int c = 0; c < cut.size(); c++) {
          int d = docOf(index, cut.docs()[c]);
          assertTrue(expected.containsKey(d), "doc " + d + " was not among the retrieved");
          assertEquals(expected.get(d), cut.scores()[c], 1e-4f);
        }
      }
    }
  }

  @Test
  void xtrPlusMaxSimAtFullDepthIsExactMaxSim() throws Exception {
    try (LatteIndex index = LatteIndex.open(path)) {
      for (int t = 0; t < 5; t++) {
        Query q = query(6);
        var viaXtr =
            new RescoredMethod(new XtrCandidates(16, DOCS), DOCS).search(index, context(q), 10);
        var exact = new ExactMaxSimMethod().search(index, context(q), 10);
        assertEquals(exact.docs(), viaXtr.docs());
      }
    }
  }

  @Test
  void coilMatchesItsDefinition() throws Exception {
    try (LatteIndex index = LatteIndex.open(path);
        var dir =
            org.apache.lucene.store.FSDirectory.open(FirstStageIndex.dir(path, CoilBuilder.NAME))) {
      TokenMatrix p = CoilBuilder.readProjection(dir);
      int r = p.rows();
      for (int t = 0; t < 5; t++) {
        Query q = query(1 + rnd.nextInt(8));
        float[] qr = project(q.matrix(), p);
        Candidates got = new CoilCandidates().generate(index, context(q), Integer.MAX_VALUE);
        Map<Integer, Float> expected = new HashMap<>();
        for (int d = 0; d < DOCS; d++) {
          TokenMatrix doc = matrices.get(d);
          float[] dr = int8(project(doc, p), doc.rows(), r);
          boolean shares = false;
          float s = 0;
          for (int i = 0; i < q.matrix().rows(); i++) {
            float best = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < doc.rows(); j++) {
              if (!tokens.get(d)[j].equals(q.tokens()[i])) continue;
              best = Math.max(best, dot(qr, i * r, dr, j * r, r));
            }
            if (best != Float.NEGATIVE_INFINITY) {
              shares = true;
              s += best;
            }
          }
          if (shares) expected.put(d, s);
        }
        assertEquals(expected.size(), got.size(), "documents sharing a query token");
        for (int c = 0; c < got.size(); c++) {
          int d = docOf(index, got.docs()[c]);
          assertEquals(expected.get(d), got.scores()[c], 1e-4f, "doc " + d);
        }
        for (int c = 1; c < got.size(); c++) assertTrue(got.scores()[c - 1] >= got.scores()[c]);
      }
    }
  }

  static float[] project(TokenMatrix m, TokenMatrix p) {
    float[] out = new float[m.rows() * p.rows()];
    for (int j = 0; j < m.rows(); j++)
      for (int k = 0; k < p.rows(); k++)
        out[j * p.rows() + k] = dot(m.data(), j * DIM, p.data(), k * DIM, DIM);
    return out;
  }

  @Test
  void slimRefinementIsSparseLateInteractionAndStageOneBoundsIt() throws Exception {
    try (LatteIndex index = LatteIndex.open(path);
        var dir =
            org.apache.lucene.store.FSDirectory.open(FirstStageIndex.dir(path, SlimBuilder.NAME))) {
      SlimBuilder.Vocabulary vocab = SlimBuilder.readVocabulary(dir);
      Map<String, Integer> ids = vocab.ids();
      for (int t = 0; t < 5; t++) {
        Query q = query(1 + rnd.nextInt(8));
        List<SlimBuilder.Sparse> qs = new ArrayList<>();
        for (int i = 0; i < q.matrix().rows(); i++)
          qs.add(
              SlimBuilder.sparse(
                  vocab, q.matrix().data(), i * DIM, ids.get(q.tokens()[i]), 5, null));
        Map<Integer, Float> exact = new HashMap<>();
        Map<Integer, Float> bound = new HashMap<>();
        for (int d = 0; d < DOCS; d++) {
          TokenMatrix doc = matrices.get(d);
          List<SlimBuilder.Sparse> ds = new ArrayList<>();
          for (int j = 0; j < doc.rows(); j++)
            ds.add(
                SlimBuilder.sparse(vocab, doc.data(), j * DIM, ids.get(tokens.get(d)[j]), 5, null));
          float li = 0;
          for (SlimBuilder.Sparse qi : qs) {
            float best = 0;
            for (SlimBuilder.Sparse dj : ds) best = Math.max(best, sparseDot(qi, dj));
            li += best;
          }
          exact.put(d, li);
          float[] pooled = new float[vocab.terms().length];
          for (SlimBuilder.Sparse dj : ds)
            for (int e = 0; e < dj.ids().length; e++)
              pooled[dj.ids()[e]] = Math.max(pooled[dj.ids()[e]], dj.weights()[e]);
          float ub = 0;
          for (SlimBuilder.Sparse qi : qs)
            for (int e = 0; e < qi.ids().length; e++) ub += qi.weights()[e] * pooled[qi.ids()[e]];
          bound.put(d, ub);
          assertTrue(ub >= li - 1e-5, "the pooled score bounds late interaction");
        }
        var r = new SlimMethod(DOCS).search(index, context(q), DOCS);
        // Stored weights are bytes (1/255 steps), so refined scores carry a small error.
        float tol = q.matrix().rows() * 5 * 2f / 255f;
        for (ScoredDoc sd : r.docs()) {
          int d = docOf(index, sd.doc());
          assertEquals(exact.get(d), sd.score(), tol, "refined score of doc " + d);
        }
        // Stage 1 retrieves every document with a positive bound (depth covers them all).
        long positive = bound.values().stream().filter(v -> v > 1e-3).count();
        assertTrue(r.candidatesScored() >= positive - 2, r.candidatesScored() + " < " + positive);
      }
    }
  }

  static float sparseDot(SlimBuilder.Sparse a, SlimBuilder.Sparse b) {
    float s = 0;
    int i = 0, j = 0;
    while (i < a.ids().length && j < b.ids().length) {
      if (a.ids()[i] == b.ids()[j]) s += a.weights()[i++] * b.weights()[j++];
      else if (a.ids()[i] < b.ids()[j]) i++;
      else j++;
    }
    return s;
  }

  /** NumPy's .npy v1 layout for a float32 C-ordered matrix. */
  static void writeNpy(Path file, float[] data, int rows, int cols) throws Exception {
    String header =
        "{'descr': '<f4', 'fortran_order': False, 'shape': (" + rows + ", " + cols + "), }";
    int pad = 64 - (10 + header.length() + 1) % 64;
    header = header + " ".repeat(pad % 64) + "\n";
    var buf =
        java.nio.ByteBuffer.allocate(10 + header.length() + data.length * 4)
            .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    buf.put((byte) 0x93).put("NUMPY".getBytes()).put((byte) 1).put((byte) 0);
    buf.putShort((short) header.length()).put(header.getBytes());
    for (float f : data) buf.putFloat(f);
    java.nio.file.Files.write(file, buf.array());
  }

  @Test
  void slimUsesATrainedHeadFromTheModelFolder() throws Exception {
    int v = 30;
    float[] weight = new float[v * DIM];
    for (int i = 0; i < weight.length; i++) weight[i] = (float) rnd.nextGaussian();
    Path model = tmp.resolve("model-with-head");
    java.nio.file.Files.createDirectories(model.resolve("slim"));
    writeNpy(model.resolve("slim/projection.npy"), weight, v, DIM);
    List<String> vocabLines = new ArrayList<>();
    for (int i = 0; i < v; i++) vocabLines.add("p" + i);
    java.nio.file.Files.write(model.resolve("slim/vocab.txt"), vocabLines);
    Path main2 = tmp.resolve("main-trained");
    writeMain(main2, false);
    try (LatteIndex index = LatteIndex.open(main2)) {
      new SlimBuilder(new SlimBuilder.Params(4, 12), model)
          .build(index.path(), index.reader(), index.metadata(), IndexProgress.NONE);
    }
    try (LatteIndex index = LatteIndex.open(main2)) {
      Query q = query(5);
      // Brute force with the head: sparse(x) = top-4 of ReLU(W x).
      java.util.function.BiFunction<float[], Integer, SlimBuilder.Sparse> head =
          (x, off) -> {
            float[] sc = new float[v];
            for (int r = 0; r < v; r++) sc[r] = dot(x, off, weight, r * DIM, DIM);
            int[] top = SlimBuilder.topIndices(sc, v, 4);
            List<Integer> keep = new ArrayList<>();
            for (int t : top) if (sc[t] > 0) keep.add(t);
            keep.sort(null);
            float[] w = new float[keep.size()];
            for (int i = 0; i < w.length; i++) w[i] = sc[keep.get(i)];
            return new SlimBuilder.Sparse(keep.stream().mapToInt(Integer::intValue).toArray(), w);
          };
      List<SlimBuilder.Sparse> qs = new ArrayList<>();
      for (int i = 0; i < q.matrix().rows(); i++) qs.add(head.apply(q.matrix().data(), i * DIM));
      var r = new SlimMethod(DOCS).search(index, context(q), DOCS);
      assertTrue(r.docs().size() > 0, "a random head still matches some documents");
      for (ScoredDoc sd : r.docs()) {
        int d = docOf(index, sd.doc());
        TokenMatrix doc = matrices.get(d);
        float li = 0;
        for (SlimBuilder.Sparse qi : qs) {
          float best = 0;
          for (int j = 0; j < doc.rows(); j++)
            best = Math.max(best, sparseDot(qi, head.apply(doc.data(), j * DIM)));
          li += best;
        }
        assertEquals(li, sd.score(), 0.01f * Math.max(1f, li), "doc " + d);
      }
    }
  }
}
