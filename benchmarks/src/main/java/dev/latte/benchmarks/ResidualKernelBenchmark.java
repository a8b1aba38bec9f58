package dev.latte.benchmarks;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.ResidualCodebook;
import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.core.codec.TokenCodec;
import dev.latte.core.kernel.PreparedQuery;
import dev.latte.core.kernel.ResidualQuery;
import dev.latte.core.kernel.VectorKernel;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The residual-code kernels beside the float kernel, in one run: one document of {@code docTokens}
 * tokens scored per operation against a 32-token query, single thread, documents in memory (a set
 * of {@link #DOCS} distinct documents, cycled).
 *
 * <p>{@code codec}: {@code float32} scores stored float32 values in place ({@code maxSimFloat32},
 * the searcher's float path, the baseline); {@code residual-n} scores stored residual values with
 * {@code maxSimResidual} (query x centroid matrix + nibble lookup tables; the query's tables are
 * prepared once in setup, as a searcher prepares them once per query). {@code kernel}: {@code
 * panama} (the Vector API), {@code scalarLut} (the same tables with plain loops, what a JVM without
 * the Vector API runs) and {@code scalar} (the reference: decode, then float dot products). The
 * codebook has {@link #CENTROIDS} centroids, as SciFact's.
 *
 * <p>{@link #listScan} is the token-retrieval kernel ({@code residualDots}): one query row against
 * the codes of {@link #LIST_TOKENS} tokens of one list; one operation = one token. {@link
 * #listScanBlocked} is the same over the block-transposed layout of the WARP lists ({@code
 * residualDotsBlocked}, read off-heap in place), the kernel the WARP first stage runs. {@link
 * #prepareResidual} is the per-query setup both need (one operation = one query).
 *
 * <p>Units: documents/s; token pairs/s = docs/s x 32 x docTokens. Compare with {@link
 * FmaPeakBenchmark} for the machine's FMA peak.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
public class ResidualKernelBenchmark {
  public static final int QUERY_TOKENS = 32;
  public static final int CENTROIDS = 4096;
  public static final int DOCS = 64;
  public static final int LIST_TOKENS = 4096;

  @Param({"float32", "residual-1", "residual-2", "residual-4"})
  public String codec;

  @Param({"panama", "scalarLut", "scalar"})
  public String kernel;

  @Param({"128", "384"})
  public int dim;

  @Param({"180"})
  public int docTokens;

  /**
   * Residual codecs: per-token scales (the codebook as indexes write it now) or none (as indexes
   * written before); each scale costs one multiply per scored token.
   */
  @Param({"true", "false"})
  public boolean scales = true;

  /**
   * Codebook size: {@link #CENTROIDS} as SciFact's; 16,384 is the 10 M-token check's, where the 32
   * x K query x centroid matrix (2 MiB) no longer fits in L2. Tests lower it to keep setup short.
   */
  @Param({"4096"})
  public int centroids = CENTROIDS;

  VectorKernel k;
  TokenCodec tokenCodec;
  byte[] stored;
  int stride;
  int cursor;
  PreparedQuery floatQuery;
  TokenMatrix queryMatrix;
  ResidualCodebook codebook;
  ResidualQuery residualQuery;
  byte[] listCodes;
  java.lang.foreign.MemorySegment blockedList;
  float[] listOut;

  @Setup
  public void setup() {
    SplittableRandom rnd = new SplittableRandom(42);
    tokenCodec = TokenCodec.fromName(codec);
    k =
        switch (kernel) {
          case "panama" -> BenchData.panama();
          case "scalarLut" -> VectorKernel.scalarCodeDomain();
          case "scalar" -> VectorKernel.scalar();
          default -> throw new IllegalArgumentException("unknown kernel " + kernel);
        };
    TokenMatrix query = BenchData.unitMatrix(rnd, QUERY_TOKENS, dim);
    ResidualCodebook book =
        tokenCodec.isResidual() ? codebook(rnd, tokenCodec, dim, centroids) : null;
    if (book != null && !scales) book = book.withoutScales();
    stride =
        StoredTokenMatrix.HEADER_BYTES
            + (int)
                (book == null
                    ? tokenCodec.payloadBytes(docTokens, dim)
                    : book.payloadBytes(docTokens));
    stored = new byte[DOCS * stride];
    for (int i = 0; i < DOCS; i++) {
      TokenMatrix doc = BenchData.unitMatrix(rnd, docTokens, dim);
      byte[] value = book == null ? tokenCodec.encode(doc) : encode(book, doc);
      System.arraycopy(value, 0, stored, i * stride, stride);
    }
    floatQuery = k.prepare(query);
    queryMatrix = query;
    codebook = book;
    if (book != null) {
      residualQuery = k.prepareResidual(query, book);
      listCodes = new byte[LIST_TOKENS * book.codeStride()];
      for (int i = 0; i < listCodes.length; i++) listCodes[i] = (byte) rnd.nextInt(256);
      listOut = new float[LIST_TOKENS];
      // The same codes block-transposed, off-heap like the memory-mapped WARP lists.
      byte[] blocked = new byte[listCodes.length];
      dev.latte.core.kernel.ResidualBlocks.block(
          listCodes, 0, LIST_TOKENS, book.codeStride(), blocked, 0);
      blockedList = java.lang.foreign.Arena.ofAuto().allocate(blocked.length, 64);
      blockedList.copyFrom(java.lang.foreign.MemorySegment.ofArray(blocked));
    }
    cursor = 0;
  }

  /** Random unit centroids; buckets fitted on random unit vectors' residuals. */
  static ResidualCodebook codebook(SplittableRandom rnd, TokenCodec codec, int dim, int k) {
    float[] centroids = BenchData.unitRows(rnd, k, dim);
    int n = 2048;
    float[] sample = BenchData.unitRows(rnd, n, dim);
    int bits = codec.residualBits();
    ResidualCodebook probe =
        new ResidualCodebook(
            bits, dim, centroids, new float[dim * ((1 << bits) - 1)], new float[dim << bits]);
    int[] ids = new int[n];
    VectorKernel.get().assignCentroids(probe, sample, 0, n, ids);
    return ResidualCodebook.fit(bits, centroids, dim, sample, n, ids);
  }

  static byte[] encode(ResidualCodebook book, TokenMatrix doc) {
    int[] ids = new int[doc.rows()];
    VectorKernel.get().assignCentroids(book, doc.data(), 0, doc.rows(), ids);
    return book.encode(doc, ids);
  }

  @Benchmark
  public float maxSim() {
    int doc = cursor;
    cursor = doc + 1 == DOCS ? 0 : doc + 1;
    int payload = StoredTokenMatrix.Header.payloadOffset(doc * stride);
    return residualQuery == null
        ? k.maxSimFloat32(floatQuery, stored, payload, docTokens)
        : k.maxSimResidual(residualQuery, stored, payload, docTokens);
  }

  @Benchmark
  @OperationsPerInvocation(LIST_TOKENS)
  public float listScan() {
    if (residualQuery == null) return 0f; // float32 has no list kernel here
    k.residualDots(residualQuery, cursor++ & 31, 0.25f, listCodes, 0, LIST_TOKENS, listOut, 0);
    return listOut[LIST_TOKENS - 1];
  }

  @Benchmark
  @OperationsPerInvocation(LIST_TOKENS)
  public float listScanBlocked() {
    if (residualQuery == null) return 0f;
    k.residualDotsBlocked(
        residualQuery, cursor++ & 31, 0.25f, blockedList, 0, LIST_TOKENS, listOut, 0);
    return listOut[LIST_TOKENS - 1];
  }

  /**
   * A query's residual tables, made once per query before any list or document is scored: the 32 x
   * {@link #CENTROIDS} x dim query x centroid GEMM and the nibble tables.
   */
  @Benchmark
  public Object prepareResidual() {
    return codebook == null ? null : k.prepareResidual(queryMatrix, codebook);
  }
}
