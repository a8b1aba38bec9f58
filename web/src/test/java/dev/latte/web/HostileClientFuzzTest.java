package dev.latte.web;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The hostile-client fuzzer ({@link HostileClientFuzz}) in the build: {@value #FIXED_SEQUENCES}
 * sequences from a fixed seed (the same every build) and {@value #RANDOM_SEQUENCES} new ones, each
 * of {@value #REQUESTS_PER_SEQUENCE} generated requests against one in-process server. Every
 * sequence is named by its seed (in the test name and in every failure message), and {@code
 * HostileClientLongRunTest} with {@code -Dlatte.fuzz.seed=SEED -Dlatte.fuzz.requests=40} replays
 * one. The long run is a documented command (README, HTTP section):
 *
 * <pre>
 * ./mvnw -pl web -am test -Dtest=HostileClientLongRunTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dlatte.fuzz.requests=1000000
 * </pre>
 */
class HostileClientFuzzTest {
  static final int REQUESTS_PER_SEQUENCE = 40;
  static final int FIXED_SEQUENCES = 40;
  static final int RANDOM_SEQUENCES = 10;
  static final long FIXED_SEED = 20261206;
  static Path dir;
  static HostileClientFuzz fuzz;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("latte-fuzz");
    fuzz = new HostileClientFuzz(dir.resolve("data"));
  }

  @AfterAll
  static void stop() {
    if (fuzz != null) {
      System.out.println("fuzzer: " + fuzz.requests + " requests: " + fuzz.statuses);
      fuzz.close();
    }
  }

  static LongStream fixedSeeds() {
    return new Random(FIXED_SEED).longs(FIXED_SEQUENCES);
  }

  static LongStream randomSeeds() {
    long[] seeds = new SecureRandom().longs(RANDOM_SEQUENCES).toArray();
    System.out.println("fuzzer: random sequence seeds " + java.util.Arrays.toString(seeds));
    return LongStream.of(seeds);
  }

  /** The CI run, reproducible: the same sequences every build. */
  @ParameterizedTest(name = "sequence seed {0}")
  @MethodSource("fixedSeeds")
  void fixedSeed(long sequenceSeed) throws Exception {
    fuzz.run(sequenceSeed, REQUESTS_PER_SEQUENCE);
  }

  /** A few new sequences every build (the failing seed is in the test name and the message). */
  @ParameterizedTest(name = "sequence seed {0}")
  @MethodSource("randomSeeds")
  void randomSeeds(long sequenceSeed) throws Exception {
    fuzz.run(sequenceSeed, REQUESTS_PER_SEQUENCE);
  }
}
