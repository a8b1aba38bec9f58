package dev.latte.searcher.sharded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.ResidualCodebook;
import dev.latte.core.codec.TokenCodec;
import dev.latte.datasets.Document;
import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.JobState;
import dev.latte.indexer.LatteIndexReaderSupport;
import dev.latte.indexer.LatteIndexWriter;
import dev.latte.indexer.ModelIdentity;
import dev.latte.indexer.ResidualCodebookFile;
import dev.latte.indexer.ShardManifest;
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.searcher.Filters;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.LatteSearcher;
import dev.latte.searcher.firststage.FirstStages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.search.Query;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WARP over 4 shards that share one index's codebook equals WARP over that index: {@code warp}
 * (scores summed with imputation) and {@code warp+maxsim} give the same top-10 ids and scores, with
 * and without a filter, whether the shards are scanned one after the other or on 3 threads. The
 * index is the default codec (residual-2; its codebook is the WARP lists' too). Shards with packed
 * lists (as a build writes them) are compared with the index built so, shards whose WARP documents
 * were derived one by one (as the Spark job writes them) with the index derived so: the two ways
 * may code a token differently (deriving re-codes the decoded vector, whose nearest centroid can
 * differ from the stored one), so each is compared with its own kind. Vectors are seeded gaussians
 * around shared cluster centres: scores do not tie, so ids compare rank by rank.
 */
class ShardedWarpTest {
  static final int DIM = 32, SHARDS = 4, DOCS = 600;
  static final IndexOptions RESIDUAL_2 = new IndexOptions(TokenCodec.RESIDUAL_2, 1);
  static final ModelIdentity MODEL = new ModelIdentity("gauss", "gauss-32-v1", DIM, false, null);
  @TempDir static Path tmp;
  static LatteSearcher singlePacked, singleDerived, packedSequential, packedParallel;
  static LatteSearcher derivedParallel, singleWalked, packedWalked;
  static final List<TokenMatrix> queries = new ArrayList<>();
  static float[] centres;

  static TokenMatrix tokens(SplittableRandom r, int rows) {
    float[] data = new float[rows * DIM];
    int[] mine = {r.nextInt(40), r.nextInt(40), r.nextInt(40)};
    for (int t = 0; t < rows; t++) {
      int c = mine[r.nextInt(mine.length)];
      double norm = 0;
      for (int j = 0; j < DIM; j++) {
        float x = centres[c * DIM + j] + (float) (0.5 * r.nextGaussian());
        data[t * DIM + j] = x;
        norm += x * x;
      }
      float inv = (float) (1 / Math.sqrt(norm));
      for (int j = 0; j < DIM; j++) data[t * DIM + j] *= inv;
    }
    return new TokenMatrix(data, rows, DIM);
  }

  @BeforeAll
  static void build() throws Exception {
    SplittableRandom r = new SplittableRandom(15);
    centres = new float[40 * DIM];
    for (int i = 0; i < centres.length; i++) centres[i] = (float) r.nextGaussian() / 3;
    ObjectMapper json = new ObjectMapper();
    List<Document> docs = new ArrayList<>();
    List<TokenMatrix> mats = new ArrayList<>();
    for (int i = 0; i < DOCS; i++) {
      ObjectNode meta = json.createObjectNode().put("year", 2000 + r.nextInt(10));
      docs.add(new Document("d" + i, "", "document " + i, meta));
      mats.add(tokens(r, 4 + r.nextInt(30)));
    }
    for (int i = 0; i < 10; i++) queries.add(tokens(r, 4 + 4 * (i % 4)));

    Path one = tmp.resolve("one");
    try (LatteIndexWriter w =
        LatteIndexWriter.openForEncoded(one, MODEL, "gauss", "", RESIDUAL_2)) {
      for (int i = 0; i < DOCS; i++) w.add(docs.get(i), mats.get(i));
      w.commit();
    }
    // The same main index with its WARP documents derived one by one instead of packed.
    Path oneDerived = tmp.resolve("one-derived");
    Files.createDirectories(oneDerived);
    try (var files = Files.list(one)) {
      for (Path f : files.toList()) Files.copy(f, oneDerived.resolve(f.getFileName()));
    }
    FirstStages.build(one, List.of("warp"), false, n -> IndexProgress.NONE, System.out);
    List<Path> params;
    try (var s = Files.list(FirstStageIndex.dir(one, "warp"))) {
      params = s.filter(f -> f.getFileName().toString().startsWith("latte_warp_codebook")).toList();
    }
    try (var dir = FSDirectory.open(oneDerived);
        DirectoryReader reader = DirectoryReader.open(dir)) {
      Path folder = FirstStageIndex.dir(oneDerived, "warp");
      Files.createDirectories(folder);
      for (Path f : params) Files.copy(f, folder.resolve(f.getFileName()));
      FirstStageIndex.derive(
          FirstStages.builders().get("warp"),
          folder,
          reader,
          LatteIndexReaderSupport.metadataOf(reader.getIndexCommit()),
          IndexProgress.NONE);
    }
    Path packed = shards(tmp.resolve("sharded-packed"), one, params, docs, mats, true);
    Path derived = shards(tmp.resolve("sharded-derived"), one, params, docs, mats, false);
    singlePacked = new LatteSearcher(LatteIndex.open(one), null);
    singleDerived = new LatteSearcher(LatteIndex.open(oneDerived), null);
    packedSequential = new LatteSearcher(ShardedIndex.open(packed, 1), null);
    packedParallel = new LatteSearcher(ShardedIndex.open(packed, 3), null);
    derivedParallel = new LatteSearcher(ShardedIndex.open(derived, 3), null);
    // A small t': the imputed value comes from walking the best lists until they hold 50 tokens,
    // so the sizes the selection sees must be the lists' over all shards.
    var walk =
        dev.latte.searcher.SearchSettings.DEFAULT.withStageParameters(
            Map.of("warp.t-prime", 50, "warp.probes", 8));
    var kernel = dev.latte.core.kernel.VectorKernel.get();
    singleWalked = new LatteSearcher(singlePacked.index(), null, kernel, walk);
    packedWalked = new LatteSearcher(packedParallel.index(), null, kernel, walk);
  }

  /**
   * The documents split into {@value #SHARDS} shards by id hash, coded with {@code one}'s codebook
   * (also beside the manifest); each shard's WARP stage packed (as a build writes it) or derived
   * document by document (as the Spark job writes it).
   */
  static Path shards(
      Path sharded,
      Path one,
      List<Path> params,
      List<Document> docs,
      List<TokenMatrix> mats,
      boolean packed)
      throws Exception {
    ResidualCodebook book = ResidualCodebookFile.read(one);
    Files.createDirectories(FirstStageIndex.dir(sharded, "warp"));
    Files.copy(one.resolve(ResidualCodebookFile.FILE), sharded.resolve(ResidualCodebookFile.FILE));
    for (Path f : params)
      Files.copy(f, FirstStageIndex.dir(sharded, "warp").resolve(f.getFileName()));
    List<ShardManifest.Shard> shards = new ArrayList<>();
    IndexMetadata meta = null;
    for (int s = 0; s < SHARDS; s++) {
      Path p = sharded.resolve(ShardManifest.shardName(s));
      int n = 0;
      try (LatteIndexWriter w =
          LatteIndexWriter.openForEncoded(p, MODEL, "gauss", "", RESIDUAL_2, book)) {
        w.startSequencesAt(ShardManifest.firstSeq(s));
        for (int i = 0; i < DOCS; i++)
          if (ShardManifest.shardOf(docs.get(i).id(), SHARDS) == s) {
            w.add(docs.get(i), mats.get(i));
            // Two commits: a shard of two segments, so shards and leaves differ.
            if (++n == 40) w.commit();
          }
        w.commit();
      }
      Path folder = FirstStageIndex.dir(p, "warp");
      try (var dir = FSDirectory.open(p);
          DirectoryReader reader = DirectoryReader.open(dir)) {
        meta = LatteIndexReaderSupport.metadataOf(reader.getIndexCommit());
        var builder = FirstStages.builders().get("warp");
        if (packed) builder.buildIn(folder, reader, meta, IndexProgress.NONE);
        else {
          Files.createDirectories(folder);
          for (Path f : params) Files.copy(f, folder.resolve(f.getFileName()));
          FirstStageIndex.derive(builder, folder, reader, meta, IndexProgress.NONE);
        }
      }
      assertEquals(packed, Files.exists(folder.resolve("latte_warp_lists.bin")), p.toString());
      shards.add(
          new ShardManifest.Shard(ShardManifest.shardName(s), n, 0, ShardManifest.firstSeq(s)));
    }
    ShardManifest m =
        new ShardManifest(
            ShardManifest.LAYOUT_VERSION,
            "test",
            meta,
            shards,
            Map.of(
                "warp",
                new ShardManifest.Stage(FirstStages.get("warp").format().stamp(), Map.of())),
            DOCS,
            JobState.Counters.ZERO);
    Files.writeString(sharded.resolve(ShardManifest.FILE), m.toJson());
    return sharded;
  }

  @AfterAll
  static void close() throws IOException {
    for (LatteSearcher s :
        new LatteSearcher[] {
          singlePacked, singleDerived, packedSequential, packedParallel, derivedParallel
        }) if (s != null) s.close();
  }

  @Test
  void warpOverShardsEqualsOneIndexWithTheSameCodebook() throws IOException {
    assertEquals(3, packedParallel.index().fanOut().threads());
    Query[] filters = {
      null, Filters.parse("{\"range\": {\"year\": {\"gte\": 2003, \"lt\": 2007}}}")
    };
    int compared = 0;
    for (String method : List.of("warp", "warp+maxsim"))
      for (Query filter : filters)
        for (int qi = 0; qi < queries.size(); qi++) {
          TokenMatrix q = queries.get(qi);
          String what = method + " / query " + qi + " / filter " + filter;
          // Each sharded index against the one index whose WARP stage was written the same way.
          LatteSearcher[][] pairs = {
            {singlePacked, packedSequential},
            {singlePacked, packedParallel},
            {singleDerived, derivedParallel},
            {singleWalked, packedWalked}
          };
          for (LatteSearcher[] pair : pairs) {
            var a = pair[0].searchVectors(method, "q" + qi, q, 10, filter, false);
            // Under the filter WARP may find fewer than 10: documents whose tokens lie only in
            // lists its bound skipped are no candidates (with these scattered random tokens the
            // least-squares scales are well below 1, so the bound skips more).
            if (filter == null) assertEquals(10, a.hits().size(), what);
            else assertTrue(a.hits().size() >= 5, what + ": " + a.hits().size());
            var b = pair[1].searchVectors(method, "q" + qi, q, 10, filter, false);
            assertEquals(a.hits().size(), b.hits().size(), what);
            for (int i = 0; i < a.hits().size(); i++) {
              assertEquals(a.hits().get(i).docid(), b.hits().get(i).docid(), what + " rank " + i);
              // The Vector API kernels may round a lane reduction differently once compiled.
              assertEquals(
                  a.hits().get(i).score(), b.hits().get(i).score(), 1e-4f, what + " rank " + i);
            }
            compared += b.hits().size();
          }
          if (method.equals("warp")) {
            // The sharded path ran: its steps carry the parallel scans' wall time and the merge.
            var steps =
                packedParallel.searchVectors(method, "q", q, 10, filter, false).stepsMillis();
            assertTrue(steps.containsKey("merge") && steps.containsKey("shards"), "" + steps);
            var one = singlePacked.searchVectors(method, "q", q, 10, filter, false).stepsMillis();
            assertTrue(!one.containsKey("merge"), "" + one);
          }
        }
    assertTrue(compared > 2 * 2 * queries.size() * 4 * 9, "hits compared: " + compared);
  }
}
