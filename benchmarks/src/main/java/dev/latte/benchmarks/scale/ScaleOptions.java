package dev.latte.benchmarks.scale;

import java.nio.file.Path;

/** Command-line options; {@code -1} in a grid list stands for "all" (resolved on the index). */
record ScaleOptions(
    Path dir,
    long tokens,
    int dim,
    int tokensPerDoc,
    int topics,
    int subClusters,
    double stopFraction,
    long seed,
    int queries,
    int queryTokens,
    int warmup,
    int centroids,
    int sampleFactor,
    int iterations,
    int threads,
    int[] probes,
    int[] tokenDepths,
    int[] depths,
    int k,
    boolean reuse,
    Path json,
    java.util.Set<String> paths,
    int[] warpProbes,
    int[] warpDepths,
    int warpPoolFactor,
    int warpCentroids) {}
