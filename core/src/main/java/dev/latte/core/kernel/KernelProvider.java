package dev.latte.core.kernel;

import java.lang.System.Logger.Level;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Chooses the {@link KernelSupport} once per JVM, for every kernel at once (MaxSim per codec, dot
 * matrices, the pooling Gram): the Vector API implementation when {@code jdk.incubator.vector} is
 * in the boot layer (start the JVM with {@code --add-modules jdk.incubator.vector}), else the
 * scalar reference. Every fallback is logged as a warning naming its cause and the fix; {@code
 * -Dlatte.kernel=scalar} forces the reference (logged at INFO). Modelled on Lucene's {@code
 * VectorizationProvider}: the Panama class is loaded reflectively, so this class and the scalar
 * implementation load and run on a JVM without the module.
 */
final class KernelProvider {
  private static final System.Logger LOG = System.getLogger(VectorKernel.class.getName());
  static final String MODULE = "jdk.incubator.vector";
  static final String FORCE_PROPERTY = "latte.kernel";

  private KernelProvider() {}

  static KernelSupport scalar() {
    return new ScalarKernelSupport();
  }

  /** The Vector API implementation, or empty when this JVM lacks the module or fails to load it. */
  static Optional<KernelSupport> panama() {
    return Optional.ofNullable(loadPanama(modulePresent(), LOG));
  }

  static boolean modulePresent() {
    return ModuleLayer.boot().findModule(MODULE).isPresent();
  }

  /** The implementation for this JVM, decided from the system property and the boot layer. */
  static KernelSupport chooseForThisJvm() {
    return choose(
        System.getProperty(FORCE_PROPERTY, ""), () -> loadPanama(modulePresent(), LOG), LOG);
  }

  /**
   * The decision itself, with its inputs passed in so that a test can check every branch on any
   * JVM: {@code forced} is the value of {@code -Dlatte.kernel} ("" when unset), {@code panama}
   * supplies the Vector API implementation or null when it is unavailable (the cause already
   * logged).
   */
  static KernelSupport choose(String forced, Supplier<KernelSupport> panama, System.Logger log) {
    if (forced.equals("scalar")) {
      log.log(Level.INFO, "Vector kernels: scalar (forced by -D" + FORCE_PROPERTY + "=scalar)");
      return scalar();
    }
    if (!forced.isEmpty() && !forced.equals("panama")) {
      log.log(
          Level.WARNING,
          "-D"
              + FORCE_PROPERTY
              + "="
              + forced
              + " is not a kernel (use scalar or panama); choosing as if it were unset");
    }
    KernelSupport chosen = panama.get();
    if (chosen != null) {
      log.log(Level.DEBUG, "Vector kernels: " + chosen.name());
      return chosen;
    }
    return scalar();
  }

  /** Null, after a warning that says why and what to do, when the Vector API is not usable. */
  static KernelSupport loadPanama(boolean modulePresent, System.Logger log) {
    if (!modulePresent) {
      log.log(
          Level.WARNING,
          MODULE
              + " is not available: MaxSim, dot products and token pooling fall back to the scalar"
              + " kernels (several times slower). Start java with --add-modules "
              + MODULE
              + " to enable SIMD.");
      return null;
    }
    try {
      return (KernelSupport)
          Class.forName("dev.latte.core.kernel.PanamaKernelSupport")
              .getDeclaredConstructor()
              .newInstance();
    } catch (ReflectiveOperationException | LinkageError e) {
      log.log(
          Level.WARNING,
          "The Vector API kernels failed to load, falling back to the scalar kernels: " + e);
      return null;
    }
  }
}
