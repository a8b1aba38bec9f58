package dev.latte.indexer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Indexing jobs: counters, problems, refusals, and resumption after SIGKILL at random points. */
class IndexJobTest {
  static final int N = 3000;
  @TempDir static Path shared;
  static Path input;
  static Path reference;
  static IndexJob.Result referenceResult;

  @BeforeAll
  static void uninterruptedRun() throws Exception {
    input = shared.resolve("vectors.jsonl");
    JobFixture.writeCollection(input, N, 11);
    reference = shared.resolve("reference");
    try (LatteIndexWriter w = JobFixture.writer(reference)) {
      referenceResult =
          JobFixture.job(input, reference, w, IndexJob.OnError.SKIP).run(IndexProgress.NONE);
    }
  }

  @Test
  void countsEveryRecordAndListsEveryProblem() throws Exception {
    JobState.Counters c = referenceResult.state().counters();
    long broken = 0, dups = 0;
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (int i = 0; i < N; i++) {
      if (i % 97 == 50) broken++;
      else if (!seen.add(i % 89 == 88 ? "d" + (i - 40) : "d" + i)) dups++;
    }
    assertTrue(dups > 20, "the fixture plants duplicates");
    assertEquals(N, c.read());
    assertEquals(broken, c.skippedError());
    assertEquals(dups, c.skippedDuplicate());
    assertEquals(N - broken - dups, c.indexed());
    assertEquals(0, c.replaced());
    assertEquals(c.indexed(), JobFixture.contents(reference).size());
    assertEquals(broken + dups, referenceResult.problems().size());
    JobState.Problem first = referenceResult.problems().getFirst();
    assertEquals("vectors.jsonl line 51", first.location());
    assertTrue(first.reason().startsWith("malformed JSON"), first.reason());
    assertTrue(referenceResult.state().done());
    assertEquals(N, referenceResult.state().position());
    var report =
        JobState.MAPPER.readValue(reference.resolve(JobState.FILE).toFile(), JobState.Report.class);
    assertEquals(referenceResult.problems(), report.problems());
    var stats = JobState.MAPPER.readTree(reference.resolve(IndexLayout.STATS_FILE).toFile());
    assertEquals(c.indexed(), stats.get("documents").asLong());
  }

  @Test
  void aFinishedJobIsNotRedoneAndAnotherInputIsRefusedMidJob() throws Exception {
    Path copy = shared.resolve("finished");
    copyIndex(reference, copy);
    try (LatteIndexWriter w = JobFixture.writer(copy)) {
      var again = JobFixture.job(input, copy, w, IndexJob.OnError.SKIP).run(IndexProgress.NONE);
      assertTrue(again.alreadyDone());
      assertEquals(0, again.indexedThisRun());
    }
    // An unfinished job: stop it with --on-error fail at its first bad record.
    Path partial = shared.resolve("partial");
    try (LatteIndexWriter w = JobFixture.writer(partial)) {
      var e =
          assertThrows(
              IndexJob.StoppedOnError.class,
              () ->
                  JobFixture.job(input, partial, w, IndexJob.OnError.FAIL).run(IndexProgress.NONE));
      assertTrue(e.getMessage().contains("vectors.jsonl line 51"), e.getMessage());
    }
    assertEquals(50, JobFixture.contents(partial).size(), "what preceded the bad record is kept");
    Path other = shared.resolve("other.jsonl");
    JobFixture.writeCollection(other, 100, 12);
    try (LatteIndexWriter w = JobFixture.writer(partial)) {
      var e =
          assertThrows(
              IndexMismatchException.class,
              () ->
                  JobFixture.job(other, partial, w, IndexJob.OnError.SKIP).run(IndexProgress.NONE));
      assertTrue(e.getMessage().contains("start fresh"), e.getMessage());
      assertTrue(e.getMessage().contains("unfinished job"), e.getMessage());
    }
    // Continuing with --on-error skip ends with the uninterrupted run's index and counts.
    try (LatteIndexWriter w = JobFixture.writer(partial)) {
      var r = JobFixture.job(input, partial, w, IndexJob.OnError.SKIP).run(IndexProgress.NONE);
      assertEquals(50, r.resumedFrom());
      assertEquals(referenceResult.state().counters(), r.state().counters());
      assertEquals(referenceResult.problems(), r.problems());
    }
    assertEquals(JobFixture.contents(reference), JobFixture.contents(partial));
  }

