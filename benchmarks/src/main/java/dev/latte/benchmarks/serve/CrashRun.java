package dev.latte.benchmarks.serve;

import dev.latte.datasets.Document;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code --mode crash}: {@code --iterations} times bulk-load documents in batches of 16, SIGKILL
 * the server at a random (seeded) moment while a batch is in flight, restart it on the same folder
 * and check that every acknowledged document is there exactly once, that the batch in flight is all
 * or nothing, and that the index (and each trained first stage) answers.
 */
final class CrashRun {
  private final ServeBenchmark o;

  CrashRun(ServeBenchmark options) {
    this.o = options;
  }

  /** One kill, restart and check. */
  record CrashIteration(
      int iteration,
      long killAfterMs,
      int batchesAcked,
      int acknowledged,
      int inFlight,
      int inFlightPresent,
      long documentsFound,
      int sampled,
      int sampledFound,
      int duplicates,
      int missing,
      int exitCode,
      boolean indexOpened,
      boolean searchable,
      double restartMs,
      List<String> problems) {
    boolean pass() {
      return problems.isEmpty();
    }
  }

  /** Every acknowledged id after the last restart. */
  record FinalCheck(
      int acknowledged,
      int checked,
      int found,
      int duplicates,
      long documents,
      int firstStageChecks,
      List<String> firstStageProblems) {
    boolean pass() {
      return checked == acknowledged
          && found == acknowledged
          && duplicates == 0
          && firstStageProblems.isEmpty();
    }
  }

  /** Acknowledged ids, the cursor of the next document to send, and the batch in flight. */
  private static final class LoadState {
    final Set<String> acked = new LinkedHashSet<>();
    int cursor;
    volatile List<String> inFlight = List.of();
  }

  private LoadState crashState;

  private int firstStageChecks;

  List<CrashIteration> run(ServerProcess server, List<Document> docs, List<String> queries)
      throws Exception {
    long[] window = parseRange(o.killAfter);
    Random rnd = new Random(o.seed);
    LoadState st = new LoadState();
    crashState = st;
    server.start();
    if (server.client.documentsOrMissing(ServeBenchmark.INDEX) < 0)
      server.client.createIndex(ServeBenchmark.INDEX, o.firstStages, 32);
    List<CrashIteration> out = new ArrayList<>();
    System.out.printf(
        Locale.ROOT,
        "Server up in %.0f ms; %d iterations: load batches of 16, SIGKILL after %d-%d ms, restart,"
            + " check%n",
        server.lastStartMillis,
        o.iterations,
        window[0],
        window[1]);
    for (int it = 1; it <= o.iterations; it++) {
      long killAt = window[0] + (long) (rnd.nextDouble() * (window[1] - window[0]));
      ApiClient loadClient = server.client;
      AtomicBoolean stop = new AtomicBoolean();
      AtomicReference<String> loaderProblem = new AtomicReference<>();
      AtomicLong batches = new AtomicLong();
      Thread loader =
          Thread.ofPlatform()
              .name("bench-loader")
              .start(
                  () -> {
                    while (!stop.get() && st.cursor < docs.size()) {
                      List<Document> batch =
                          docs.subList(st.cursor, Math.min(docs.size(), st.cursor + 16));
                      List<String> ids = batch.stream().map(Document::id).toList();
                      st.inFlight = ids;
                      try {
                        HttpResponse<String> r =
                            loadClient.addDocuments(ServeBenchmark.INDEX, batch);
                        if (r.statusCode() == 200) {
                          synchronized (st) {
                            st.acked.addAll(ids);
                            st.cursor += batch.size();
                          }
                          st.inFlight = List.of();
                          batches.incrementAndGet();
                        } else {
                          loaderProblem.compareAndSet(
                              null, "write answered " + r.statusCode() + ": " + r.body());
                          return;
                        }
                      } catch (Exception e) {
                        return; // the server was killed under this batch
                      }
                    }
                  });
      Thread.sleep(killAt);
      ProcessHandle h = server.process.toHandle();
      boolean killed = h.destroyForcibly(); // SIGKILL on Linux
      int exit = server.process.waitFor();
      boolean dead = !h.isAlive();
      stop.set(true);
      loader.join(60_000);
      List<String> inFlight = st.inFlight; // the batch that got no answer (empty if none)
      List<String> problems = new ArrayList<>();
      if (!killed || !dead) problems.add("the server did not die");
      if (exit != 137) problems.add("exit code " + exit + ", not 137 (SIGKILL)");
      if (loaderProblem.get() != null) problems.add(loaderProblem.get());

      server.start();
      double restartMs = server.lastStartMillis;
      ApiClient c = server.client; // the restarted server listens on a new port
      long found = c.documentsOrMissing(ServeBenchmark.INDEX);
      boolean opened = found >= 0;
      if (!opened)
        problems.add("index " + ServeBenchmark.INDEX + " is not served after the restart");
      int inFlightPresent = 0;
      int duplicates = 0;
      int missing = 0;
      int sampledFound = 0;
      List<String> sampleIds = new ArrayList<>();
      boolean searchable = false;
      if (opened) {
        Map<String, Document> byId = new java.util.HashMap<>();
        for (Document d : docs) byId.put(d.id(), d);
        for (String id : inFlight) {
          int n = c.countById(ServeBenchmark.INDEX, byId.get(id));
          if (n > 0) inFlightPresent++;
          if (n > 1) duplicates += n - 1;
        }
        if (inFlightPresent != 0 && inFlightPresent != inFlight.size())
          problems.add(
              "in-flight batch partly present: " + inFlightPresent + "/" + inFlight.size());
        sampleIds = sampleAcked(st.acked, o.sample, rnd);
        for (String id : sampleIds) {
          int n = c.countById(ServeBenchmark.INDEX, byId.get(id));
          if (n >= 1) sampledFound++;
          else missing++;
          if (n > 1) duplicates += n - 1;
        }
        int acked = st.acked.size();
        if (found < acked) missing += (int) (acked - found);
        if (found > acked + inFlightPresent) duplicates += (int) (found - acked - inFlightPresent);
        if (missing > 0) problems.add(missing + " acknowledged document(s) missing");
        if (duplicates > 0) problems.add(duplicates + " duplicate(s)");
        searchable = c.searchable(ServeBenchmark.INDEX, queries.get(it % queries.size()));
        if (!searchable) problems.add("searches failed after the restart");
        // A trained first stage must be in step with the commit the server reopened (its
        // methods refuse with 409 otherwise); one still training answers later.
        for (String stage : o.firstStages) {
          String state = c.firstStageState(ServeBenchmark.INDEX, stage);
          if (state.equals("ready") || state.equals("retraining")) {
            HttpResponse<String> r =
                c.search(
                    ServeBenchmark.INDEX,
                    queries.get(it % queries.size()),
                    ServeBenchmark.methodOf(stage),
                    10,
                    null);
            if (r.statusCode() != 200)
              problems.add(stage + " ready but answered " + r.statusCode() + ": " + r.body());
            else firstStageChecks++;
          } else if (!state.equals("training") && !state.equals("waiting")) {
            problems.add("first stage " + stage + " is " + state + " after the restart");
          }
        }
      }
      CrashIteration ci =
          new CrashIteration(
              it,
              killAt,
              (int) batches.get(),
              st.acked.size(),
              inFlight.size(),
              inFlightPresent,
              found,
              sampleIds.size(),
              sampledFound,
              duplicates,
              missing,
              exit,
              opened,
              searchable,
              restartMs,
              List.copyOf(problems));
      out.add(ci);
      System.out.printf(
          Locale.ROOT,
          "iteration %2d: killed after %d ms (exit %d), acknowledged %d, found %d, in flight %d"
              + " (%d present), sampled %d/%d, restart %.0f ms %s%n",
          it,
          killAt,
          exit,
          ci.acknowledged(),
          found,
          inFlight.size(),
          inFlightPresent,
          sampledFound,
          sampleIds.size(),
          restartMs,
          ci.pass() ? "ok" : "FAIL " + problems);
      if (st.cursor >= docs.size()) {
        System.out.println("the corpus is exhausted: stopping");
        break;
      }
    }
    return out;
  }

