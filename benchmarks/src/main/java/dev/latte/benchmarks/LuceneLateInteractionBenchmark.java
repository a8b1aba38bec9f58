package dev.latte.benchmarks;

import dev.latte.core.FileTrees;
import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.core.codec.TokenCodec;
import dev.latte.core.kernel.PreparedQuery;
import dev.latte.core.kernel.VectorKernel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.apache.lucene.document.BinaryDocValuesField;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.LateInteractionField;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.DoubleValues;
import org.apache.lucene.search.LateInteractionFloatValuesSource;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.MMapDirectory;
import org.apache.lucene.util.BytesRef;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Brute-force rescoring of one whole segment for one query: Lucene's own late-interaction support
 * against our stored layout + kernel, on the same documents in the same index.
 *
 * <p>Setup writes {@link #DOCS} documents of {@code docTokens} random unit vectors into one {@link
 * MMapDirectory} index in a temp dir, force-merged to one segment. Every document carries the same
 * matrix twice: as Lucene's {@link LateInteractionField} ({@value #LUCENE_FIELD}) and as our {@link
 * StoredTokenMatrix} float32 value in a plain {@link BinaryDocValuesField} ({@value #LATTE_FIELD}).
 * One benchmark operation = one document scored ({@link OperationsPerInvocation}); one invocation
 * scores all {@link #DOCS} documents, so the score is documents/s and the ratio of two scores is
 * the speed-up. Each invocation includes the per-query setup (Lucene {@code getValues}, our {@code
 * prepare}), a fresh doc-values iterator, reading each value out of the mmapped file, decoding it
 * and the MaxSim arithmetic.
 *
 * <ul>
 *   <li>{@link #lucene}: {@code LateInteractionFloatValuesSource(field, query, DOT_PRODUCT)
 *       .getValues(leaf, null)}, then {@code advanceExact(doc)} + {@code doubleValue()} per doc.
 *       Lucene decodes each value into a fresh {@code float[][]} and calls {@code
 *       VectorUtil.dotProduct} per (query token, document token) pair. Note DOT_PRODUCT scores are
 *       rescaled to {@code (1 + dot) / 2} per pair, so Lucene's score is {@code (32 + ours) / 2}:
 *       same ranking, and the extra add/multiply per pair is negligible next to a 128- or 384-dim
 *       dot product.
 *   <li>{@link #oursPanama}: the searcher's path ({@code MaxSimScorer.score}): BinaryDocValues
 *       iteration, {@code StoredTokenMatrix.header} per value, then the kernel method for the
 *       value's codec; for float32 that is {@code maxSimFloat32}, in place on the stored bytes.
 *       Vector API kernel.
 *   <li>{@link #oursPanamaDecode}: the same, but float32 first decoded whole into one reused
 *       scratch {@code float[]} ({@code StoredTokenMatrix.decodeFloat32}) and scored with {@code
 *       maxSim}: the searcher's float32 path before {@code maxSimFloat32}, kept to show what in
 *       place saves.
 *   <li>{@link #oursScalar}: {@link #oursPanama}'s path with the scalar reference kernel.
 * </ul>
 *
 * FLOP/s = docs/s * 2 * 32 * docTokens * dim, as for {@link MaxSimKernelBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
// Lucene's path needs ~10 s of warm-up before C2 has compiled it (measured on a busy 2-core box:
// 1.3k docs/s for the first 8 s, then 9k docs/s at dim 128); shorter warm-up measures the JIT, not
// Lucene.
@Warmup(iterations = 8, time = 2)
@Measurement(iterations = 5, time = 2)
public class LuceneLateInteractionBenchmark {
  public static final int DOCS = 1000;
  public static final int QUERY_TOKENS = 32;
  public static final String LUCENE_FIELD = "lucene_late_interaction";
  public static final String LATTE_FIELD = "latte_tokens";

  @Param({"128", "384"})
  public int dim;

  @Param({"200"})
  public int docTokens;

  Path indexDir;
  Directory directory;
  DirectoryReader reader;
  LeafReaderContext leaf;
  TokenMatrix query;
  float[][] queryRows;
  VectorKernel scalarKernel;
  VectorKernel panamaKernel;
  float[] scratch = new float[0];
  float[] scores;

  @Setup
  public void setup() throws IOException {
    build(DOCS, 0, 42);
  }

  /**
   * Writes {@code numDocs} documents of {@code docTokens +- jitter} tokens (seeded) with both
   * fields, force-merges to one segment and opens it. The benchmark uses jitter 0; tests use jitter
   * to reach the kernels' remainder loops.
   */
  void build(int numDocs, int jitter, long seed) throws IOException {
    SplittableRandom rnd = new SplittableRandom(seed);
    query = BenchData.unitMatrix(rnd, QUERY_TOKENS, dim);
    queryRows = query.toArray();
    scalarKernel = VectorKernel.scalar();
    panamaKernel = BenchData.panama();
    scores = new float[numDocs];

    indexDir = Files.createTempDirectory("latte-bench-index");
    directory = new MMapDirectory(indexDir);
    IndexWriterConfig config =
        new IndexWriterConfig().setRAMBufferSizeMB(256).setUseCompoundFile(false);
    try (IndexWriter writer = new IndexWriter(directory, config)) {
      for (int i = 0; i < numDocs; i++) {
        int tokens = jitter == 0 ? docTokens : docTokens - jitter + rnd.nextInt(2 * jitter + 1);
        TokenMatrix doc = BenchData.unitMatrix(rnd, tokens, dim);
        Document d = new Document();
        d.add(new LateInteractionField(LUCENE_FIELD, doc.toArray()));
        d.add(new BinaryDocValuesField(LATTE_FIELD, new BytesRef(TokenCodec.FLOAT32.encode(doc))));
        writer.addDocument(d);
      }
      writer.forceMerge(1);
      writer.commit();
    }
    reader = DirectoryReader.open(directory);
    if (reader.leaves().size() != 1 || reader.maxDoc() != numDocs) {
      throw new IllegalStateException(
          "expected one segment of " + numDocs + " docs, got " + reader.leaves());
    }
    leaf = reader.leaves().get(0);
  }

  @TearDown
  public void tearDown() throws IOException {
    reader.close();
    directory.close();
    FileTrees.deleteRecursively(indexDir);
  }

  @Benchmark
  @OperationsPerInvocation(DOCS)
  public float[] lucene() throws IOException {
    scoreLucene(scores);
    return scores;
  }

  @Benchmark
  @OperationsPerInvocation(DOCS)
  public float[] oursPanama() throws IOException {
    scoreOurs(panamaKernel, scores);
    return scores;
  }

  /**
   * {@link #oursPanama} with float32 decoded whole into the scratch buffer, then {@code maxSim}.
   */
  @Benchmark
  @OperationsPerInvocation(DOCS)
  public float[] oursPanamaDecode() throws IOException {
    scoreOursDecode(panamaKernel, scores);
    return scores;
  }

  @Benchmark
  @OperationsPerInvocation(DOCS)
  public float[] oursScalar() throws IOException {
    scoreOurs(scalarKernel, scores);
    return scores;
  }

  /**
   * Lucene's score of every document of the segment, in doc-id order (Lucene's [0,1]-per-pair
   * scale).
   */
  void scoreLucene(float[] out) throws IOException {
    DoubleValues values =
        new LateInteractionFloatValuesSource(
                LUCENE_FIELD, queryRows, VectorSimilarityFunction.DOT_PRODUCT)
            .getValues(leaf, null);
    int maxDoc = leaf.reader().maxDoc();
    for (int doc = 0; doc < maxDoc; doc++) {
      out[doc] = values.advanceExact(doc) ? (float) values.doubleValue() : Float.NaN;
    }
  }

  /**
   * Our MaxSim of every document of the segment, in doc-id order, the way the searcher's {@code
   * MaxSimScorer} scores a value: header, then the kernel method for the value's codec (float32:
   * {@code maxSimFloat32} on the stored bytes).
   */
  void scoreOurs(VectorKernel kernel, float[] out) throws IOException {
    scoreOurs(kernel, false, out);
  }

  /**
   * {@link #scoreOurs} with float32 decoded into the reused scratch buffer and scored by {@code
   * maxSim}.
   */
  void scoreOursDecode(VectorKernel kernel, float[] out) throws IOException {
    scoreOurs(kernel, true, out);
  }

  private void scoreOurs(VectorKernel kernel, boolean decodeFloat32, float[] out)
      throws IOException {
    PreparedQuery q = kernel.prepare(query);
    BinaryDocValues values = leaf.reader().getBinaryDocValues(LATTE_FIELD);
    for (int doc = values.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = values.nextDoc()) {
      out[doc] = score(kernel, q, decodeFloat32, values.binaryValue());
    }
  }

  /**
   * One stored value, as {@code dev.latte.searcher.MaxSimScorer.score} does it (asymmetric bit
   * scoring). The benchmark's index holds float32 values only; the other codecs are here so that
   * the path is the searcher's, switch included. (The searcher module is not a dependency of the
   * benchmarks, so the few lines are repeated here.)
   */
  private float score(VectorKernel kernel, PreparedQuery q, boolean decodeFloat32, BytesRef value) {
    StoredTokenMatrix.Header h =
        StoredTokenMatrix.header(value.bytes, value.offset, value.length, dim);
    int payload = StoredTokenMatrix.Header.payloadOffset(value.offset);
    return switch (h.codec()) {
      case FLOAT32 -> {
        if (!decodeFloat32) {
          yield kernel.maxSimFloat32(q, value.bytes, payload, h.tokens());
        }
        scratch =
            StoredTokenMatrix.decodeFloat32(value.bytes, value.offset, h.tokens(), dim, scratch);
        yield kernel.maxSim(q, scratch, 0, h.tokens());
      }
      case FLOAT16 -> kernel.maxSimFloat16(q, value.bytes, payload, h.tokens());
      case INT8 -> kernel.maxSimInt8(q, value.bytes, payload, h.tokens());
      case BIT -> kernel.maxSimBit(q, value.bytes, payload, h.tokens());
      case RESIDUAL_1, RESIDUAL_2, RESIDUAL_4 ->
          throw new IllegalArgumentException("this benchmark does not build residual indexes");
    };
  }

  /** Maps a Lucene DOT_PRODUCT late-interaction score back to our raw sum of max dot products. */
  static float luceneToRaw(float luceneScore, int queryTokens) {
    return 2f * luceneScore - queryTokens;
  }
}
