package dev.latte.benchmarks.scale;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.TokenCodec;
import dev.latte.datasets.corpus.Corpus;
import dev.latte.datasets.corpus.FieldMapping;
import dev.latte.indexer.EncodingPipeline;
import dev.latte.indexer.IndexJob;
import dev.latte.indexer.IndexLayout;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.JobState;
import dev.latte.indexer.LatteIndexWriter;
import dev.latte.indexer.ModelIdentity;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Bits;

/**
 * Kill -9 resilience of an indexing job at scale (issue 11's target): writes a synthetic but
 * realistic collection of precomputed token vectors (ScaleBenchmark's clustered generator, {@link
 * ClusteredTokens}: topics, fine clusters, corpus-wide "function word" clusters; ColBERT-like
 * 128-d, lengths uniform in [N/2, 3N/2]) as a 2-d float16 {@code .npy} with {@code doclens.json}
 * and {@code ids.txt}, then runs the indexing job ({@link IndexJob}, the code {@code ./latte index}
 * runs) in child JVMs with {@code -Xmx512m}: once uninterrupted (the reference), then again into a
 * second folder, killed with SIGKILL at random moments and re-run each time until it completes.
 * Checks that the final index equals the reference (the same ids, each once, the same stored matrix
 * bytes) and reports, per kill, the documents written again after the restart (target: at most one
 * commit interval).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar \
 *     dev.latte.benchmarks.scale.IndexJobKillBenchmark --dir /tmp/latte-kill --docs 100000 --kills 5
 * </pre>
 */
public final class IndexJobKillBenchmark {
  private IndexJobKillBenchmark() {}

