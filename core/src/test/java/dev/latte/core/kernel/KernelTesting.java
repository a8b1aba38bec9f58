package dev.latte.core.kernel;

/**
 * One policy for every kernel test about the Vector API: the build always runs tests with {@code
 * --add-modules jdk.incubator.vector} (the {@code latte.jvm.args} of the root pom), so a missing
 * module is a broken build and fails the test that needs it; no test skips silently. What happens
 * without the module is tested on its own in {@link KernelProviderTest}.
 */
final class KernelTesting {
  private KernelTesting() {}

  static VectorKernel panama() {
    return VectorKernel.panama()
        .orElseThrow(
            () ->
                new AssertionError(
                    "the Vector API kernels did not load: run tests with --add-modules"
                        + " jdk.incubator.vector (the root pom's latte.jvm.args does)"));
  }

  static VectorKernel[] both() {
    return new VectorKernel[] {VectorKernel.scalar(), panama()};
  }
}
