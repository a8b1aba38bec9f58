package dev.latte.benchmarks;

import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The practical FP32 FMA ceiling of this core through the Vector API, measured under the same
 * harness (and the same background noise) as the kernels: 16 independent register-resident
 * accumulators, no loads, one {@code FloatVector.fma} per accumulator per step.
 *
 * <p>One JMH operation = one vector FMA of {@code FloatVector.SPECIES_PREFERRED}. FLOP/s = ops/s *
 * 2 * lanes (lanes = 16 for 512-bit, 8 for 256-bit; the preferred species is printed at setup). Use
 * it as the denominator of "% of peak" for {@link MaxSimKernelBenchmark} numbers taken in the same
 * session.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class FmaPeakBenchmark {
  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  public static final int STEPS = 1 << 16;
  public static final int ACCUMULATORS = 16;

  public float b = 0.999f;
  public float c = 0.0001f;

  @Setup
  public void announce() {
    System.out.println(
        "\nFmaPeakBenchmark: preferred species "
            + SPECIES
            + " -> FLOP per op = "
            + 2 * SPECIES.length());
  }

  @Benchmark
  @OperationsPerInvocation(STEPS * ACCUMULATORS)
  public float fma() {
    FloatVector vb = FloatVector.broadcast(SPECIES, b);
    FloatVector vc = FloatVector.broadcast(SPECIES, c);
    FloatVector a0 = FloatVector.broadcast(SPECIES, 0.01f),
        a1 = FloatVector.broadcast(SPECIES, 0.02f);
    FloatVector a2 = FloatVector.broadcast(SPECIES, 0.03f),
        a3 = FloatVector.broadcast(SPECIES, 0.04f);
    FloatVector a4 = FloatVector.broadcast(SPECIES, 0.05f),
        a5 = FloatVector.broadcast(SPECIES, 0.06f);
    FloatVector a6 = FloatVector.broadcast(SPECIES, 0.07f),
        a7 = FloatVector.broadcast(SPECIES, 0.08f);
    FloatVector a8 = FloatVector.broadcast(SPECIES, 0.09f),
        a9 = FloatVector.broadcast(SPECIES, 0.10f);
    FloatVector a10 = FloatVector.broadcast(SPECIES, 0.11f),
        a11 = FloatVector.broadcast(SPECIES, 0.12f);
    FloatVector a12 = FloatVector.broadcast(SPECIES, 0.13f),
        a13 = FloatVector.broadcast(SPECIES, 0.14f);
    FloatVector a14 = FloatVector.broadcast(SPECIES, 0.15f),
        a15 = FloatVector.broadcast(SPECIES, 0.16f);
    for (int i = 0; i < STEPS; i++) {
      a0 = a0.fma(vb, vc);
      a1 = a1.fma(vb, vc);
      a2 = a2.fma(vb, vc);
      a3 = a3.fma(vb, vc);
      a4 = a4.fma(vb, vc);
      a5 = a5.fma(vb, vc);
      a6 = a6.fma(vb, vc);
      a7 = a7.fma(vb, vc);
      a8 = a8.fma(vb, vc);
      a9 = a9.fma(vb, vc);
      a10 = a10.fma(vb, vc);
      a11 = a11.fma(vb, vc);
      a12 = a12.fma(vb, vc);
      a13 = a13.fma(vb, vc);
      a14 = a14.fma(vb, vc);
      a15 = a15.fma(vb, vc);
    }
    FloatVector s =
        a0.add(a1)
            .add(a2.add(a3))
            .add(a4.add(a5).add(a6.add(a7)))
            .add(a8.add(a9).add(a10.add(a11)).add(a12.add(a13).add(a14.add(a15))));
    return s.reduceLanes(VectorOperators.ADD);
  }
}