  @Test
  void aSecondJobIntoTheIndexCountsReplacedIds() throws Exception {
    Path copy = shared.resolve("second");
    copyIndex(reference, copy);
    Path other = shared.resolve("overlap.jsonl");
    JobFixture.writeCollection(other, 120, 13); // ids d0..d119 (some broken, some repeated)
    var before = JobFixture.contents(copy);
    try (LatteIndexWriter w = JobFixture.writer(copy)) {
      var r = JobFixture.job(other, copy, w, IndexJob.OnError.SKIP).run(IndexProgress.NONE);
      JobState.Counters c = r.state().counters();
      assertEquals(0, r.resumedFrom(), "another input after a finished job is a new job");
      assertTrue(c.indexed() > 100, "indexed " + c.indexed());
      long wasThere =
          JobFixture.contents(copy).keySet().stream()
              .filter(id -> Integer.parseInt(id.substring(1)) < 120 && before.containsKey(id))
              .count();
      assertEquals(wasThere, c.replaced());
      assertEquals(c.indexed(), c.replaced(), "every id of the second input was indexed before");
    }
    var after = JobFixture.contents(copy);
    assertEquals(before.keySet(), after.keySet(), "replaced by id, nothing added twice");
    assertTrue(
        !before.get("d0").equals(after.get("d0")), "d0 now holds the second input's vectors");
  }

  @Test
  void killedAtRandomMomentsAndRerunEndsWithTheSameIndex() throws Exception {
    Path index = shared.resolve("killed");
    Random rnd = new Random(2026);
    List<Long> repeated = new ArrayList<>();
    long lastStartCommitted = -1;
    long lastReached = -1;
    int kills = 0;
    for (int run = 0; run < 30; run++) {
      Process p =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-cp",
                  System.getProperty("java.class.path"),
                  JobFixture.class.getName(),
                  input.toString(),
                  index.toString(),
                  "2000")
              .redirectErrorStream(true)
              .start();
      BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()));
      long startCommitted = -1;
      long written = 0;
      boolean done = false;
      // Kill after a random number of written batches (or let the 5th run finish).
      long killAfter = kills < 4 ? 80 + rnd.nextInt(700) : Long.MAX_VALUE;
      String line;
      while ((line = out.readLine()) != null) {
        if (line.startsWith("start ")) startCommitted = Long.parseLong(line.substring(6));
        else if (line.startsWith("written ")) written = Long.parseLong(line.substring(8));
        else if (line.equals("done")) done = true;
        if (written >= killAfter) {
          p.destroyForcibly(); // SIGKILL: no shutdown hook, no rollback
          break;
        }
      }
      p.waitFor(60, TimeUnit.SECONDS);
      if (lastReached >= 0) repeated.add(lastReached - startCommitted);
      if (done) {
        assertEquals(0, p.exitValue(), "the last run ends normally");
        break;
      }
      kills++;
      lastStartCommitted = startCommitted;
      lastReached = startCommitted + written;
    }
    assertTrue(kills >= 4, "killed " + kills + " times");
    assertFalse(repeated.isEmpty());
    for (long r : repeated)
      assertTrue(
          r <= JobFixture.COMMIT_EVERY + 2L * JobFixture.BATCH * 16,
          "documents written again after a kill: " + repeated);
    assertEquals(JobFixture.contents(reference), JobFixture.contents(index));
    try (LatteIndexWriter w = JobFixture.writer(index)) {
      JobState s = IndexJob.committedState(w);
      assertTrue(s.done());
      assertEquals(referenceResult.state().counters(), s.counters());
      // Runs count only those that committed something before they were killed.
      assertTrue(s.runs() >= 2, "runs " + s.runs());
    }
    assertTrue(lastStartCommitted >= 0);
  }

  static void copyIndex(Path from, Path to) throws Exception {
    Files.createDirectories(to);
    try (var s = Files.list(from)) {
      for (Path f : s.toList())
        if (!f.getFileName().toString().equals("write.lock"))
          Files.copy(f, to.resolve(f.getFileName()));
    }
  }
}
