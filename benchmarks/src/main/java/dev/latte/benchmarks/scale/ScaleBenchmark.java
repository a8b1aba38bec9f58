package dev.latte.benchmarks.scale;

import dev.latte.core.LatteHome;
import dev.latte.core.kernel.VectorKernel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Scale check of the XTR first stage + exact MaxSim rescoring, and of the default path (a
 * residual-2 index with WARP lists, {@code warp+maxsim}; {@link ScaleWarp}): builds a Latte index
 * of millions of synthetic but clustered token vectors ({@link ClusteredTokens}), builds its XTR
 * inverted file, and for a grid of (probes, token depth, rescoring depth) measures single-thread
 * latency and recall@k against brute-force exact MaxSim over the same index (the ground truth,
 * timed too). Prints a table and writes JSON. Not a JMH benchmark: a plain {@code main} (these
 * options, {@link ScaleRun} the run, {@link ScaleSearch} the measurements); see
 * benchmarks/README.md.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Xmx8g -cp benchmarks/target/benchmarks.jar \
 *     dev.latte.benchmarks.scale.ScaleBenchmark --tokens 10000000 --centroids 8192 --dir /tmp/latte-scale --reuse
 * </pre>
 */
@Command(
    name = "ScaleBenchmark",
    mixinStandardHelpOptions = true,
    description = "XTR first stage + exact MaxSim rescoring against brute force, at scale.")
public final class ScaleBenchmark implements Callable<Integer> {

  @Option(
      names = "--dir",
      paramLabel = "PATH",
      description = "Work folder (default $LATTE_HOME/scale, i.e. ~/.cache/latte/scale).")
  Path dir;

  @Option(
      names = "--tokens",
      defaultValue = "10_000_000",
      converter = LongWithUnderscores.class,
      description = "Token vectors to index (default ${DEFAULT-VALUE}).")
  long tokens;

  @Option(
      names = "--dim",
      defaultValue = "128",
      description = "Dimension (default ${DEFAULT-VALUE}).")
  int dim;

  @Option(
      names = "--tokens-per-doc",
      defaultValue = "100",
      description = "Mean tokens per document, uniform in [N/2, 3N/2] (default ${DEFAULT-VALUE}).")
  int tokensPerDoc;

  @Option(
      names = "--topics",
      description = "Topics (cluster centres; default documents/5, 20000 at 10M tokens).")
  Integer topics;

  @Option(
      names = "--sub-clusters",
      defaultValue = "8",
      description = "Fine clusters per topic (default ${DEFAULT-VALUE}).")
  int subClusters;

  @Option(
      names = "--stop-fraction",
      defaultValue = "0.05",
      description =
          "Share of tokens from 32 corpus-wide \"function word\" clusters (default"
              + " ${DEFAULT-VALUE}).")
  double stopFraction;

  @Option(
      names = "--seed",
      defaultValue = "42",
      description = "Generator seed (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--queries",
      defaultValue = "100",
      description = "Measured queries (default ${DEFAULT-VALUE}).")
  int queries;

  @Option(
      names = "--query-tokens",
      defaultValue = "32",
      description = "Tokens per query (default ${DEFAULT-VALUE}).")
  int queryTokens;

  @Option(
      names = "--warmup",
      defaultValue = "10",
      description = "Warm-up queries before each method (default ${DEFAULT-VALUE}).")
  int warmup;

  @Option(
      names = "--centroids",
      defaultValue = "0",
      description = "XTR lists; 0 = default, the power of two nearest 4 sqrt(tokens).")
  int centroids;

  @Option(
      names = "--sample-factor",
      defaultValue = "32",
      description = "k-means training points per centroid (default ${DEFAULT-VALUE}).")
  int sampleFactor;

  @Option(
      names = "--iterations",
      defaultValue = "10",
      description = "k-means iterations (default ${DEFAULT-VALUE}).")
  int iterations;

  @Option(
      names = "--threads",
      defaultValue = "2",
      description = "Threads writing documents and building XTR (default ${DEFAULT-VALUE}).")
  int threads;

  @Option(
      names = "--probes",
      defaultValue = "8,16,32",
      paramLabel = "LIST",
      description = "Centroids probed per query token (default ${DEFAULT-VALUE}; \"all\" allowed).")
  String probes;

  @Option(
      names = "--token-depth",
      defaultValue = "1000,4000",
      paramLabel = "LIST",
      description = "XTR k' per query token (default ${DEFAULT-VALUE}; \"all\" = every document).")
  String tokenDepth;

  @Option(
      names = "--depth",
      defaultValue = "100,400,1000,2000",
      paramLabel = "LIST",
      description = "Candidates rescored by exact MaxSim (default ${DEFAULT-VALUE}; \"all\").")
  String depth;

