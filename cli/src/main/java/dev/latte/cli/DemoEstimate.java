package dev.latte.cli;

import dev.latte.datasets.Document;
import dev.latte.encoders.TokenEncoder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The first demo's time estimate, printed before the long part starts: encoding at the speed just
 * measured on a sample of the corpus, then the first stages and the evaluation.
 *
 * <p>The part after encoding (building four first stages, then 13 methods on 300 queries on one
 * query thread) does not get faster with more encoding threads, so it is estimated per core:
 * {@value #REST_PER_CORE_ENCODING} times the time one core needs to encode the corpus. That factor
 * is the lead's first demo on this project's 2-core machine (2026-12-06, other work running): 137.5
 * s to encode 5,183 documents on 2 threads (37.7 docs/s, so 275 s on one core), about 575 s for
 * everything after it. When an evaluation already ran here, its measured time is used instead.
 */
record DemoEstimate(
    long documents, double docsPerSecond, double encodeSeconds, double restSeconds) {
  static final double REST_PER_CORE_ENCODING = 2.1;

  /** The estimate for {@code documents} at a measured speed on {@code threads} threads. */
  static DemoEstimate of(
      long documents, double docsPerSecond, int threads, OptionalDouble lastEvaluationSeconds) {
    double encode = documents / docsPerSecond;
    double perCore = documents / (docsPerSecond / Math.max(1, threads));
    double rest = REST_PER_CORE_ENCODING * perCore;
    if (lastEvaluationSeconds.isPresent()) rest = lastEvaluationSeconds.getAsDouble();
    return new DemoEstimate(documents, docsPerSecond, encode, rest);
  }

  /**
   * Documents per second when {@code threads} threads encode batches of {@code batch} documents of
   * {@code sample}, as indexing does, after a warm-up batch (the first inference is slower).
   */
  static double measure(TokenEncoder encoder, List<Document> sample, int threads, int batch)
      throws Exception {
    encoder.encodeDocuments(
        sample.subList(0, Math.min(4, sample.size())).stream().map(Document::contents).toList());
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      long t0 = System.nanoTime();
      List<Future<?>> jobs = new ArrayList<>();
      for (int from = 0; from < sample.size(); from += batch) {
        List<String> texts =
            sample.subList(from, Math.min(sample.size(), from + batch)).stream()
                .map(Document::contents)
                .toList();
        jobs.add(pool.submit(() -> encoder.encodeDocuments(texts)));
      }
      for (Future<?> j : jobs) j.get();
      return sample.size() / ((System.nanoTime() - t0) / 1e9);
    } finally {
      pool.shutdownNow();
    }
  }

  String describe() {
    return String.format(
        Locale.ROOT,
        "First run: encoding %,d documents at the %.1f docs/s just measured takes about %s; the"
            + " first stages and the evaluation of every method about %s more; about %s in all."
            + " Later runs reuse the index and this evaluation.",
        documents,
        docsPerSecond,
        minutes(encodeSeconds),
        minutes(restSeconds),
        minutes(encodeSeconds + restSeconds));
  }

  static String minutes(double seconds) {
    return seconds < 90
        ? String.format(Locale.ROOT, "%.0f s", seconds)
        : String.format(Locale.ROOT, "%.0f min", seconds / 60);
  }
}
