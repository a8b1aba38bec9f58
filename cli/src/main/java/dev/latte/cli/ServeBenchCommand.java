package dev.latte.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.core.LatteHome;
import dev.latte.datasets.BeirDataset;
import dev.latte.datasets.BundledSample;
import dev.latte.datasets.Document;
import dev.latte.datasets.Query;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./latte bench-serve}: drives {@code ./latte serve --data} (started here as a separate
 * process on loopback, over a temporary data folder) with BEIR documents and queries.
 *
 * <ul>
 *   <li>{@code --mode load}: concurrent searches (maxsim-exact and bm25 alternating) while one
 *       writer adds documents; reports throughput, latency percentiles and errors.
 *   <li>{@code --mode crash}: bulk-loads documents, SIGKILLs the server at a random (seeded) moment
 *       while a batch is in flight, restarts it on the same folder and checks that every
 *       acknowledged document is there exactly once and that the index is searchable.
 * </ul>
 */
@Command(
    name = "bench-serve",
    mixinStandardHelpOptions = true,
    description = {
      "Benchmark the live-index server (./latte serve --data) started as a separate process on"
          + " loopback over a temporary data folder.",
      "--mode load: --clients threads search (maxsim-exact and bm25 alternating, k 10) for"
          + " --duration seconds while one writer adds documents in batches of 8.",
      "--mode crash: --iterations times bulk-load documents in batches of 16, SIGKILL the server"
          + " while a batch is in flight, restart it and check every acknowledged document."
    })
