package dev.latte.eval;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One method's line of the evaluation table; also the object written per method by {@code --json}.
 * Metrics follow trec_eval's names; latencies are per query in milliseconds, measured one query at
 * a time on one thread unless {@code threads} says otherwise.
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record EvalRow(
    @JsonProperty("name") String name,
    @JsonProperty("ndcg_cut_10") double ndcgCut10,
    @JsonProperty("recall_100") double recall100,
    @JsonProperty("recip_rank_10") double recipRank10,
    @JsonProperty("map") double map,
    @JsonProperty("latency_ms_p50") double latencyP50,
    @JsonProperty("latency_ms_p95") double latencyP95,
    @JsonProperty("latency_ms_p50_with_encoding") double latencyWithEncodingP50,
    @JsonProperty("latency_ms_p95_with_encoding") double latencyWithEncodingP95,
    @JsonProperty("queries_per_second") double queriesPerSecond,
    @JsonProperty("candidates_per_query") double candidatesPerQuery,
    @JsonProperty("index_bytes") long indexBytes,
    @JsonProperty("bytes_per_token") Double bytesPerToken,
    @JsonProperty("queries") int queries,
    @JsonProperty("threads") int threads,
    @JsonProperty("run_file") String runFile) {}
