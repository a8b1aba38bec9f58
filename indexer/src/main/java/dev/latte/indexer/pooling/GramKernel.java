package dev.latte.indexer.pooling;

import java.lang.System.Logger.Level;

/**
 * The Gram-matrix step of {@link TokenPooler}, its only {@code O(m² · dim)} part.
 *
 * <p>Contract: for the {@code m} rows starting at row {@code rowOffset} of the row-major {@code
 * data}, write {@code G(i, j) = Σ_d x_i[d] · x_j[d]} into {@code gram[i * m + j]} for every {@code
 * j >= i} (entries below the diagonal may be overwritten with anything). Each {@code G(i, j)} is
 * accumulated in double precision over {@code d = 0, 1, …, dim - 1} in that order, one rounding per
 * addition. A product of two floats is exact in double (24 + 24 significant bits), so {@code acc +
 * x * v} and {@code fma(x, v, acc)} round identically, and every implementation that keeps the
 * order returns <em>bit-identical</em> matrices: pooling results do not depend on the kernel. It
 * also makes duplicate rows produce bit-identical Gram entries (hence distance exactly 0).
 */
interface GramKernel {

  String name();

  void upperGram(
      float[] data, int rowOffset, int m, int dim, double[] gram, TokenPooler.Workspace ws);

  /**
   * The Vector API kernel when {@code jdk.incubator.vector} is in the boot layer, else the scalar
   * one; {@code -Dlatte.kernel=scalar} forces scalar, as for the MaxSim kernels.
   */
  static GramKernel choose() {
    if (!"scalar".equals(System.getProperty("latte.kernel", ""))) {
      GramKernel panama = panama();
      if (panama != null) {
        return panama;
      }
    }
    return new ScalarGramKernel();
  }

  /** The Vector API kernel, or null when the module is missing from this JVM. */
  static GramKernel panama() {
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      return null;
    }
    try {
      return (GramKernel)
          Class.forName("dev.latte.indexer.pooling.PanamaGramKernel")
              .getDeclaredConstructor()
              .newInstance();
    } catch (ReflectiveOperationException | LinkageError e) {
      System.getLogger(GramKernel.class.getName())
          .log(
              Level.WARNING,
              "Vector API Gram kernel failed to load, token pooling uses the scalar one: " + e);
      return null;
    }
  }
}
