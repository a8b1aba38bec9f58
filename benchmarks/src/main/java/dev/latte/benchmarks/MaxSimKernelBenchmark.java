package dev.latte.benchmarks;

import dev.latte.core.TokenMatrix;
import dev.latte.core.kernel.PreparedQuery;
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
 * The MaxSim kernel alone: scalar reference vs Vector API, on documents already decoded into one
 * flat in-memory {@code float[]}, single thread.
 *
 * <p><b>Units.</b> One JMH operation = one document scored against a 32-token query ({@link
 * OperationsPerInvocation}), so the score is documents/s. Convert with
 *
 * <pre>
 *   token pairs / s = docs/s * 32 * docTokens
 *   FLOP / s        = docs/s * 2 * 32 * docTokens * dim     (one multiply + one add per pair and dimension)
 * </pre>
 *
 * (the max and the final sum are O(32 * docTokens) and not counted).
 *
 * <p><b>Working set.</b> The document set holds about {@code docSetMB} MB (at least two documents);
 * each invocation scores the next {@link #DOCS_PER_OP} documents, cycling through the set.
 *
 * <ul>
 *   <li>{@code docSetMB=1}: the set stays in the per-core L2 (1 MB on Zen 4/5, 2 MB on recent
 *       Intel). This is the case that matters for the searcher, which decodes each stored document
 *       into one reused scratch buffer (~100-300 KB) and runs the kernel on that, so the kernel
 *       reads cache.
 *   <li>{@code docSetMB=64}: larger than any L3 slice, so every document streams from DRAM: the
 *       view for a kernel run directly over a big in-memory (or mmapped) array. The kernel does
 *       only 16 FLOP per document byte, and walks 8 rows at a time with no software prefetch, so
 *       this shows how much the memory system costs it.
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class MaxSimKernelBenchmark {
  public static final int QUERY_TOKENS = 32;
  public static final int DOCS_PER_OP = 64;

  @Param({"96", "128", "384"})
  public int dim;

  @Param({"64", "180", "300"})
  public int docTokens;

  @Param({"1", "64"})
  public int docSetMB;

  float[] docs;
  int numDocs;
  int docFloats;
  int cursor;
  TokenMatrix query;
  VectorKernel scalarKernel;
  VectorKernel panamaKernel;
  PreparedQuery scalarQuery;
  PreparedQuery panamaQuery;

  @Setup
  public void setup() {
    SplittableRandom rnd = new SplittableRandom(42);
    docFloats = docTokens * dim;
    long docBytes = (long) docFloats * Float.BYTES;
    numDocs = (int) Math.max(2, (long) docSetMB * 1024 * 1024 / docBytes);
    docs = new float[Math.multiplyExact(numDocs, docFloats)];
    BenchData.fillUnitRows(rnd, docs, 0, numDocs * docTokens, dim);
    query = BenchData.unitMatrix(rnd, QUERY_TOKENS, dim);
    scalarKernel = VectorKernel.scalar();
    panamaKernel = BenchData.panama();
    scalarQuery = scalarKernel.prepare(query);
    panamaQuery = panamaKernel.prepare(query);
    cursor = 0;
  }

  @Benchmark
  @OperationsPerInvocation(DOCS_PER_OP)
  public float scalar() {
    return scoreNextBatch(scalarKernel, scalarQuery);
  }

  @Benchmark
  @OperationsPerInvocation(DOCS_PER_OP)
  public float panama() {
    return scoreNextBatch(panamaKernel, panamaQuery);
  }

  /**
   * Scores the next DOCS_PER_OP documents (wrapping); the returned sum keeps the work observable.
   */
  float scoreNextBatch(VectorKernel kernel, PreparedQuery q) {
    int doc = cursor;
    float sum = 0f;
    for (int i = 0; i < DOCS_PER_OP; i++) {
      sum += kernel.maxSim(q, docs, doc * docFloats, docTokens);
      doc = doc + 1 == numDocs ? 0 : doc + 1;
    }
    cursor = doc;
    return sum;
  }

  /** Floating-point operations in one JMH operation (one document). */
  public static double flopsPerDoc(int dim, int docTokens) {
    return 2.0 * QUERY_TOKENS * docTokens * dim;
  }
}
