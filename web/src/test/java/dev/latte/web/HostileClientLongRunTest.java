package dev.latte.web;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The fuzzer's long run, off unless asked for: {@code -Dlatte.fuzz.requests=N} runs sequences of
 * seeds {@code latte.fuzz.seed} (default 1), +1, +2 ... until N requests were sent, and prints the
 * count; {@code -Dlatte.fuzz.dir=DIR} puts the index there (e.g. /dev/shm). Command (README, HTTP
 * section):
 *
 * <pre>
 * ./mvnw -pl web -am test -Dtest=HostileClientLongRunTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dlatte.fuzz.requests=1000000
 * </pre>
 */
class HostileClientLongRunTest {
  @Test
  void longRun() throws Exception {
    long target = Long.getLong("latte.fuzz.requests", 0);
    Assumptions.assumeTrue(target > 0, "set -Dlatte.fuzz.requests=N for the long run");
    long seed = Long.getLong("latte.fuzz.seed", 1);
    // -Dlatte.fuzz.dir=/dev/shm keeps the commits' fsyncs off the disk for a long run.
    String base = System.getProperty("latte.fuzz.dir");
    Path dir =
        base == null
            ? Files.createTempDirectory("latte-fuzz-long")
            : Files.createTempDirectory(Path.of(base), "latte-fuzz-long");
    long t0 = System.nanoTime();
    try (HostileClientFuzz fuzz = new HostileClientFuzz(dir.resolve("data"))) {
      long sequences = 0;
      while (fuzz.requests < target) {
        fuzz.run(seed + sequences, HostileClientFuzzTest.REQUESTS_PER_SEQUENCE);
        sequences++;
        if (sequences % 1000 == 0)
          System.out.printf(
              "fuzzer long run: %d requests, %d sequences, %.0f s%n",
              fuzz.requests, sequences, (System.nanoTime() - t0) / 1e9);
      }
      System.out.printf(
          "fuzzer long run done: %d requests in %d sequences (seeds %d..%d), 0 violations, %.0f s%n",
          fuzz.requests, sequences, seed, seed + sequences - 1, (System.nanoTime() - t0) / 1e9);
    }
  }
}
