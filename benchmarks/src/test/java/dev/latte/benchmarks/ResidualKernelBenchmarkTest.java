package dev.latte.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Every kernel of the benchmark computes the same scores on the same documents. */
class ResidualKernelBenchmarkTest {

  static ResidualKernelBenchmark bench(String codec, String kernel) {
    ResidualKernelBenchmark b = new ResidualKernelBenchmark();
    b.codec = codec;
    b.kernel = kernel;
    b.dim = 65;
    b.docTokens = 17;
    b.centroids = 32;
    b.setup();
    return b;
  }

  @Test
  void kernelsAgreeOnEveryDocumentAndListScan() {
    for (String codec : new String[] {"float32", "residual-1", "residual-2", "residual-4"}) {
      for (String kernel : new String[] {"panama", "scalarLut"}) {
        ResidualKernelBenchmark reference = bench(codec, "scalar");
        ResidualKernelBenchmark b = bench(codec, kernel);
        for (int doc = 0; doc < ResidualKernelBenchmark.DOCS + 3; doc++) {
          float expected = reference.maxSim();
          float got = b.maxSim();
          assertTrue(Float.isFinite(got) && got != 0f, codec + " " + kernel);
          assertEquals(expected, got, 1e-3f, codec + " " + kernel + " doc " + doc);
        }
        if (!codec.equals("float32")) {
          assertEquals(reference.listScan(), b.listScan(), 1e-4f, codec + " " + kernel);
        }
      }
    }
  }
}
