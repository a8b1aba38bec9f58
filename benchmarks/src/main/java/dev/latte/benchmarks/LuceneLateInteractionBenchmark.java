package dev.latte.benchmarks;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.core.kernel.MaxSimKernel;
import dev.latte.core.kernel.MaxSimKernels;
import dev.latte.core.kernel.PreparedQuery;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
 * <p>Setup writes {@link #DOCS} documents of {@code docTokens} random unit vectors into one
 * {@link MMapDirectory} index in a temp dir, force-merged to one segment. Every document carries
 * the same matrix twice: as Lucene's {@link LateInteractionField} ({@value #LUCENE_FIELD}) and as our
 * {@link StoredTokenMatrix} float32 value in a plain {@link BinaryDocValuesField}
 * ({@value #LATTE_FIELD}). One benchmark operation = one document scored ({@link
 * OperationsPerInvocation}); one invocation scores all {@link #DOCS} documents, so the score is
 * documents/s and the ratio of two scores is the speed-up. Each invocation includes the per-query
 * setup (Lucene {@code getValues}, our {@code prepare}), a fresh doc-values iterator, reading each
 * value out of the mmapped file, decoding it and the MaxSim arithmetic.
 *
 * <ul>
 *   <li>{@link #lucene}: {@code LateInteractionFloatValuesSource(field, query, DOT_PRODUCT)
 *       .getValues(leaf, null)}, then {@code advanceExact(doc)} + {@code doubleValue()} per doc. Lucene
 *       decodes each value into a fresh {@code float[][]} and calls {@code VectorUtil.dotProduct}
 *       per (query token, document token) pair. Note DOT_PRODUCT scores are rescaled to {@code
 *       (1 + dot) / 2} per pair, so Lucene's score is {@code (32 + ours) / 2}: same ranking, and the
 *       extra add/multiply per pair is negligible next to a 128- or 384-dim dot product.
 *   <li>{@link #oursPanama}: BinaryDocValues iteration, {@code StoredTokenMatrix.tokens} + {@code
 *       decodeFloat32} into one reused scratch buffer, Vector API kernel.
 *   <li>{@link #oursScalar}: the same with the scalar reference kernel.
 *   <li>{@link #oursPanamaWideTile}: prototype, the same with {@code WideTilePanamaKernel}.
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
// 1.3k docs/s for the first 8 s, then 9k docs/s at dim 128); shorter warm-up measures the JIT, not Lucene.
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
  MaxSimKernel scalarKernel;
  MaxSimKernel panamaKernel;
  WideTilePanamaKernel panamaWideKernel;
  float[] scratch = new float[0];
  float[] scores;

  @Setup
  public void setup() throws IOException {
    build(DOCS, 0, 42);
  }

  /**
   * Writes {@code numDocs} documents of {@code docTokens +- jitter} tokens (seeded) with both fields,
   * force-merges to one segment and opens it. The benchmark uses jitter 0; tests use jitter to reach
   * the kernels' remainder loops.
   */
  void build(int numDocs, int jitter, long seed) throws IOException {
    SplittableRandom rnd = new SplittableRandom(seed);
    query = BenchData.unitMatrix(rnd, QUERY_TOKENS, dim);
    queryRows = query.toArray();
    scalarKernel = MaxSimKernels.scalar();
    panamaKernel = BenchData.panama();
    panamaWideKernel = new WideTilePanamaKernel();
    scores = new float[numDocs];

    indexDir = Files.createTempDirectory("latte-bench-index");
    directory = new MMapDirectory(indexDir);
    IndexWriterConfig config = new IndexWriterConfig().setRAMBufferSizeMB(256).setUseCompoundFile(false);
    try (IndexWriter writer = new IndexWriter(directory, config)) {
      for (int i = 0; i < numDocs; i++) {
        int tokens = jitter == 0 ? docTokens : docTokens - jitter + rnd.nextInt(2 * jitter + 1);
        TokenMatrix doc = BenchData.unitMatrix(rnd, tokens, dim);
        Document d = new Document();
        d.add(new LateInteractionField(LUCENE_FIELD, doc.toArray()));
        d.add(new BinaryDocValuesField(LATTE_FIELD, new BytesRef(StoredTokenMatrix.encodeFloat32(doc))));
        writer.addDocument(d);
      }
      writer.forceMerge(1);
      writer.commit();
    }
    reader = DirectoryReader.open(directory);
    if (reader.leaves().size() != 1 || reader.maxDoc() != numDocs) {
      throw new IllegalStateException("expected one segment of " + numDocs + " docs, got " + reader.leaves());
    }
    leaf = reader.leaves().get(0);
  }

  @TearDown
  public void tearDown() throws IOException {
    reader.close();
    directory.close();
    try (Stream<Path> files = Files.walk(indexDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(LuceneLateInteractionBenchmark::delete);
    }
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

  @Benchmark
  @OperationsPerInvocation(DOCS)
  public float[] oursScalar() throws IOException {
    scoreOurs(scalarKernel, scores);
    return scores;
  }

  /** Prototype only (not core): {@link #oursPanama} with the 8-token register tile of WideTilePanamaKernel. */
  @Benchmark
  @OperationsPerInvocation(DOCS)
  public float[] oursPanamaWideTile() throws IOException {
    scoreOursWideTile(scores);
    return scores;
  }

  /** Lucene's score of every document of the segment, in doc-id order (Lucene's [0,1]-per-pair scale). */
  void scoreLucene(float[] out) throws IOException {
    DoubleValues values =
        new LateInteractionFloatValuesSource(LUCENE_FIELD, queryRows, VectorSimilarityFunction.DOT_PRODUCT)
            .getValues(leaf, null);
    int maxDoc = leaf.reader().maxDoc();
    for (int doc = 0; doc < maxDoc; doc++) {
      out[doc] = values.advanceExact(doc) ? (float) values.doubleValue() : Float.NaN;
    }
  }

  /** Our MaxSim of every document of the segment, in doc-id order. */
  void scoreOurs(MaxSimKernel kernel, float[] out) throws IOException {
    PreparedQuery q = kernel.prepare(query);
    BinaryDocValues values = leaf.reader().getBinaryDocValues(LATTE_FIELD);
    float[] buf = scratch;
    for (int doc = values.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = values.nextDoc()) {
      BytesRef b = values.binaryValue();
      int tokens = StoredTokenMatrix.tokens(b.bytes, b.offset, b.length, dim);
      buf = StoredTokenMatrix.decodeFloat32(b.bytes, b.offset, tokens, dim, buf);
      out[doc] = kernel.maxSim(q, buf, 0, tokens);
    }
    scratch = buf;
  }

  /** {@link #scoreOurs} with the prototype kernel. */
  void scoreOursWideTile(float[] out) throws IOException {
    WideTilePanamaKernel.Prepared q = panamaWideKernel.prepare(query);
    BinaryDocValues values = leaf.reader().getBinaryDocValues(LATTE_FIELD);
    float[] buf = scratch;
    for (int doc = values.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = values.nextDoc()) {
      BytesRef b = values.binaryValue();
      int tokens = StoredTokenMatrix.tokens(b.bytes, b.offset, b.length, dim);
      buf = StoredTokenMatrix.decodeFloat32(b.bytes, b.offset, tokens, dim, buf);
      out[doc] = panamaWideKernel.maxSim(q, buf, 0, tokens);
    }
    scratch = buf;
  }

  /** Maps a Lucene DOT_PRODUCT late-interaction score back to our raw sum of max dot products. */
  static float luceneToRaw(float luceneScore, int queryTokens) {
    return 2f * luceneScore - queryTokens;
  }

  private static void delete(Path p) {
    try {
      Files.delete(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
