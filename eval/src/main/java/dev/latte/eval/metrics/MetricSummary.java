package dev.latte.eval.metrics;

/**
 * Means of the {@link QueryMetrics} over the scored queries.
 *
 * @param queries how many queries were averaged: those with at least one relevant judgment,
 *     including any the run missed
 */
public record MetricSummary(
    double ndcgCut10, double recall100, double recipRank10, double map, int queries) {}
