package dev.latte.searcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.core.codec.TokenCodec;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.datasets.BeirDataset;
import dev.latte.encoders.BundledModel;
import dev.latte.encoders.OnnxTokenEncoder;
import dev.latte.indexer.IndexLayout;
import dev.latte.indexer.IndexMismatchException;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.IndexRecoder;
import dev.latte.indexer.IndexStats;
import dev.latte.indexer.LatteIndexWriter;
import dev.latte.indexer.pooling.TokenPooler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.util.BytesRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every codec x pool factor, re-coded from one float32 ADI index, is searched exactly as it claims:
 * its scores equal brute-force float MaxSim over the pooled-then-decoded matrices of the base
 * index; and its ranking stays close to exact float32 MaxSim without pooling.
 */
class CodecAndPoolingIndexTest {
  @TempDir static Path tmp;
  static OnnxTokenEncoder encoder;
  static Path base;
  static Map<String, TokenMatrix> baseMatrices = new HashMap<>();
  static final List<String> QUERIES =
      List.of(
          "computer indexing of documents",
          "information retrieval evaluation",
          "automatic abstracting",
          "citation analysis");

  @BeforeAll
  static void build() throws Exception {
    Path adi = IndexAndSearchTest.adi();
    encoder = OnnxTokenEncoder.load(BundledModel.folder(), 2, 1);
    base = tmp.resolve("base");
    try (LatteIndexWriter w = LatteIndexWriter.open(base, encoder, adi.toString());
        var docs = BeirDataset.open(adi).corpus()) {
      w.addAll(docs, 2, 16, IndexProgress.NONE);
      w.commit();
    }
    try (LatteIndex index = LatteIndex.open(base)) {
      for (LeafReaderContext leaf : index.reader().leaves()) {
        BinaryDocValues v = leaf.reader().getBinaryDocValues(IndexLayout.TOKENS);
        for (int d = v.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = v.nextDoc()) {
          BytesRef b = v.binaryValue();
          baseMatrices.put(
              index.id(leaf.docBase + d),
              StoredTokenMatrix.decode(b.bytes, b.offset, b.length, 384));
        }
      }
    }
  }

  @AfterAll
  static void close() {
    encoder.close();
  }

