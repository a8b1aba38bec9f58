package dev.latte.benchmarks.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.latte.datasets.BundledSample;
import dev.latte.datasets.Document;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code --mode load}: {@code --clients} threads search (maxsim-exact, bm25 and each maintained
 * first stage's method, in turn) for {@code --duration} seconds while one writer adds documents in
 * batches of 8; the searches and writes are timed one by one.
 */
final class LoadRun {
  private final ServeBenchmark o;

  LoadRun(ServeBenchmark options) {
    this.o = options;
  }

  /** What one load run measured; {@link ServeReport} turns it into a table and JSON. */
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

  LoadResult run(ServerProcess server, List<Document> docs, List<String> queries) throws Exception {
    server.start();
    ApiClient c = server.client;
    int pre = Math.min(o.preload, docs.size());
    c.createIndex(ServeBenchmark.INDEX, o.firstStages, Math.max(1, pre));
    long t0 = System.nanoTime();
    for (int i = 0; i < pre; i += 32) {
      HttpResponse<String> r =
          c.addDocuments(ServeBenchmark.INDEX, docs.subList(i, Math.min(pre, i + 32)));
      if (r.statusCode() != 200)
        throw new IllegalStateException("preload failed: " + r.statusCode() + " " + r.body());
    }
    System.out.printf(
        Locale.ROOT,
        "Preloaded %d documents in %.1f s; %d clients search for %d s while one writer adds"
            + " batches of 8%n",
        pre,
        (System.nanoTime() - t0) / 1e9,
        o.clients,
        o.duration);
    if (!o.firstStages.isEmpty()) {
      long t1 = System.nanoTime();
      c.awaitFirstStages(ServeBenchmark.INDEX, o.firstStages, Duration.ofMinutes(30));
      System.out.printf(
          Locale.ROOT,
          "First stages %s trained and in step %.1f s after the preload%n",
          String.join(",", o.firstStages),
          (System.nanoTime() - t1) / 1e9);
    }

    // Warm-up, not measured: the server's first searches of each method pay for JIT compilation.
    for (int i = 0; i < 20; i++)
      c.search(
          ServeBenchmark.INDEX,
          queries.get(i % queries.size()),
          i % 2 == 0 ? "maxsim-exact" : "bm25",
          10,
          null);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong searchErrors = new AtomicLong();
    AtomicLong writeErrors = new AtomicLong();
    List<String> errorSamples = Collections.synchronizedList(new ArrayList<>());
    List<List<double[]>> perClient = new ArrayList<>(); // {method index, millis}
    List<Thread> threads = new ArrayList<>();
    List<String> mix = new ArrayList<>(List.of("maxsim-exact", "bm25"));
    for (String stage : o.firstStages) mix.add(ServeBenchmark.methodOf(stage));
    String[] methods = mix.toArray(String[]::new);
    for (int t = 0; t < o.clients; t++) {
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
                        HttpResponse<String> r =
                            c.search(ServeBenchmark.INDEX, q, methods[m], 10, null);
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
                      HttpResponse<String> r = c.addDocuments(ServeBenchmark.INDEX, batch);
                      writeMillis.add((System.nanoTime() - s) / 1e6);
                      if (r.statusCode() == 200) {
                        indexed.addAndGet(batch.size());
                        JsonNode fs = ServeBenchmark.JSON.readTree(r.body()).get("first_stages_ms");
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
    Thread.sleep(o.duration * 1000L);
    stop.set(true);
    double seconds = (System.nanoTime() - start) / 1e9;
    for (Thread t : threads) t.join(180_000);
    writer.join(180_000);
    long atEnd = c.documents(ServeBenchmark.INDEX);
    server.stop();

    List<double[]> all = new ArrayList<>();
    perClient.forEach(all::addAll);
    double[] lat = ServeReport.latencies(all, -1);
    Map<String, double[]> byMethod = new LinkedHashMap<>();
    for (int m = 0; m < methods.length; m++)
      byMethod.put(methods[m], ServeReport.latencies(all, m));
    double[] wl;
    synchronized (writeMillis) {
      wl = ServeReport.millis(writeMillis);
    }
    double[] sl;
    synchronized (syncMillis) {
      sl = ServeReport.millis(syncMillis);
    }
    return new LoadResult(
        o.dataset == null ? BundledSample.NAME + " (bundled sample)" : o.dataset.toString(),
        o.clients,
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

  static void sampleError(List<String> samples, String s) {
    if (samples.size() < 5) samples.add(s.length() > 300 ? s.substring(0, 300) : s);
  }

  // ---------------------------------------------------------------- crash

}