  record Run(
      int run,
      long committedAtStart,
      long writtenBeforeKill,
      double killedAfterSeconds,
      boolean completed,
      double seconds,
      long heapAfterGcBytes,
      long heapPeakBytes) {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("child")) {
      child(args);
      return;
    }
    Map<String, String> a = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2)
      a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    Path dir = Path.of(a.getOrDefault("dir", "/tmp/latte-kill")).toAbsolutePath();
    int docs = Integer.parseInt(a.getOrDefault("docs", "100000"));
    int dim = Integer.parseInt(a.getOrDefault("dim", "128"));
    int tokensPerDoc = Integer.parseInt(a.getOrDefault("tokens-per-doc", "60"));
    int kills = Integer.parseInt(a.getOrDefault("kills", "5"));
    String heap = a.getOrDefault("heap", "512m");
    String codec = a.getOrDefault("codec", "int8");
    long commitEvery = Long.parseLong(a.getOrDefault("commit-every", "4096"));
    long seed = Long.parseLong(a.getOrDefault("seed", "42"));
    Files.createDirectories(dir);
    Path input = dir.resolve("input");
    Path npy = input.resolve("vectors.npy");
    if (!Files.isRegularFile(input.resolve("ids.txt"))) {
      long t0 = System.nanoTime();
      long tokens = write(input, docs, dim, tokensPerDoc, seed);
      System.out.printf(
          Locale.ROOT,
          "Wrote %,d documents, %,d tokens (%d-d float16, %.2f GiB) in %.1f s to %s%n",
          docs,
          tokens,
          dim,
          Files.size(npy) / (double) (1L << 30),
          (System.nanoTime() - t0) / 1e9,
          input);
    }
    String[] childArgs = {npy.toString(), codec, Long.toString(commitEvery)};
    Path reference = dir.resolve("reference");
    Path killed = dir.resolve("killed");
    for (Path p : List.of(reference, killed)) deleteTree(p);

    Run ref = runChild(heap, reference, childArgs, -1, 0, 0);
    if (!ref.completed()) throw new IllegalStateException("the reference run did not complete");
    System.out.printf(Locale.ROOT, "Reference (uninterrupted) run: %.1f s%n", ref.seconds());

    Random rnd = new Random(seed);
    List<Run> runs = new ArrayList<>();
    long records = state(reference).counters().read();
    for (int k = 0; ; k++) {
      // A random moment of what is left of the job: after a random share of the records not yet
      // committed when the run starts (so every kill lands before the end).
      double share = k < kills ? 0.02 + 0.96 * rnd.nextDouble() : -1;
      Run r = runChild(heap, killed, childArgs, share, records, k + 1);
      runs.add(r);
      System.out.printf(
          Locale.ROOT,
          "run %d: started with %,d committed, %s after %.1f s%n",
          r.run(),
          r.committedAtStart(),
          r.completed()
              ? "completed"
              : "killed (SIGKILL) with " + r.writtenBeforeKill() + " written",
          r.seconds());
      if (r.completed()) break;
      if (k > kills + 20) throw new IllegalStateException("the job does not complete");
    }
    // A run killed before it reported its start wrote nothing: it started where the next did.
    for (int i = runs.size() - 2; i >= 0; i--)
      if (runs.get(i).committedAtStart() < 0) {
        Run r = runs.get(i);
        runs.set(
            i,
            new Run(
                r.run(),
                runs.get(i + 1).committedAtStart(),
                r.writtenBeforeKill(),
                r.killedAfterSeconds(),
                r.completed(),
                r.seconds(),
                r.heapAfterGcBytes(),
                r.heapPeakBytes()));
      }
    List<Long> repeated = new ArrayList<>();
    for (int i = 0; i + 1 < runs.size(); i++)
      repeated.add(
          runs.get(i).committedAtStart()
              + runs.get(i).writtenBeforeKill()
              - runs.get(i + 1).committedAtStart());
    Map<String, String> want = digests(reference);
    Map<String, String> got = digests(killed);
    boolean equal = want.equals(got);
    JobState refState = state(reference);
    JobState killedState = state(killed);
    double total = runs.stream().mapToDouble(Run::seconds).sum();
    System.out.printf(
        Locale.ROOT,
        "%nFinal index %s the reference: %,d vs %,d documents; counters %s%n",
        equal ? "EQUALS" : "DIFFERS FROM",
        got.size(),
        want.size(),
        refState.counters().equals(killedState.counters()) ? "equal" : "differ");
    System.out.printf(
        Locale.ROOT,
        "Documents written again after each kill: %s (commit interval %,d; max %,d)%n",
        repeated,
        commitEvery,
        repeated.stream().mapToLong(Long::longValue).max().orElse(0));
    System.out.printf(
        Locale.ROOT,
        "Killed job: %d runs, %.1f s in all vs %.1f s uninterrupted (%.2fx), heap -Xmx%s%n",
        runs.size(),
        total,
        ref.seconds(),
        total / ref.seconds(),
        heap);
    long liveMax = ref.heapAfterGcBytes(), peakMax = ref.heapPeakBytes();
    for (Run r : runs) {
      liveMax = Math.max(liveMax, r.heapAfterGcBytes());
      peakMax = Math.max(peakMax, r.heapPeakBytes());
    }
    System.out.printf(
        Locale.ROOT,
        "Heap over all runs: at most %.0f MiB live after a collection, %.0f MiB peak used"
            + " (-Xmx%s)%n",
        liveMax / 1048576.0,
        peakMax / 1048576.0,
        heap);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("documents", docs);
    out.put("dim", dim);
    out.put("tokens_per_doc", tokensPerDoc);
    out.put("codec", codec);
    out.put("heap", heap);
    out.put("commit_every", commitEvery);
    out.put("reference_seconds", ref.seconds());
    out.put("reference", ref);
    out.put("heap_after_gc_max_bytes", liveMax);
    out.put("heap_peak_max_bytes", peakMax);
    out.put("runs", runs);
    out.put("repeated_after_kill", repeated);
    out.put("equal", equal);
    out.put("counters_equal", refState.counters().equals(killedState.counters()));
    out.put("counters", killedState.counters());
    new ObjectMapper()
        .enable(SerializationFeature.INDENT_OUTPUT)
        .writeValue(dir.resolve("kill-benchmark.json").toFile(), out);
    if (!equal) System.exit(1);
  }

  /** The collection: 2-d float16 (all rows) + doclens.json + ids.txt. */
  static long write(Path dir, int docs, int dim, int tokensPerDoc, long seed) throws Exception {
    Files.createDirectories(dir);
    // A little over the budget, so that the generator draws at least the documents asked for.
    long tokensBudget = (long) docs * tokensPerDoc * 102 / 100;
    ScaleBenchmark scale = new ScaleBenchmark();
    new picocli.CommandLine(scale)
        .parseArgs(
            "--tokens", Long.toString(tokensBudget),
            "--dim", Integer.toString(dim),
            "--tokens-per-doc", Integer.toString(tokensPerDoc),
            "--seed", Long.toString(seed));
    ClusteredTokens g = new ClusteredTokens(scale.options());
    int n = Math.min(docs, g.documents());
    if (n < docs) throw new IllegalStateException("the generator drew only " + n + " documents");
    long rows = 0;
    for (int d = 0; d < n; d++) rows += g.lengths[d];
    String header =
        "{'descr': '<f2', 'fortran_order': False, 'shape': (" + rows + ", " + dim + "), }";
    int total = 10 + header.length() + 1;
    int pad = (64 - total % 64) % 64;
    header = header + " ".repeat(pad) + "\n";
    try (OutputStream out =
            new BufferedOutputStream(Files.newOutputStream(dir.resolve("vectors.npy")), 1 << 20);
        BufferedWriter lens = Files.newBufferedWriter(dir.resolve("doclens.json"));
        BufferedWriter ids = Files.newBufferedWriter(dir.resolve("ids.txt"))) {
      out.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
      out.write(header.length() & 0xFF);
      out.write(header.length() >> 8);
      out.write(header.getBytes(StandardCharsets.ISO_8859_1));
      lens.write('[');
      for (int d = 0; d < n; d++) {
        TokenMatrix m = g.document(d);
        ByteBuffer b = ByteBuffer.allocate(m.data().length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : m.data()) b.putShort(Float.floatToFloat16(f));
        out.write(b.array());
        lens.write((d > 0 ? "," : "") + m.rows());
        ids.write("doc" + d + "\n");
      }
      lens.write("]\n");
    }
    return rows;
  }

  /**
   * Runs the job in a child JVM; with {@code killShare} in (0, 1), kills it with SIGKILL once it
   * has written that share of the {@code total} records not committed when it started.
   */
  static Run runChild(String heap, Path index, String[] args, double killShare, long total, int run)
      throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx" + heap);
    cmd.add("--add-modules");
    cmd.add("jdk.incubator.vector");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(IndexJobKillBenchmark.class.getName());
    cmd.add("child");
    cmd.add(index.toString());
    cmd.addAll(List.of(args));
    long t0 = System.nanoTime();
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    AtomicLong committed = new AtomicLong(-1);
    AtomicLong written = new AtomicLong();
    AtomicLong killedAt = new AtomicLong();
    AtomicLong heapAfterGc = new AtomicLong();
    AtomicLong heapPeak = new AtomicLong();
    List<String> tail = new ArrayList<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(new InputStreamReader(p.getInputStream()))) {
                for (String line; (line = r.readLine()) != null; ) {
                  if (line.startsWith("start ")) committed.set(Long.parseLong(line.substring(6)));
                  else if (line.startsWith("written ")) {
                    String[] f = line.split(" ");
                    written.set(Long.parseLong(f[1]));
                    heapAfterGc.accumulateAndGet(Long.parseLong(f[2]), Math::max);
                    heapPeak.accumulateAndGet(Long.parseLong(f[3]), Math::max);
                    if (killShare > 0
                        && written.get() >= Math.max(1, killShare * (total - committed.get()))) {
                      p.destroyForcibly(); // SIGKILL on Unix: no shutdown hooks, no rollback
                      killedAt.set(System.nanoTime());
                      return;
                    }
                  } else {
                    synchronized (tail) {
                      tail.add(line);
                      if (tail.size() > 20) tail.removeFirst();
                    }
                  }
                }
              } catch (java.io.IOException ignored) {
                // the child was killed
              }
            });
    reader.start();
    boolean exited = p.waitFor(6, TimeUnit.HOURS);
    if (!exited) p.destroyForcibly();
    reader.join();
    boolean killed = killedAt.get() != 0;
    double secs = (System.nanoTime() - t0) / 1e9;
    if (!killed && p.exitValue() != 0)
      throw new IllegalStateException("child exited with " + p.exitValue() + ": " + tail);
    return new Run(
        run,
        committed.get(),
        written.get(),
        killed ? secs : 0,
        !killed,
        secs,
        heapAfterGc.get(),
        heapPeak.get());
  }

  /** The child: the indexing job over the .npy input, as {@code ./latte index} sets it up. */
  static void child(String[] args) throws Exception {
    Path index = Path.of(args[1]);
    String input = args[2];
    IndexOptions options = new IndexOptions(TokenCodec.fromName(args[3]), 1);
    long commitEvery = Long.parseLong(args[4]);
    Corpus corpus = Corpus.open(input, null, FieldMapping.DEFAULT);
    String fingerprint = corpus.fingerprint();
    int dim;
    try (var r = corpus.records()) {
      dim = r.next().vectors().dim();
    }
    ModelIdentity space = ModelIdentity.precomputed("synthetic", dim);
    try (LatteIndexWriter w =
        LatteIndexWriter.openForEncoded(index, space, input, fingerprint, options)) {
      JobState prior = IndexJob.committedState(w);
      System.out.println("start " + (prior == null ? 0 : prior.counters().indexed()));
      AtomicLong written = new AtomicLong();
      Map<String, String> settings =
          Map.of("model", space.fingerprint(), "codec", options.label(), "batch_size", "32");
      var result =
          new IndexJob(
                  corpus,
                  fingerprint,
                  w,
                  new EncodingPipeline(null, 2, 32),
                  settings,
                  new IndexJob.Options(commitEvery, 300, IndexJob.OnError.SKIP),
                  true,
                  index)
              .run(
                  new IndexProgress() {
                    @Override
                    public void start(long total) {}

                    @Override
                    public synchronized void advance(long documents) {
                      System.out.println(
                          "written " + written.addAndGet(documents) + " " + heapFigures());
                    }
                  });
      System.out.println(
          "done: " + result.state().counters() + " in " + result.secondsThisRun() + " s");
    }
  }

  /**
   * The heap's live set (the largest sum over heap pools of what the last collection left) and its
   * peak use (the sum of the pools' peaks; garbage included, so bounded by -Xmx, not by need).
   */
  static String heapFigures() {
    long afterGc = 0, peak = 0;
    for (var pool : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() != java.lang.management.MemoryType.HEAP) continue;
      var after = pool.getCollectionUsage();
      if (after != null) afterGc += after.getUsed();
      peak += pool.getPeakUsage().getUsed();
    }
    return afterGc + " " + peak;
  }

  static JobState state(Path index) throws Exception {
    try (var dir = FSDirectory.open(index)) {
      var commits = DirectoryReader.listCommits(dir);
      return JobState.fromJson(commits.getLast().getUserData().get(JobState.KEY));
    }
  }

  /** id -> SHA-256 of the stored matrix bytes; fails on an id seen twice. */
  static Map<String, String> digests(Path index) throws Exception {
    Map<String, String> out = new TreeMap<>();
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    try (var dir = FSDirectory.open(index);
        DirectoryReader r = DirectoryReader.open(dir)) {
      for (LeafReaderContext leaf : r.leaves()) {
        BinaryDocValues tokens = dev.latte.indexer.lists.DocumentTokens.of(leaf.reader());
        Bits live = leaf.reader().getLiveDocs();
        var stored = leaf.reader().storedFields();
        for (int d = 0; d < leaf.reader().maxDoc(); d++) {
          if (live != null && !live.get(d)) continue;
          String id = stored.document(d).get(IndexLayout.ID);
          if (!tokens.advanceExact(d)) throw new IllegalStateException(id + " has no matrix");
          var b = tokens.binaryValue();
          sha.update(b.bytes, b.offset, b.length);
          if (out.put(id, HexFormat.of().formatHex(sha.digest())) != null)
            throw new IllegalStateException("id " + id + " is in " + index + " twice");
        }
      }
    }
    return out;
  }

  static void deleteTree(Path p) throws Exception {
    if (!Files.exists(p)) return;
    try (var s = Files.walk(p)) {
      for (Path f : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(f);
    }
  }
}
