package dev.latte.core.kernel;

import dev.latte.core.TokenMatrix;

/** Run in a JVM started without {@code jdk.incubator.vector} by {@link KernelProviderTest}. */
public final class NoModuleProbe {
  private NoModuleProbe() {}

  public static void main(String[] args) {
    VectorKernel k = VectorKernel.get();
    TokenMatrix q = TokenMatrix.of(new float[][] {{1, 0}, {0, 1}});
    TokenMatrix d = TokenMatrix.of(new float[][] {{0.6f, 0.8f}, {1, 0}, {-1, 0}});
    double[] gram = new double[1];
    k.upperGram(new float[] {3, 4}, 0, 1, 2, gram);
    System.out.println("kernel=" + k.name() + " score=" + k.maxSim(q, d) + " gram=" + gram[0]);
  }
}
