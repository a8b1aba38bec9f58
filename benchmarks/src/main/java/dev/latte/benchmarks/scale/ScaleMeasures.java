package dev.latte.benchmarks.scale;

import dev.latte.core.TokenMatrix;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.searcher.QueryContext;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** What a scale run records besides its results: CPU time, heap, process status, files, logging. */
final class ScaleMeasures {
  static final PrintStream OUT = System.out;

  private ScaleMeasures() {}

  static QueryContext context(TokenMatrix q, VectorKernel kernel) {
    String[] tokens = new String[q.rows()];
    Arrays.fill(tokens, "");
    return QueryContext.ofEncoded("synthetic query", q, tokens, kernel);
  }

  /** CPU time of the searching thread: on a busy machine, wall time minus waiting for a core. */
  static final java.lang.management.ThreadMXBean THREADS =
      java.lang.management.ManagementFactory.getThreadMXBean();

  /** The 1, 5 and 15 minute load averages (Linux), to judge how busy the machine was. */
  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "n/a";
    }
  }

  static void log(String format, Object... args) {
    OUT.printf(Locale.ROOT, format + "%n", args);
    OUT.flush();
  }

  static double mean(double[] v) {
    return Arrays.stream(v).average().orElse(0);
  }

  static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  static double round4(double v) {
    return Math.round(v * 10000) / 10000.0;
  }

  static long usedHeapAfterGc() {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 2; i++) System.gc();
    return rt.totalMemory() - rt.freeMemory();
  }

  /** VmRSS, RssAnon and RssFile of this process (Linux), in bytes; empty elsewhere. */
  static Map<String, Object> procStatus() {
    Map<String, Object> m = new LinkedHashMap<>();
    Path p = Path.of("/proc/self/status");
    if (!Files.isReadable(p)) return m;
    try {
      for (String line : Files.readAllLines(p)) {
        String[] f = line.split("\\s+");
        if (f.length < 2) continue;
        String key =
            switch (f[0]) {
              case "VmRSS:" -> "vm_rss_bytes";
              case "RssAnon:" -> "rss_anon_bytes";
              case "RssFile:" -> "rss_file_bytes";
              default -> null;
            };
        if (key != null) m.put(key, Long.parseLong(f[1]) * 1024);
      }
    } catch (IOException | NumberFormatException e) {
      // not Linux-like: leave it out
    }
    return m;
  }

  /** Bytes of the regular files directly in {@code dir}, by file suffix, and their total. */
  static Map<String, Object> filesBySuffix(Path dir) throws IOException {
    Map<String, Long> by = new TreeMap<>();
    long total = 0;
    if (Files.isDirectory(dir)) {
      try (var s = Files.list(dir)) {
        for (Path f : s.filter(Files::isRegularFile).toList()) {
          String name = f.getFileName().toString();
          int dot = name.lastIndexOf('.');
          String suffix = dot < 0 ? name.replaceAll("_\\d+$", "") : name.substring(dot + 1);
          long size = Files.size(f);
          by.merge(suffix, size, Long::sum);
          total += size;
        }
      }
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("total_bytes", total);
    m.put("by_suffix", by);
    return m;
  }

  /** The four largest file kinds, e.g. ".dvd 2.41 GiB, .tim 1.0 MiB". */
  @SuppressWarnings("unchecked")
  static String largest(Map<String, Object> files) {
    Map<String, Object> by = (Map<String, Object>) files.get("by_suffix");
    return by.entrySet().stream()
        .sorted(
            (x, y) ->
                Long.compare(
                    ((Number) y.getValue()).longValue(), ((Number) x.getValue()).longValue()))
        .limit(4)
        .map(e -> "." + e.getKey() + " " + human(((Number) e.getValue()).longValue()))
        .collect(java.util.stream.Collectors.joining(", "));
  }

  static String human(long b) {
    if (b >= 1L << 30) return String.format(Locale.ROOT, "%.2f GiB", b / (double) (1L << 30));
    return String.format(Locale.ROOT, "%.1f MiB", b / (double) (1L << 20));
  }
}