  @Option(
      names = "--k",
      defaultValue = "100",
      description = "Top k compared with brute force (default ${DEFAULT-VALUE}).")
  int k;

  @Option(
      names = "--reuse",
      description = "Keep an index (and XTR) already built with the same parameters.")
  boolean reuse;

  @Option(
      names = "--paths",
      defaultValue = "xtr,warp",
      paramLabel = "LIST",
      description =
          "Paths measured against brute force: xtr (XTR + exact MaxSim on the float16 index),"
              + " warp (the default path: a residual-2 index of the same vectors with WARP lists,"
              + " warp+maxsim) (default ${DEFAULT-VALUE}).")
  String paths;

  @Option(
      names = "--warp-probes",
      defaultValue = "4,8,16,32",
      paramLabel = "LIST",
      description = "WARP lists probed per query token (default ${DEFAULT-VALUE}).")
  String warpProbes;

  @Option(
      names = "--warp-depth",
      defaultValue = "32,100,400,1000",
      paramLabel = "LIST",
      description =
          "WARP candidates warp+maxsim rescores (default ${DEFAULT-VALUE}; 32 is"
              + " WarpSettings.DEFAULT's: below k = 100 the rest of the top k is WARP's ranking).")
  String warpDepth;

  @Option(
      names = "--warp-pool-factor",
      defaultValue = "1",
      description =
          "Pool factor of the residual-2 index (default ${DEFAULT-VALUE}: see benchmarks/README.md"
              + " for why not the product's 2 on synthetic vectors).")
  int warpPoolFactor;

  @Option(
      names = "--warp-centroids",
      defaultValue = "0",
      description =
          "Centroids of the residual-2 index's codebook, trained here on 16 generated tokens each"
              + " (default ${DEFAULT-VALUE}: the writer trains it, as ./latte index does).")
  int warpCentroids;

  @Option(
      names = "--json",
      paramLabel = "PATH",
      description = "Result file (default DIR/scale-<tokens>.json).")
  Path json;

  /** Numbers such as 10_000_000, as the old hand-written parser took them. */
  static final class LongWithUnderscores implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      return Long.parseLong(value.replace("_", ""));
    }
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new ScaleBenchmark()).execute(args));
  }

  /** The run's parameters, defaults resolved. */
  ScaleOptions options() {
    Path d = (dir != null ? dir : LatteHome.dir().resolve("scale")).toAbsolutePath().normalize();
    return new ScaleOptions(
        d,
        tokens,
        dim,
        tokensPerDoc,
        topics != null ? topics : (int) Math.max(16, tokens / tokensPerDoc / 5),
        subClusters,
        stopFraction,
        seed,
        queries,
        queryTokens,
        warmup,
        centroids,
        sampleFactor,
        iterations,
        threads,
        list("--probes", probes),
        list("--token-depth", tokenDepth),
        list("--depth", depth),
        k,
        reuse,
        json != null ? json.toAbsolutePath() : null,
        paths(paths),
        list("--warp-probes", warpProbes),
        list("--warp-depth", warpDepth),
        warpPoolFactor,
        warpCentroids);
  }

  /** The measured paths, each named (xtr, warp). */
  static java.util.Set<String> paths(String s) {
    java.util.Set<String> out = new java.util.LinkedHashSet<>();
    for (String x : s.split(",")) {
      String p = x.trim().toLowerCase(java.util.Locale.ROOT);
      if (p.isEmpty()) continue;
      if (!p.equals("xtr") && !p.equals("warp"))
        throw new IllegalArgumentException(
            "--paths: '" + x.trim() + "' is not a path; give xtr, warp or xtr,warp");
      out.add(p);
    }
    if (out.isEmpty()) throw new IllegalArgumentException("--paths: give xtr, warp or xtr,warp");
    return out;
  }

  /** A comma-separated grid; {@code all} stands for -1, resolved on the index. */
  static int[] list(String option, String s) {
    List<String> items =
        Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
    int[] out = new int[items.size()];
    for (int i = 0; i < out.length; i++) {
      String x = items.get(i);
      try {
        out[i] = x.equalsIgnoreCase("all") ? -1 : Integer.parseInt(x.replace("_", ""));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            option + ": '" + x + "' is not a number or \"all\" (give e.g. 8,16,32)");
      }
    }
    return out;
  }

  @Override
  public Integer call() throws Exception {
    if (!VectorKernel.get().name().startsWith("panama")
        && !"scalar".equals(System.getProperty("latte.kernel"))) {
      System.err.println(
          "jdk.incubator.vector is not available, so MaxSim would run the scalar kernel: start java"
              + " with --add-modules jdk.incubator.vector (or -Dlatte.kernel=scalar to measure it)");
      return 2;
    }
    new ScaleRun(options()).run();
    return 0;
  }
}