  static List<IndexOptions> options() {
    List<IndexOptions> out = new java.util.ArrayList<>();
    for (TokenCodec c : TokenCodec.values())
      for (int p : new int[] {1, 2, 3}) out.add(new IndexOptions(c, p));
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("options")
  void recodedIndexScoresExactlyTheApproximationItStores(IndexOptions opt) throws Exception {
    Path target = tmp.resolve(opt.label());
    IndexStats stats = IndexRecoder.recode(base, target, opt, IndexProgress.NONE);
    TokenPooler pooler = new TokenPooler(opt.poolFactor(), false);
    Map<String, TokenMatrix> approx = new HashMap<>();
    long tokens = 0;
    // Residual codes: the codebook the re-coding trained and froze, tokens assigned as it does.
    var book =
        opt.codec().isResidual() ? dev.latte.indexer.ResidualCodebookFile.read(target) : null;
    for (var e : baseMatrices.entrySet()) {
      TokenMatrix pooled = opt.poolFactor() == 1 ? e.getValue() : pooler.pool(e.getValue());
      if (book != null) {
        int[] ids = new int[pooled.rows()];
        VectorKernel.get().assignCentroids(book, pooled.data(), 0, pooled.rows(), ids);
        byte[] coded = book.encode(pooled, ids);
        approx.put(e.getKey(), book.decode(coded, 0, coded.length));
      } else {
        byte[] coded = StoredTokenMatrix.encode(pooled, opt.codec());
        approx.put(e.getKey(), opt.codec().decode(coded, 0, coded.length, 384));
      }
      tokens += pooled.rows();
    }
    assertEquals(82, stats.documents());
    assertEquals(tokens, stats.tokens());
    assertEquals(
        opt.codec().bytesPerToken(384) + (double) StoredTokenMatrix.HEADER_BYTES * 82 / tokens,
        stats.bytesPerToken(),
        1e-6);

    VectorKernel scalar = VectorKernel.scalar();
    try (LatteIndex index = LatteIndex.open(target);
        LatteIndex exactIndex = LatteIndex.open(base)) {
      assertEquals(opt, index.metadata().options());
      LatteSearcher searcher = new LatteSearcher(index, encoder);
      LatteSearcher exact = new LatteSearcher(exactIndex, encoder);
      int overlap = 0;
      for (String text : QUERIES) {
        TokenMatrix q = encoder.encodeQuery(text).matrix();
        var hits = searcher.search("maxsim-exact", text, 10).hits();
        for (var h : hits) {
          float expected = scalar.maxSim(q, approx.get(h.docid()));
          assertEquals(expected, h.score(), 1e-3f * q.rows(), opt + " " + text + " " + h.docid());
        }
        Set<String> top = new HashSet<>();
        exact.search("maxsim-exact", text, 10).hits().forEach(h -> top.add(h.docid()));
        for (var h : hits) if (top.contains(h.docid())) overlap++;
      }
      // Top-10 agreement with exact float32 MaxSim over 4 queries (40 slots). Measured on ADI:
      // 40 for float32/float16/int8 unpooled, 36 pooled at 2 and 3, 34/34/32 for 1-bit at 1/2/3;
      // residual-4 38/35/34, residual-2 37/36/36, residual-1 35/32/34 (a codebook trained on
      // ADI's ~5 k tokens: 256 centroids).
      // The bounds leave a few slots of slack and fail for a broken codec or pooler (a random
      // ranking of 82 documents overlaps ~5 of 40).
      int required =
          switch (opt.codec()) {
            case FLOAT32, FLOAT16, INT8 -> opt.poolFactor() == 1 ? 39 : 32;
            case BIT -> 28;
            case RESIDUAL_4, RESIDUAL_2 -> opt.poolFactor() == 1 ? 35 : 32;
            case RESIDUAL_1 -> 29;
          };
      assertTrue(overlap >= required, opt + ": top-10 overlap " + overlap + "/40 < " + required);
      assertEquals(opt.codec() == TokenCodec.BIT, searcher.methods().contains("maxsim-hamming"));
      // The static list the help texts and the page show is what a searcher answers, in order.
      List<String> named = new java.util.ArrayList<>(LatteSearcher.methodNames());
      if (opt.codec() != TokenCodec.BIT) named.remove("maxsim-hamming");
      assertEquals(named, searcher.methods());
      if (opt.codec() == TokenCodec.BIT) {
        var h = searcher.search("maxsim-hamming", QUERIES.getFirst(), 10).hits();
        assertEquals(10, h.size());
        assertTrue(h.getFirst().score() <= encoder.encodeQuery(QUERIES.getFirst()).length() + 1e-4);
      }
    }
  }

  @Test
  void writerRefusesToMixCodecsOrPoolFactors() throws Exception {
    Path p = tmp.resolve("int8-p2-direct");
    Path adi = IndexAndSearchTest.adi();
    try (LatteIndexWriter w =
        LatteIndexWriter.open(
            p, encoder, adi.toString(), "", new IndexOptions(TokenCodec.INT8, 2))) {
      w.addAll(BeirDataset.open(adi).corpus().limit(5), 1, 8, IndexProgress.NONE);
      w.commit();
    }
    var e =
        assertThrows(
            IndexMismatchException.class,
            () ->
                LatteIndexWriter.open(
                    p, encoder, adi.toString(), "", new IndexOptions(TokenCodec.INT8, 1)));
    assertTrue(
        e.getMessage().contains("int8-p2") && e.getMessage().contains("int8-p1"), e.getMessage());
    e =
        assertThrows(
            IndexMismatchException.class,
            () ->
                IndexRecoder.recode(
                    p, tmp.resolve("again"), IndexOptions.DEFAULT, IndexProgress.NONE));
    assertTrue(e.getMessage().contains("needs a float32 index"), e.getMessage());
    try (LatteIndex index = LatteIndex.open(p)) {
      assertEquals(5, index.stats().documents());
      assertFalse(
          new LatteSearcher(index, encoder).search("maxsim-exact", "indexing", 3).hits().isEmpty());
    }
    assertTrue(Files.isRegularFile(p.resolve(IndexLayout.STATS_FILE)));
  }
}
