package dev.latte.benchmarks;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.core.codec.TokenCodec;
import dev.latte.core.kernel.PreparedBitQuery;
import dev.latte.core.kernel.PreparedQuery;
import dev.latte.core.kernel.VectorKernel;
import java.util.ArrayList;
import java.util.List;
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
 * Every stored token codec through its kernel: scalar reference vs Vector API, one document scored
 * per operation against a 32-token query, single thread, documents already in memory.
 *
 * <p><b>{@code codec}</b> (what one operation reads and which kernel method scores it):
 *
 * <table>
 * <caption>codec parameter values</caption>
 * <tr><th>value</th><th>documents held as</th><th>per document</th></tr>
 * <tr><td>{@code float32}</td><td>one {@code float[]} of rows (decoded documents)</td>
 *     <td>{@code maxSim(q, float[], offset, T)}: the float kernel alone</td></tr>
 * <tr><td>{@code float32Decode}</td><td>stored float32 values (header + payload) in one {@code byte[]}</td>
 *     <td>{@code StoredTokenMatrix.decodeFloat32} into one reused scratch {@code float[]}, then
 *     {@code maxSim} on it: the searcher's float32 path before {@code maxSimFloat32}</td></tr>
 * <tr><td>{@code float32InPlace}</td><td>same bytes</td><td>{@code maxSimFloat32(q, bytes, payloadOffset, T)}:
 *     the searcher's float32 path ({@code MaxSimScorer})</td></tr>
 * <tr><td>{@code float16}</td><td>stored float16 values</td><td>{@code maxSimFloat16}</td></tr>
 * <tr><td>{@code int8}</td><td>stored int8 values</td><td>{@code maxSimInt8}</td></tr>
 * <tr><td>{@code bit}</td><td>stored bit values</td><td>{@code maxSimBit}: float query x sign bits (asymmetric)</td></tr>
 * <tr><td>{@code bitHamming}</td><td>stored bit values</td><td>{@code maxSimHamming}: sign bits x sign bits ({@code prepareBits})</td></tr>
 * </table>
 *
 * Token count and payload offset of every document are known up front (all documents have {@code
 * docTokens} tokens), so apart from {@code float32Decode} no header is parsed per document: this is
 * the kernel, not the doc-values path ({@link LuceneLateInteractionBenchmark} measures that).
 *
 * <p><b>Units.</b> One JMH operation = one document ({@link OperationsPerInvocation}), so the score
 * is documents/s; {@code token pairs/s = docs/s * 32 * docTokens} and {@code FLOP/s = docs/s * 2 *
 * 32 * docTokens * dim} (for the bit codecs a float-equivalent: the work a float kernel would do
 * for the same result). {@link BenchReport} converts a JMH CSV result file.
 *
 * <p><b>Working set ({@code docSetMB}).</b> The documents occupy about {@code docSetMB} MB in the
 * codec's own form (stored bytes incl. headers; the {@code float[]} for {@code float32}), at least
 * two documents; each invocation scores the next {@link #DOCS_PER_OP}, cycling through the set.
 * {@code 1} keeps them in the per-core L2, {@code 64} streams them from DRAM. To keep setup short,
 * at most {@link #MAX_UNIQUE_FLOATS} floats of random documents are generated and the set repeats
 * them: the copies sit at distinct addresses, so the memory traffic is that of distinct documents.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
public class CodecKernelBenchmark {
  public static final int QUERY_TOKENS = 32;

  /**
   * Small, so that an op of the slowest scalar reference (hamming, dim 384, 300 tokens) stays ~0.1
   * s.
   */
  public static final int DOCS_PER_OP = 16;

  /** Upper bound on the floats of distinct random documents generated per setup (16 MB). */
  public static final int MAX_UNIQUE_FLOATS = 4 << 20;

  /** The {@code codec} parameter's values, with the stored codec each one reads. */
  public enum Variant {
    FLOAT32("float32", TokenCodec.FLOAT32),
    FLOAT32_DECODE("float32Decode", TokenCodec.FLOAT32),
    FLOAT32_IN_PLACE("float32InPlace", TokenCodec.FLOAT32),
    FLOAT16("float16", TokenCodec.FLOAT16),
    INT8("int8", TokenCodec.INT8),
    BIT("bit", TokenCodec.BIT),
    BIT_HAMMING("bitHamming", TokenCodec.BIT);

    public final String param;
    public final TokenCodec codec;

    Variant(String param, TokenCodec codec) {
      this.param = param;
      this.codec = codec;
    }

    public static Variant of(String param) {
      for (Variant v : values()) {
        if (v.param.equals(param)) return v;
      }
      throw new IllegalArgumentException("unknown codec variant '" + param + "'");
    }

    /** Bytes one document occupies in the benchmark's memory: float[] rows, or the stored value. */
    public long documentBytes(int docTokens, int dim) {
      return this == FLOAT32
          ? (long) docTokens * dim * Float.BYTES
          : StoredTokenMatrix.HEADER_BYTES + codec.payloadBytes(docTokens, dim);
    }
  }

  @Param({"float32", "float32Decode", "float32InPlace", "float16", "int8", "bit", "bitHamming"})
  public String codec;

  @Param({"96", "128", "384"})
  public int dim;

  @Param({"64", "180", "300"})
  public int docTokens;

  @Param({"1", "64"})
  public int docSetMB;

  /** {@link #MAX_UNIQUE_FLOATS}; tests lower it to keep setup short. */
  int maxUniqueFloats = MAX_UNIQUE_FLOATS;

  Variant variant;

  /**
   * The distinct random documents; document i of the set is {@code unique.get(i % unique.size())}.
   */
  List<TokenMatrix> unique;

  int numDocs;

  /** {@code float32}: the documents' rows back to back, {@code docFloats} floats each. */
  float[] floats;

  int docFloats;

  /** The other variants: the stored values back to back, {@code stride} bytes each. */
  byte[] stored;

  int stride;
  float[] scratch = new float[0];
  int cursor;

  TokenMatrix query;
  VectorKernel scalarKernel;
  VectorKernel panamaKernel;
  PreparedQuery scalarQuery;
  PreparedQuery panamaQuery;
  PreparedBitQuery scalarBits;
  PreparedBitQuery panamaBits;

  @Setup
  public void setup() {
    variant = Variant.of(codec);
    SplittableRandom rnd = new SplittableRandom(42);
    query = BenchData.unitMatrix(rnd, QUERY_TOKENS, dim);
    docFloats = docTokens * dim;
    long docBytes = variant.documentBytes(docTokens, dim);
    numDocs = (int) Math.max(2, (long) docSetMB * 1024 * 1024 / docBytes);
    int uniqueDocs = Math.clamp(maxUniqueFloats / Math.max(1, docFloats), 2, numDocs);
    unique = new ArrayList<>(uniqueDocs);
    for (int i = 0; i < uniqueDocs; i++) {
      unique.add(BenchData.unitMatrix(rnd, docTokens, dim));
    }
    if (variant == Variant.FLOAT32) {
      floats = new float[Math.multiplyExact(numDocs, docFloats)];
      for (int i = 0; i < numDocs; i++) {
        System.arraycopy(unique.get(i % uniqueDocs).data(), 0, floats, i * docFloats, docFloats);
      }
    } else {
      stride = Math.toIntExact(docBytes);
      stored = new byte[Math.multiplyExact(numDocs, stride)];
      for (int i = 0; i < uniqueDocs; i++) {
        byte[] value = variant.codec.encode(unique.get(i));
        if (value.length != stride) throw new IllegalStateException(value.length + " != " + stride);
        for (int copy = i; copy < numDocs; copy += uniqueDocs) {
          System.arraycopy(value, 0, stored, copy * stride, stride);
        }
      }
    }
    scalarKernel = VectorKernel.scalar();
    panamaKernel = BenchData.panama();
    scalarQuery = scalarKernel.prepare(query);
    panamaQuery = panamaKernel.prepare(query);
    if (variant == Variant.BIT_HAMMING) {
      scalarBits = scalarKernel.prepareBits(query);
      panamaBits = panamaKernel.prepareBits(query);
    }
    cursor = 0;
  }

  @Benchmark
  @OperationsPerInvocation(DOCS_PER_OP)
  public float scalar() {
    return scoreNextBatch(scalarKernel, scalarQuery, scalarBits);
  }

  @Benchmark
  @OperationsPerInvocation(DOCS_PER_OP)
  public float panama() {
    return scoreNextBatch(panamaKernel, panamaQuery, panamaBits);
  }

  /**
   * Scores the next DOCS_PER_OP documents (wrapping); the returned sum keeps the work observable.
   */
  float scoreNextBatch(VectorKernel kernel, PreparedQuery q, PreparedBitQuery bits) {
    int doc = cursor;
    float sum = 0f;
    for (int i = 0; i < DOCS_PER_OP; i++) {
      sum += score(kernel, q, bits, doc);
      doc = doc + 1 == numDocs ? 0 : doc + 1;
    }
    cursor = doc;
    return sum;
  }

  /** One document of the set through the variant's kernel method. */
  float score(VectorKernel kernel, PreparedQuery q, PreparedBitQuery bits, int doc) {
    int value = doc * stride;
    int payload = StoredTokenMatrix.Header.payloadOffset(value);
    return switch (variant) {
      case FLOAT32 -> kernel.maxSim(q, floats, doc * docFloats, docTokens);
      case FLOAT32_DECODE -> {
        scratch = StoredTokenMatrix.decodeFloat32(stored, value, docTokens, dim, scratch);
        yield kernel.maxSim(q, scratch, 0, docTokens);
      }
      case FLOAT32_IN_PLACE -> kernel.maxSimFloat32(q, stored, payload, docTokens);
      case FLOAT16 -> kernel.maxSimFloat16(q, stored, payload, docTokens);
      case INT8 -> kernel.maxSimInt8(q, stored, payload, docTokens);
      case BIT -> kernel.maxSimBit(q, stored, payload, docTokens);
      case BIT_HAMMING -> kernel.maxSimHamming(bits, stored, payload, docTokens);
    };
  }

  /** Query-document token pairs in one operation. */
  public static double pairsPerDoc(int docTokens) {
    return (double) QUERY_TOKENS * docTokens;
  }

  /**
   * (Float-equivalent) floating-point operations in one operation: a multiply and an add per pair
   * and dimension.
   */
  public static double flopsPerDoc(int dim, int docTokens) {
    return 2.0 * QUERY_TOKENS * docTokens * dim;
  }
}
