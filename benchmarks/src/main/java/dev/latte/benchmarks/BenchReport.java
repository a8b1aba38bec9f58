package dev.latte.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Turns a JMH CSV result file ({@code -rf csv -rff out.csv}) of the document-scoring benchmarks
 * into a Markdown table with the derived units: one op = one document against a 32-token query, so
 *
 * <pre>
 *   token pairs / s = docs/s * 32 * docTokens
 *   GFLOP/s         = docs/s * 2 * 32 * docTokens * dim / 1e9   (float-equivalent for the bit codecs)
 *   % of peak       = GFLOP/s / peak                            (--peak, default 217.6 GFLOP/s;
 *                                                                n/a for codec=bit*, which runs no FMAs)
 * </pre>
 *
 * Rows without {@code dim} and {@code docTokens} parameters (e.g. {@code FmaPeakBenchmark}) are
 * printed with their raw score only.
 *
 * <pre>
 *   java -cp benchmarks/target/benchmarks.jar dev.latte.benchmarks.BenchReport out.csv [--peak 217.6]
 * </pre>
 */
public final class BenchReport {
  public static final double DEFAULT_PEAK_GFLOPS = 217.6;
  static final int QUERY_TOKENS = CodecKernelBenchmark.QUERY_TOKENS;

  private BenchReport() {}

  public static void main(String[] args) throws IOException {
    Path csv = null;
    double peak = DEFAULT_PEAK_GFLOPS;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--peak") && i + 1 < args.length) {
        peak = Double.parseDouble(args[++i]);
      } else if (csv == null && !args[i].startsWith("--")) {
        csv = Path.of(args[i]);
      } else {
        usage();
        return;
      }
    }
    if (csv == null) {
      usage();
      return;
    }
    System.out.print(markdown(Files.readAllLines(csv), peak));
  }

  private static void usage() {
    System.err.println(
        "usage: BenchReport <jmh-result.csv> [--peak GFLOPS]   (default peak "
            + DEFAULT_PEAK_GFLOPS
            + ")");
  }

  /** The Markdown table for the lines of a JMH CSV file. */
  static String markdown(List<String> lines, double peakGflops) {
    if (lines.isEmpty()) return "";
    List<String> header = parseCsvLine(lines.get(0));
    int benchmark = header.indexOf("Benchmark");
    int score = header.indexOf("Score");
    int error = header.indexOf("Score Error (99.9%)");
    int unit = header.indexOf("Unit");
    List<Integer> params = new ArrayList<>();
    for (int i = 0; i < header.size(); i++) {
      if (header.get(i).startsWith("Param: ")) params.add(i);
    }
    int dim = header.indexOf("Param: dim");
    int docTokens = header.indexOf("Param: docTokens");
    int codec = header.indexOf("Param: codec");

    StringBuilder out = new StringBuilder("| benchmark |");
    for (int p : params)
      out.append(' ').append(header.get(p).substring("Param: ".length())).append(" |");
    out.append(" score | ± 99.9% | unit | G token pairs/s | GFLOP/s (float-eq.) | % of ")
        .append(format(peakGflops, 1))
        .append(" |\n|---|");
    out.append("---|".repeat(params.size())).append("---:|---:|---|---:|---:|---:|\n");

    for (String line : lines.subList(1, lines.size())) {
      if (line.isBlank()) continue;
      List<String> row = parseCsvLine(line);
      String name = row.get(benchmark);
      out.append("| ")
          .append(name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1))
          .append(" |");
      for (int p : params) out.append(' ').append(row.get(p)).append(" |");
      double docsPerSecond = number(row.get(score));
      double err = number(row.get(error));
      out.append(' ').append(format(docsPerSecond, 0)).append(" | ");
      out.append(Double.isNaN(err) ? "" : format(err, 0))
          .append(" | ")
          .append(row.get(unit))
          .append(" |");
      boolean perDocument =
          row.get(unit).equals("ops/s")
              && dim >= 0
              && docTokens >= 0
              && !row.get(dim).isEmpty()
              && !row.get(docTokens).isEmpty();
      if (perDocument) {
        int d = Integer.parseInt(row.get(dim));
        int t = Integer.parseInt(row.get(docTokens));
        double gflops = docsPerSecond * CodecKernelBenchmark.flopsPerDoc(d, t) / 1e9;
        out.append(' ')
            .append(format(docsPerSecond * CodecKernelBenchmark.pairsPerDoc(t) / 1e9, 3))
            .append(" |");
        out.append(' ').append(format(gflops, 1)).append(" |");
        // The bit kernels run no FMAs: their float-equivalent rate has no FMA peak to compare with.
        boolean bits = codec >= 0 && row.get(codec).startsWith("bit");
        out.append(' ')
            .append(bits ? "n/a" : format(100 * gflops / peakGflops, 0) + "%")
            .append(" |\n");
      } else {
        out.append(" | | |\n");
      }
    }
    return out.toString();
  }

  /** JMH writes numbers with the default locale's decimal separator; accept ',' too. */
  private static double number(String s) {
    if (s.isEmpty() || s.equals("NaN")) return Double.NaN;
    return Double.parseDouble(s.indexOf('.') < 0 ? s.replace(',', '.') : s);
  }

  private static String format(double v, int decimals) {
    return String.format(Locale.ROOT, "%,." + decimals + "f", v);
  }

  /** One CSV record: comma-separated, fields optionally in double quotes ("" is a quote). */
  static List<String> parseCsvLine(String line) {
    List<String> fields = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          field.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          field.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        fields.add(field.toString());
        field.setLength(0);
      } else {
        field.append(c);
      }
    }
    fields.add(field.toString());
    return fields;
  }
}
