package dev.latte.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The one choice of kernels per JVM, and what happens without the Vector API module. */
class KernelProviderTest {

  /** Records what the provider logs. */
  private static final class RecordingLogger implements System.Logger {
    final List<String> lines = new ArrayList<>();

    @Override
    public String getName() {
      return "test";
    }

    @Override
    public boolean isLoggable(Level level) {
      return true;
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
      lines.add(level + " " + msg);
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String format, Object... params) {
      lines.add(level + " " + format);
    }
  }

  @Test
  void withoutTheModuleEveryKernelFallsBackToScalarWithAWarningNamingTheFix() {
    RecordingLogger log = new RecordingLogger();
    KernelSupport chosen =
        KernelProvider.choose("", () -> KernelProvider.loadPanama(false, log), log);
    assertEquals("scalar", chosen.name());
    assertEquals(1, log.lines.size(), log.lines.toString());
    assertTrue(log.lines.get(0).startsWith("WARNING"), log.lines.get(0));
    assertTrue(log.lines.get(0).contains("--add-modules jdk.incubator.vector"), log.lines.get(0));
  }

  @Test
  void withTheModuleThePanamaKernelsAreChosenSilently() {
    RecordingLogger log = new RecordingLogger();
    KernelSupport chosen =
        KernelProvider.choose("", () -> KernelProvider.loadPanama(true, log), log);
    assertTrue(chosen.name().startsWith("panama-"), chosen.name());
    assertTrue(log.lines.stream().noneMatch(l -> l.startsWith("WARNING")), log.lines.toString());
  }

  @Test
  void forcingScalarIsLoggedAndNeverLoadsPanama() {
    RecordingLogger log = new RecordingLogger();
    KernelSupport chosen =
        KernelProvider.choose(
            "scalar",
            () -> {
              throw new AssertionError("must not load the Vector API when scalar is forced");
            },
            log);
    assertEquals("scalar", chosen.name());
    assertEquals(
        List.of("INFO Vector kernels: scalar (forced by -Dlatte.kernel=scalar)"), log.lines);
  }

  @Test
  void anUnknownForcedValueIsAWarningNotASilentChoice() {
    RecordingLogger log = new RecordingLogger();
    KernelSupport chosen = KernelProvider.choose("avx9", () -> null, log);
    assertEquals("scalar", chosen.name());
    assertTrue(log.lines.get(0).startsWith("WARNING -Dlatte.kernel=avx9"), log.lines.toString());
  }

  @Test
  void thisBuildsJvmHasTheModuleAndUsesIt() {
    assertTrue(KernelProvider.modulePresent(), "tests run with --add-modules jdk.incubator.vector");
    assertTrue(VectorKernel.get().name().startsWith("panama-"), VectorKernel.get().name());
  }

  /**
   * A real JVM without the module: the facade loads (no Vector API class is linked), scores with
   * the scalar kernels, and the warning reaches stderr.
   */
  @Test
  void aJvmWithoutTheModuleRunsEveryKernelOnScalar() throws IOException, InterruptedException {
    String java = ProcessHandle.current().info().command().orElse("java");
    Process p =
        new ProcessBuilder(
                java, "-cp", System.getProperty("java.class.path"), NoModuleProbe.class.getName())
            .redirectErrorStream(true)
            .start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "probe JVM did not finish");
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("kernel=scalar"), out);
    assertTrue(out.contains("score=1.8"), out);
    assertTrue(out.contains("gram=25.0"), out);
    assertTrue(out.contains("--add-modules jdk.incubator.vector"), out);
  }

  @Test
  void panamaIsNotLoadableWhereTheModuleIsAbsent() {
    RecordingLogger log = new RecordingLogger();
    assertNull(KernelProvider.loadPanama(false, log));
  }
}