final class ServeBenchCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String INDEX = "bench";

  enum Mode {
    load,
    crash
  }

  @Option(
      names = "--mode",
      defaultValue = "load",
      description = "load or crash (default: ${DEFAULT-VALUE}).")
  Mode mode;

  @Option(
      names = "--dataset",
      paramLabel = "DIR",
      description =
          "BEIR folder (corpus.jsonl, queries.jsonl); default: the bundled SciFact sample.")
  Path dataset;

  @Option(
      names = "--duration",
      defaultValue = "60",
      description = "load: seconds of searching (default: ${DEFAULT-VALUE}).")
  int duration;

  @Option(
      names = "--clients",
      defaultValue = "32",
      description = "load: concurrent search clients (default: ${DEFAULT-VALUE}).")
  int clients;

  @Option(
      names = "--preload",
      defaultValue = "300",
      description = "load: documents indexed before searching starts (default: ${DEFAULT-VALUE}).")
  int preload;

  @Option(
      names = "--iterations",
      defaultValue = "10",
      description = "crash: kill/restart cycles (default: ${DEFAULT-VALUE}).")
  int iterations;

  @Option(
      names = "--kill-after-ms",
      defaultValue = "1500-5000",
      description =
          "crash: the kill comes at a random time in this range after loading starts"
              + " (default: ${DEFAULT-VALUE}).")
  String killAfter;

  @Option(
      names = "--sample",
      defaultValue = "50",
      description =
          "crash: acknowledged ids checked one by one per iteration (default: ${DEFAULT-VALUE}).")
  int sample;

  @Option(
      names = "--seed",
      defaultValue = "42",
      description = "Seed of the kill times and samples (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--model",
      defaultValue = "default",
      description = "Model the server encodes with (default: ${DEFAULT-VALUE}).")
  String model;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the report as JSON.")
  Path json;

  @Option(names = "--keep-data", description = "Keep the temporary data folder and server logs.")
  boolean keepData;

  @Option(
      names = "--first-stages",
      paramLabel = "LIST",
      split = ",",
      description =
          "First stages the index maintains (xtr, coil, slim, lucene-stock). Load: trained after"
              + " the preload (waited for), their methods join the search mix, and each write"
              + " reports the time spent keeping them in step. Crash: trained after 32 documents;"
              + " after every restart a trained stage must answer (in step with every commit).")
  List<String> firstStages = List.of();

  /** The method that exercises a first stage in the search mix. */
  static String methodOf(String stage) {
    return stage.equals("lucene-stock") ? stage : stage + "+maxsim";
  }

  @Override
  public Integer call() throws Exception {
    if (duration < 1 || clients < 1 || iterations < 1 || preload < 0 || sample < 0)
      throw new IllegalArgumentException(
          "--duration, --clients, --iterations must be >= 1, --preload and --sample >= 0");
    BeirDataset ds =
        dataset != null
            ? BeirDataset.open(dataset)
            : BundledSample.materialize(LatteHome.dir().resolve("datasets"));
    List<Document> docs;
    try (Stream<Document> s = ds.corpus()) {
      docs = s.toList();
    }
    List<String> queries = ds.queries().values().stream().map(Query::text).toList();
    if (docs.isEmpty() || queries.isEmpty())
      throw new IllegalArgumentException(ds.dir() + " has no documents or no queries");
    Path work = Files.createTempDirectory("latte-bench-serve");
    System.out.println(
        "Dataset "
            + ds.name()
            + " ("
            + docs.size()
            + " documents, "
            + queries.size()
            + " queries); data folder and server logs in "
            + work);
    try (Server server = new Server(work, model)) {
      Map<String, Object> report;
      boolean pass;
      if (mode == Mode.load) {
        LoadResult r = runLoad(server, docs, queries);
        System.out.println();
        System.out.print(loadTable(r));
        report = loadReport(r);
        pass = r.searchErrors() == 0 && r.writeErrors() == 0;
      } else {
        List<CrashIteration> its = runCrash(server, docs, queries);
        FinalCheck fin = finalCheck(server, docs);
        System.out.println();
        System.out.print(crashTable(its, fin));
        report = crashReport(its, fin, seed);
        pass = (Boolean) report.get("pass");
      }
      if (json != null) {
        JSON.writerWithDefaultPrettyPrinter().writeValue(json.toFile(), report);
        System.out.println("JSON report: " + json.toAbsolutePath());
      }
      return pass ? 0 : 1;
    } finally {
      if (!keepData) deleteTree(work);
    }
  }

  // ---------------------------------------------------------------- load

  record LoadResult(
      String dataset,
      int clients,
      double seconds,
      long searches,
      long searchErrors,
      double[] searchMillis,
      Map<String, double[]> searchMillisByMethod,
      long writeBatches,
      long writeErrors,
      double[] writeMillis,
      double[] firstStageMillis,
      long documentsIndexed,
      long documentsAtEnd,
      List<String> errorSamples) {}

  private LoadResult runLoad(Server server, List<Document> docs, List<String> queries)
      throws Exception {
    server.start();
    Client c = server.client;
    int pre = Math.min(preload, docs.size());
    c.createIndex(INDEX, firstStages, Math.max(1, pre));
    long t0 = System.nanoTime();
    for (int i = 0; i < pre; i += 32) {
      HttpResponse<String> r = c.addDocuments(INDEX, docs.subList(i, Math.min(pre, i + 32)));
      if (r.statusCode() != 200)
        throw new IllegalStateException("preload failed: " + r.statusCode() + " " + r.body());
    }
    System.out.printf(
        Locale.ROOT,
        "Preloaded %d documents in %.1f s; %d clients search for %d s while one writer adds"
            + " batches of 8%n",
        pre,
        (System.nanoTime() - t0) / 1e9,
        clients,
        duration);
    if (!firstStages.isEmpty()) {
      long t1 = System.nanoTime();
      c.awaitFirstStages(INDEX, firstStages, Duration.ofMinutes(30));
      System.out.printf(
          Locale.ROOT,
          "First stages %s trained and in step %.1f s after the preload%n",
          String.join(",", firstStages),
          (System.nanoTime() - t1) / 1e9);
    }

    // Warm-up, not measured: the server's first searches of each method pay for JIT compilation.
    for (int i = 0; i < 20; i++)
      c.search(
          INDEX, queries.get(i % queries.size()), i % 2 == 0 ? "maxsim-exact" : "bm25", 10, null);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong searchErrors = new AtomicLong();
    AtomicLong writeErrors = new AtomicLong();
    List<String> errorSamples = Collections.synchronizedList(new ArrayList<>());
    List<List<double[]>> perClient = new ArrayList<>(); // {method index, millis}
    List<Thread> threads = new ArrayList<>();
    List<String> mix = new ArrayList<>(List.of("maxsim-exact", "bm25"));
    for (String stage : firstStages) mix.add(methodOf(stage));
    String[] methods = mix.toArray(String[]::new);
    for (int t = 0; t < clients; t++) {
      List<double[]> mine = new ArrayList<>();
      perClient.add(mine);
      int id = t;
      threads.add(
          Thread.ofPlatform()
              .name("bench-client-" + t)
              .unstarted(
                  () -> {
                    int n = 0;
                    while (!stop.get()) {
                      int m = (id + n) % methods.length;
                      String q = queries.get((id * 7919 + n * 31) % queries.size());
                      n++;
                      long s = System.nanoTime();
                      try {
                        HttpResponse<String> r = c.search(INDEX, q, methods[m], 10, null);
                        double ms = (System.nanoTime() - s) / 1e6;
                        if (stop.get() && r.statusCode() == 200) break; // past the deadline
                        mine.add(new double[] {m, ms});
                        if (r.statusCode() != 200) {
                          searchErrors.incrementAndGet();
                          sampleError(errorSamples, "search " + r.statusCode() + " " + r.body());
                        }
                      } catch (Exception e) {
                        if (stop.get()) break;
                        mine.add(new double[] {m, (System.nanoTime() - s) / 1e6});
                        searchErrors.incrementAndGet();
                        sampleError(errorSamples, "search " + e);
                      }
                    }
                  }));
    }
    List<Double> writeMillis = Collections.synchronizedList(new ArrayList<>());
    List<Double> syncMillis = Collections.synchronizedList(new ArrayList<>());
    AtomicLong indexed = new AtomicLong();
    Thread writer =
        Thread.ofPlatform()
            .name("bench-writer")
            .unstarted(
                () -> {
                  int cursor = pre;
                  while (!stop.get()) {
                    List<Document> batch = new ArrayList<>(8);
                    for (int i = 0; i < 8; i++) batch.add(docs.get((cursor + i) % docs.size()));
                    cursor += 8;
                    long s = System.nanoTime();
                    try {
                      HttpResponse<String> r = c.addDocuments(INDEX, batch);
                      writeMillis.add((System.nanoTime() - s) / 1e6);
                      if (r.statusCode() == 200) {
                        indexed.addAndGet(batch.size());
                        JsonNode fs = JSON.readTree(r.body()).get("first_stages_ms");
                        if (fs != null) syncMillis.add(fs.asDouble());
                      } else {
                        writeErrors.incrementAndGet();
                        sampleError(errorSamples, "write " + r.statusCode() + " " + r.body());
                      }
                    } catch (Exception e) {
                      writeMillis.add((System.nanoTime() - s) / 1e6);
                      writeErrors.incrementAndGet();
                      sampleError(errorSamples, "write " + e);
                    }
                  }
                });
    long start = System.nanoTime();
    threads.forEach(Thread::start);
    writer.start();
    Thread.sleep(duration * 1000L);
    stop.set(true);
    double seconds = (System.nanoTime() - start) / 1e9;
    for (Thread t : threads) t.join(180_000);
    writer.join(180_000);
    long atEnd = c.documents(INDEX);
    server.stop();

    List<double[]> all = new ArrayList<>();
    perClient.forEach(all::addAll);
    double[] lat = latencies(all, -1);
    Map<String, double[]> byMethod = new LinkedHashMap<>();
    for (int m = 0; m < methods.length; m++) byMethod.put(methods[m], latencies(all, m));
    double[] wl;
    synchronized (writeMillis) {
      wl = millis(writeMillis);
    }
    double[] sl;
    synchronized (syncMillis) {
      sl = millis(syncMillis);
    }
    return new LoadResult(
        dataset == null ? BundledSample.NAME + " (bundled sample)" : dataset.toString(),
        clients,
        seconds,
        lat.length,
        searchErrors.get(),
        lat,
        byMethod,
        wl.length,
        writeErrors.get(),
        wl,
        sl,
        indexed.get(),
        atEnd,
        List.copyOf(errorSamples));
  }

  private static void sampleError(List<String> samples, String s) {
    if (samples.size() < 5) samples.add(s.length() > 300 ? s.substring(0, 300) : s);
  }

  // ---------------------------------------------------------------- crash

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

  private List<CrashIteration> runCrash(Server server, List<Document> docs, List<String> queries)
      throws Exception {
    long[] window = parseRange(killAfter);
    Random rnd = new Random(seed);
    LoadState st = new LoadState();
    crashState = st;
    server.start();
    if (server.client.documentsOrMissing(INDEX) < 0)
      server.client.createIndex(INDEX, firstStages, 32);
    List<CrashIteration> out = new ArrayList<>();
    System.out.printf(
        Locale.ROOT,
        "Server up in %.0f ms; %d iterations: load batches of 16, SIGKILL after %d-%d ms, restart,"
            + " check%n",
        server.lastStartMillis,
        iterations,
        window[0],
        window[1]);
    for (int it = 1; it <= iterations; it++) {
      long killAt = window[0] + (long) (rnd.nextDouble() * (window[1] - window[0]));
      Client loadClient = server.client;
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
                        HttpResponse<String> r = loadClient.addDocuments(INDEX, batch);
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
      Client c = server.client; // the restarted server listens on a new port
      long found = c.documentsOrMissing(INDEX);
      boolean opened = found >= 0;
      if (!opened) problems.add("index " + INDEX + " is not served after the restart");
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
          int n = c.countById(INDEX, byId.get(id));
          if (n > 0) inFlightPresent++;
          if (n > 1) duplicates += n - 1;
        }
        if (inFlightPresent != 0 && inFlightPresent != inFlight.size())
          problems.add(
              "in-flight batch partly present: " + inFlightPresent + "/" + inFlight.size());
        sampleIds = sampleAcked(st.acked, sample, rnd);
        for (String id : sampleIds) {
          int n = c.countById(INDEX, byId.get(id));
          if (n >= 1) sampledFound++;
          else missing++;
          if (n > 1) duplicates += n - 1;
        }
        int acked = st.acked.size();
        if (found < acked) missing += (int) (acked - found);
        if (found > acked + inFlightPresent) duplicates += (int) (found - acked - inFlightPresent);
        if (missing > 0) problems.add(missing + " acknowledged document(s) missing");
        if (duplicates > 0) problems.add(duplicates + " duplicate(s)");
        searchable = c.searchable(INDEX, queries.get(it % queries.size()));
        if (!searchable) problems.add("searches failed after the restart");
        // A trained first stage must be in step with the commit the server reopened (its
        // methods refuse with 409 otherwise); one still training answers later.
        for (String stage : firstStages) {
          String state = c.firstStageState(INDEX, stage);
          if (state.equals("ready") || state.equals("retraining")) {
            HttpResponse<String> r =
                c.search(INDEX, queries.get(it % queries.size()), methodOf(stage), 10, null);
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
  private FinalCheck finalCheck(Server server, List<Document> docs) throws Exception {
    LoadState st = crashState;
    Map<String, Document> byId = new java.util.HashMap<>();
    for (Document d : docs) byId.put(d.id(), d);
    int found = 0;
    int dup = 0;
    int checked = 0;
    for (String id : st.acked) {
      int n = server.client.countById(INDEX, byId.get(id));
      checked++;
      if (n >= 1) found++;
      if (n > 1) dup += n - 1;
    }
    long documents = server.client.documentsOrMissing(INDEX);
    List<String> stageProblems = new ArrayList<>();
    if (!firstStages.isEmpty()) {
      server.client.awaitFirstStages(INDEX, firstStages, Duration.ofMinutes(30));
      for (String stage : firstStages) {
        HttpResponse<String> r =
            server.client.search(INDEX, docs.get(0).contents(), methodOf(stage), 10, null);
        if (r.statusCode() != 200)
          stageProblems.add(stage + ": " + r.statusCode() + " " + r.body());
      }
      System.out.printf(
          Locale.ROOT,
          "First stages %s: answered after %d restarts where trained, and in step at the end:"
              + " %s%n",
          String.join(",", firstStages),
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

  // ---------------------------------------------------------------- report arithmetic

  /** Nearest-rank percentile ({@code p} in 0..100) of {@code values}; NaN when empty. */
  static double percentile(double[] values, double p) {
    if (values.length == 0) return Double.NaN;
    double[] s = values.clone();
    Arrays.sort(s);
    int rank = (int) Math.ceil(p / 100.0 * s.length);
    return s[Math.min(s.length, Math.max(1, rank)) - 1];
  }

  /** count, mean, p50, p95, p99, max of latencies in ms. */
  static Map<String, Object> summary(double[] ms) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("count", ms.length);
    m.put("mean_ms", round(Arrays.stream(ms).average().orElse(Double.NaN)));
    m.put("p50_ms", round(percentile(ms, 50)));
    m.put("p95_ms", round(percentile(ms, 95)));
    m.put("p99_ms", round(percentile(ms, 99)));
    m.put("max_ms", round(Arrays.stream(ms).max().orElse(Double.NaN)));
    return m;
  }

  static double round(double v) {
    return Double.isNaN(v) ? v : Math.round(v * 10) / 10.0;
  }

  static Map<String, Object> loadReport(LoadResult r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("mode", "load");
    m.put("dataset", r.dataset());
    m.put("clients", r.clients());
    m.put("duration_s", round(r.seconds()));
    m.put("searches", r.searches());
    m.put("search_errors", r.searchErrors());
    m.put("throughput_per_s", round(r.searches() / r.seconds()));
    m.put("search_latency", summary(r.searchMillis()));
    Map<String, Object> byMethod = new LinkedHashMap<>();
    r.searchMillisByMethod().forEach((k, v) -> byMethod.put(k, summary(v)));
    m.put("search_latency_by_method", byMethod);
    m.put("write_batches", r.writeBatches());
    m.put("write_errors", r.writeErrors());
    m.put("write_latency", summary(r.writeMillis()));
    if (r.firstStageMillis().length > 0)
      m.put("write_first_stage_sync", summary(r.firstStageMillis()));
    m.put("documents_indexed_during_load", r.documentsIndexed());
    m.put("documents_at_end", r.documentsAtEnd());
    m.put("error_samples", r.errorSamples());
    m.put("pass", r.searchErrors() == 0 && r.writeErrors() == 0);
    return m;
  }

  static String loadTable(LoadResult r) {
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            Locale.ROOT,
            "| clients | duration s | searches | errors | searches/s | p50 ms | p95 ms | p99 ms |%n"
                + "|---:|---:|---:|---:|---:|---:|---:|---:|%n"
                + "| %d | %.1f | %d | %d | %.1f | %.1f | %.1f | %.1f |%n%n",
            r.clients(),
            r.seconds(),
            r.searches(),
            r.searchErrors(),
            r.searches() / r.seconds(),
            percentile(r.searchMillis(), 50),
            percentile(r.searchMillis(), 95),
            percentile(r.searchMillis(), 99)));
    b.append("| method | searches | p50 ms | p95 ms | p99 ms |\n|---|---:|---:|---:|---:|\n");
    r.searchMillisByMethod()
        .forEach(
            (k, v) ->
                b.append(
                    String.format(
                        Locale.ROOT,
                        "| %s | %d | %.1f | %.1f | %.1f |%n",
                        k,
                        v.length,
                        percentile(v, 50),
                        percentile(v, 95),
                        percentile(v, 99))));
    b.append(
        String.format(
            Locale.ROOT,
            "%n| write batches (8 docs) | write errors | write p50 ms | write p95 ms | docs"
                + " indexed during load | docs in index at end |%n"
                + "|---:|---:|---:|---:|---:|---:|%n"
                + "| %d | %d | %.1f | %.1f | %d | %d |%n",
            r.writeBatches(),
            r.writeErrors(),
            percentile(r.writeMillis(), 50),
            percentile(r.writeMillis(), 95),
            r.documentsIndexed(),
            r.documentsAtEnd()));
    if (r.firstStageMillis().length > 0)
      b.append(
          String.format(
              Locale.ROOT,
              "%nKeeping the first stages in step, per write batch: p50 %.1f ms, p95 %.1f ms (part"
                  + " of the write latency)%n",
              percentile(r.firstStageMillis(), 50),
              percentile(r.firstStageMillis(), 95)));
    for (String e : r.errorSamples()) b.append("error: ").append(e).append('\n');
    b.append(r.searchErrors() == 0 && r.writeErrors() == 0 ? "PASS\n" : "FAIL\n");
    return b.toString();
  }

  static Map<String, Object> crashReport(List<CrashIteration> its, FinalCheck fin, long seed) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("mode", "crash");
    m.put("seed", seed);
    List<Map<String, Object>> rows = new ArrayList<>();
    for (CrashIteration c : its) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("iteration", c.iteration());
      r.put("kill_after_ms", c.killAfterMs());
      r.put("exit_code", c.exitCode());
      r.put("batches_acknowledged", c.batchesAcked());
      r.put("acknowledged_total", c.acknowledged());
      r.put("in_flight", c.inFlight());
      r.put("in_flight_present", c.inFlightPresent());
      r.put("documents_found", c.documentsFound());
      r.put("sampled", c.sampled());
      r.put("sampled_found", c.sampledFound());
      r.put("missing", c.missing());
      r.put("duplicates", c.duplicates());
      r.put("index_opened", c.indexOpened());
      r.put("searchable", c.searchable());
      r.put("restart_ms", round(c.restartMs()));
      r.put("problems", c.problems());
      r.put("pass", c.pass());
      rows.add(r);
    }
    m.put("iterations", rows);
    Map<String, Object> f = new LinkedHashMap<>();
    if (fin != null) {
      f.put("acknowledged", fin.acknowledged());
      f.put("checked", fin.checked());
      f.put("found", fin.found());
      f.put("duplicates", fin.duplicates());
      f.put("documents", fin.documents());
      f.put("first_stage_answers_after_restarts", fin.firstStageChecks());
      f.put("first_stage_problems", fin.firstStageProblems());
      f.put("pass", fin.pass());
    }
    m.put("final_check", f);
    m.put("restart", summary(restartMillis(its)));
    m.put("pass", crashPassed(its, fin));
    return m;
  }

  /** Latencies in ms of the {@code {method index, ms}} samples of one method (-1: all). */
  static double[] latencies(List<double[]> samples, int method) {
    return samples.stream()
        .filter(a -> method < 0 || a[0] == method)
        .mapToDouble(a -> a[1])
        .toArray();
  }

  static double[] millis(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).toArray();
  }

  static double[] restartMillis(List<CrashIteration> its) {
    return its.stream().mapToDouble(CrashIteration::restartMs).toArray();
  }

  /** Every iteration passed and so did the final check (if there was one). */
  static boolean crashPassed(List<CrashIteration> its, FinalCheck fin) {
    return !its.isEmpty()
        && its.stream().allMatch(CrashIteration::pass)
        && (fin == null || fin.pass());
  }

  static String crashTable(List<CrashIteration> its, FinalCheck fin) {
    StringBuilder b = new StringBuilder();
    b.append(
        "| it | kill ms | exit | acked batches | acked total | in flight (present) | docs found |"
            + " sampled found | missing | dups | restart ms | result |\n"
            + "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for (CrashIteration c : its) {
      b.append(
          String.format(
              Locale.ROOT,
              "| %d | %d | %d | %d | %d | %d (%d) | %d | %d/%d | %d | %d | %.0f | %s |%n",
              c.iteration(),
              c.killAfterMs(),
              c.exitCode(),
              c.batchesAcked(),
              c.acknowledged(),
              c.inFlight(),
              c.inFlightPresent(),
              c.documentsFound(),
              c.sampledFound(),
              c.sampled(),
              c.missing(),
              c.duplicates(),
              c.restartMs(),
              c.pass() ? "pass" : "FAIL: " + String.join("; ", c.problems())));
    }
    if (fin != null)
      b.append(
          String.format(
              Locale.ROOT,
              "%nFinal check: %d/%d acknowledged ids found exactly once (%d duplicates), %d documents"
                  + " in the index%n",
              fin.found(),
              fin.acknowledged(),
              fin.duplicates(),
              fin.documents()));
    double[] restarts = restartMillis(its);
    b.append(
        String.format(
            Locale.ROOT,
            "Restart to healthy: p50 %.0f ms, max %.0f ms%n",
            percentile(restarts, 50),
            Arrays.stream(restarts).max().orElse(Double.NaN)));
    b.append(crashPassed(its, fin) ? "PASS\n" : "FAIL\n");
    return b.toString();
  }

  // ---------------------------------------------------------------- server process and client

  /** {@code latte serve --data DIR} as a child process of this JVM, restartable on the same DIR. */
  private static final class Server implements AutoCloseable {
    final Path data;
    final Path log;
    final Path tmp;
    final String model;
    final String key = UUID.randomUUID().toString();
    Process process;
    Client client;
    double lastStartMillis;
    private final Thread hook;

    Server(Path work, String model) throws IOException {
      this.data = work.resolve("data");
      this.log = work.resolve("server.log");
      this.tmp = work.resolve("tmp");
      this.model = model;
      this.hook =
          new Thread(
              () -> {
                Process p = process;
                if (p != null) p.destroyForcibly();
              });
      Runtime.getRuntime().addShutdownHook(hook);
    }

    void start() throws Exception {
      int port;
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        port = s.getLocalPort();
      }
      String java =
          ProcessHandle.current()
              .info()
              .command()
              .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      List<String> cmd = new ArrayList<>();
      cmd.add(java);
      cmd.add("--add-modules");
      cmd.add("jdk.incubator.vector");
      cmd.add("--enable-native-access=ALL-UNNAMED");
      cmd.add("-Dai.djl.offline=true");
      String home = System.getProperty("latte.home");
      if (home != null) cmd.add("-Dlatte.home=" + home);
      // Native libraries are unpacked under java.io.tmpdir; a killed server cannot clean them up,
      // so they go to the work folder, deleted at the end.
      Files.createDirectories(tmp);
      cmd.add("-Djava.io.tmpdir=" + tmp);
      cmd.add("-cp");
      cmd.add(System.getProperty("java.class.path"));
      cmd.add("dev.latte.cli.Latte");
      cmd.addAll(
          List.of(
              "serve",
              "--data",
              data.toString(),
              "--host",
              "127.0.0.1",
              "--port",
              Integer.toString(port),
              "--model",
              model));
      ProcessBuilder pb = new ProcessBuilder(cmd);
      pb.environment().put("LATTE_API_KEY", key);
      pb.redirectErrorStream(true);
      pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      long t0 = System.nanoTime();
      process = pb.start();
      client = new Client(URI.create("http://127.0.0.1:" + port), key);
      long deadline = t0 + 180_000_000_000L;
      while (true) {
        if (!process.isAlive())
          throw new IllegalStateException(
              "the server exited with " + process.exitValue() + "; see " + log);
        if (client.healthy()) break;
        if (System.nanoTime() > deadline)
          throw new IllegalStateException("the server did not answer within 180 s; see " + log);
        Thread.sleep(50);
      }
      lastStartMillis = (System.nanoTime() - t0) / 1e6;
    }

    /** SIGTERM and wait (a clean shutdown), SIGKILL if that takes over 30 s. */
    void stop() throws InterruptedException {
      if (process == null || !process.isAlive()) return;
      process.destroy();
      if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor();
      }
    }

    @Override
    public void close() throws InterruptedException {
      stop();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // shutting down
      }
    }
  }

  /** The few calls of the HTTP API the benchmark makes. */
  private static final class Client {
    private final HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final URI base;
    private final String key;

    Client(URI base, String key) {
      this.base = base;
      this.key = key;
    }

    private HttpRequest.Builder req(String path, Duration timeout) {
      return HttpRequest.newBuilder(base.resolve(path))
          .timeout(timeout)
          .header("Authorization", "Bearer " + key)
          .header("Content-Type", "application/json");
    }

    private HttpResponse<String> post(String path, Object body, Duration timeout)
        throws IOException, InterruptedException {
      return http.send(
          req(path, timeout)
              .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)))
              .build(),
          HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    boolean healthy() {
      try {
        return http.send(
                    req("/v1/health", Duration.ofSeconds(2)).GET().build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode()
            == 200;
      } catch (IOException e) {
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }

    void createIndex(String name, List<String> firstStages, int trainAfter)
        throws IOException, InterruptedException {
      HttpResponse<String> r =
          post(
              "/v1/indexes",
              Map.of(
                  "name", name, "first_stages", firstStages, "train_after_documents", trainAfter),
              Duration.ofSeconds(60));
      if (r.statusCode() != 201)
        throw new IllegalStateException("creating the index: " + r.statusCode() + " " + r.body());
    }

    /** The state of a first stage of the index (ready, training, waiting, ...). */
    String firstStageState(String name, String stage) throws IOException, InterruptedException {
      HttpResponse<String> r =
          http.send(
              req("/v1/indexes/" + name, Duration.ofSeconds(30)).GET().build(),
              HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      if (r.statusCode() != 200)
        throw new IllegalStateException("index stats: " + r.statusCode() + " " + r.body());
      return JSON.readTree(r.body()).path("first_stages").path(stage).path("state").asText("none");
    }

    /** Waits until every stage is ready; fails if one fails or the time runs out. */
    void awaitFirstStages(String name, List<String> stages, Duration timeout)
        throws IOException, InterruptedException {
      long end = System.nanoTime() + timeout.toNanos();
      for (String stage : stages) {
        while (true) {
          String state = firstStageState(name, stage);
          if (state.equals("ready") || state.equals("retraining")) break;
          if (!state.equals("training") && !state.equals("waiting"))
            throw new IllegalStateException("first stage " + stage + " is " + state);
          if (System.nanoTime() > end)
            throw new IllegalStateException("first stage " + stage + " not ready in " + timeout);
          Thread.sleep(500);
        }
      }
    }

    /** Live documents of the index, or -1 if it is not served. */
    long documentsOrMissing(String name) throws IOException, InterruptedException {
      HttpResponse<String> r =
          http.send(
              req("/v1/indexes/" + name, Duration.ofSeconds(30)).GET().build(),
              HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      if (r.statusCode() == 404) return -1;
      if (r.statusCode() != 200)
        throw new IllegalStateException("index stats: " + r.statusCode() + " " + r.body());
      return JSON.readTree(r.body()).get("documents").asLong();
    }

    long documents(String name) throws IOException, InterruptedException {
      long n = documentsOrMissing(name);
      if (n < 0) throw new IllegalStateException("index " + name + " is gone");
      return n;
    }

    HttpResponse<String> addDocuments(String name, List<Document> docs)
        throws IOException, InterruptedException {
      ArrayNode arr = JSON.createArrayNode();
      for (Document d : docs) {
        ObjectNode o = arr.addObject();
        o.put("id", d.id());
        if (!d.title().isEmpty()) o.put("title", d.title());
        o.put("text", d.text().isBlank() ? d.title() : d.text());
        o.putObject("metadata").put("doc_id", d.id());
      }
      return post("/v1/indexes/" + name + "/documents", arr, Duration.ofSeconds(300));
    }

    HttpResponse<String> search(String name, String query, String method, int k, JsonNode filter)
        throws IOException, InterruptedException {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("query", query);
      body.put("method", method);
      body.put("k", k);
      if (filter != null) body.put("filter", filter);
      return post("/v1/indexes/" + name + "/search", body, Duration.ofSeconds(120));
    }

    /**
     * How many documents carry {@code doc_id} = d's id: a bm25 search for d's own words filtered on
     * that id (maxsim-exact, which scores every filtered document, if bm25 finds nothing).
     */
    int countById(String name, Document d) throws IOException, InterruptedException {
      ObjectNode filter = JSON.createObjectNode();
      filter.putObject("term").put("doc_id", d.id());
      String q = d.contents();
      if (q.length() > 300) q = q.substring(0, 300);
      int n = -1;
      for (String method : new String[] {"bm25", "maxsim-exact"}) {
        HttpResponse<String> r = search(name, q, method, 10, filter);
        if (r.statusCode() != 200)
          throw new IllegalStateException("filtered search: " + r.statusCode() + " " + r.body());
        n = 0;
        for (JsonNode h : JSON.readTree(r.body()).get("hits")) {
          if (!d.id().equals(h.get("docid").asText()))
            throw new IllegalStateException("filter on " + d.id() + " matched " + h.get("docid"));
          n++;
        }
        if (n > 0) return n;
      }
      return n;
    }

    /** A bm25 and a maxsim-exact search both answer 200 with hits. */
    boolean searchable(String name, String query) throws IOException, InterruptedException {
      for (String m : new String[] {"bm25", "maxsim-exact"}) {
        HttpResponse<String> r = search(name, query, m, 10, null);
        if (r.statusCode() != 200 || JSON.readTree(r.body()).get("hits").isEmpty()) return false;
      }
      return true;
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }
}