  /** After the last restart: every acknowledged id, one by one, exactly once. */
  FinalCheck finalCheck(ServerProcess server, List<Document> docs) throws Exception {
    LoadState st = crashState;
    Map<String, Document> byId = new java.util.HashMap<>();
    for (Document d : docs) byId.put(d.id(), d);
    int found = 0;
    int dup = 0;
    int checked = 0;
    for (String id : st.acked) {
      int n = server.client.countById(ServeBenchmark.INDEX, byId.get(id));
      checked++;
      if (n >= 1) found++;
      if (n > 1) dup += n - 1;
    }
    long documents = server.client.documentsOrMissing(ServeBenchmark.INDEX);
    List<String> stageProblems = new ArrayList<>();
    if (!o.firstStages.isEmpty()) {
      server.client.awaitFirstStages(ServeBenchmark.INDEX, o.firstStages, Duration.ofMinutes(30));
      for (String stage : o.firstStages) {
        HttpResponse<String> r =
            server.client.search(
                ServeBenchmark.INDEX,
                docs.get(0).contents(),
                ServeBenchmark.methodOf(stage),
                10,
                null);
        if (r.statusCode() != 200)
          stageProblems.add(stage + ": " + r.statusCode() + " " + r.body());
      }
      System.out.printf(
          Locale.ROOT,
          "First stages %s: answered after %d restarts where trained, and in step at the end:"
              + " %s%n",
          String.join(",", o.firstStages),
          firstStageChecks,
          stageProblems.isEmpty() ? "yes" : stageProblems);
    }
    server.stop();
    return new FinalCheck(
        st.acked.size(), checked, found, dup, documents, firstStageChecks, stageProblems);
  }

  /** Up to {@code n} acknowledged ids: the newest batch's always, the rest drawn at random. */
  static List<String> sampleAcked(Set<String> acked, int n, Random rnd) {
    List<String> all = new ArrayList<>(acked);
    if (all.size() <= n) return all;
    Set<String> pick = new LinkedHashSet<>(all.subList(Math.max(0, all.size() - 16), all.size()));
    while (pick.size() < n) pick.add(all.get(rnd.nextInt(all.size())));
    return new ArrayList<>(pick).subList(0, n);
  }

  static long[] parseRange(String s) {
    String[] p = s.split("-");
    if (p.length != 2) throw new IllegalArgumentException("--kill-after-ms: give MIN-MAX");
    long a = Long.parseLong(p[0].strip());
    long b = Long.parseLong(p[1].strip());
    if (a < 0 || b < a) throw new IllegalArgumentException("--kill-after-ms: need 0 <= MIN <= MAX");
    return new long[] {a, b};
  }
}
