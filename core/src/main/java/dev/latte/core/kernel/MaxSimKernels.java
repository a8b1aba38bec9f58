package dev.latte.core.kernel;

import java.lang.System.Logger.Level;

/**
 * Chooses the MaxSim kernel once per JVM: the Vector API kernel when {@code jdk.incubator.vector}
 * is present (start the JVM with {@code --add-modules jdk.incubator.vector}), else the scalar
 * reference with a logged warning. {@code -Dlatte.kernel=scalar} forces the reference.
 */
public final class MaxSimKernels {
  private static final System.Logger LOG = System.getLogger(MaxSimKernels.class.getName());
  private static final MaxSimKernel DEFAULT = choose();

  private MaxSimKernels() {}

  public static MaxSimKernel get() {
    return DEFAULT;
  }

  public static MaxSimKernel scalar() {
    return new ScalarMaxSimKernel();
  }

  /** The Vector API kernel, or empty when the module is missing from this JVM. */
  public static java.util.Optional<MaxSimKernel> panama() {
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      return java.util.Optional.empty();
    }
    try {
      return java.util.Optional.of(
          (MaxSimKernel)
              Class.forName("dev.latte.core.kernel.PanamaMaxSimKernel")
                  .getDeclaredConstructor()
                  .newInstance());
    } catch (ReflectiveOperationException | LinkageError e) {
      LOG.log(Level.WARNING, "Vector API kernel failed to load: " + e);
      return java.util.Optional.empty();
    }
  }

  private static MaxSimKernel choose() {
    String forced = System.getProperty("latte.kernel", "");
    if (forced.equals("scalar")) {
      LOG.log(Level.INFO, "MaxSim kernel: scalar (forced by -Dlatte.kernel=scalar)");
      return scalar();
    }
    var panama = panama();
    if (panama.isPresent()) {
      LOG.log(Level.DEBUG, "MaxSim kernel: " + panama.get().name());
      return panama.get();
    }
    LOG.log(
        Level.WARNING,
        "jdk.incubator.vector is not available: MaxSim falls back to the scalar kernel (several times"
            + " slower). Start java with --add-modules jdk.incubator.vector to enable SIMD.");
    return scalar();
  }
}
