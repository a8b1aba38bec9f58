package dev.latte.eval;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One line of the evaluation table; also the object written per line by {@code --json}. Metrics
 * follow trec_eval's names; latencies are per query in milliseconds, measured one query at a time
 * on one thread unless {@code threads} says otherwise. {@code ndcg_ratio_to_exact} compares with
 * exact float32 MaxSim without pooling on the same token vectors (null when that reference was not
 * run). {@code first_stage_ms_p50} and {@code rescore_ms_p50} split the search latency into
 * candidate generation and MaxSim scoring (an exact scan is all scoring; BM25 all first stage).
 *
 * <p>The trade-off against exact MaxSim: {@code recall_100_vs_exact} is the mean over queries of
 * the fraction of exact MaxSim's top 100 that this method's own top 100 contains (both after the
 * query's own id is removed; queries where exact MaxSim returns nothing are left out); {@code
 * speedup_vs_exact} is exact MaxSim's {@code latency_ms_p50} divided by this row's. The reference
 * is exact float32 MaxSim without pooling when it ran, else {@code maxsim-exact} on the same index;
 * both are null when no reference ran. {@code extra_index_bytes} is what the derived first-stage
 * structure the method searches takes on disk, on top of {@code index_bytes} (0 for methods that
 * need none). {@code bytes_per_encoded_token_all_in} is every file of the index folder (derived
 * structures, codebook and all) divided by the tokens the encoder produced before pooling ({@code
 * encoded_tokens} of {@code latte-stats.json}), so pooling counts as compression.
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record EvalRow(
    @JsonProperty("name") String name,
    @JsonProperty("method") String method,
    @JsonProperty("codec") String codec,
    @JsonProperty("pool_factor") int poolFactor,
    @JsonProperty("ndcg_cut_10") double ndcgCut10,
    @JsonProperty("ndcg_ratio_to_exact") Double ndcgRatioToExact,
    @JsonProperty("recall_100") double recall100,
    @JsonProperty("recall_100_vs_exact") Double recall100VsExact,
    @JsonProperty("recip_rank_10") double recipRank10,
    @JsonProperty("map") double map,
    @JsonProperty("latency_ms_p50") double latencyP50,
    @JsonProperty("latency_ms_p95") double latencyP95,
    @JsonProperty("latency_ms_p50_with_encoding") double latencyWithEncodingP50,
    @JsonProperty("latency_ms_p95_with_encoding") double latencyWithEncodingP95,
    @JsonProperty("first_stage_ms_p50") double firstStageP50,
    @JsonProperty("first_stage_ms_p95") double firstStageP95,
    @JsonProperty("rescore_ms_p50") double rescoreP50,
    @JsonProperty("rescore_ms_p95") double rescoreP95,
    @JsonProperty("speedup_vs_exact") Double speedupVsExact,
    @JsonProperty("queries_per_second") double queriesPerSecond,
    @JsonProperty("candidates_per_query") double candidatesPerQuery,
    @JsonProperty("index_bytes") long indexBytes,
    @JsonProperty("extra_index_bytes") long extraIndexBytes,
    @JsonProperty("bytes_per_token") Double bytesPerToken,
    @JsonProperty("bytes_per_doc") Double bytesPerDoc,
    @JsonProperty("tokens_per_doc") Double tokensPerDoc,
    @JsonProperty("bytes_per_encoded_token_all_in") Double bytesPerEncodedTokenAllIn,
    @JsonProperty("queries") int queries,
    @JsonProperty("threads") int threads,
    @JsonProperty("run_file") String runFile) {

  EvalRow withRatio(Double ratio) {
    return with(ratio, recall100VsExact, speedupVsExact);
  }

  EvalRow withExactComparison(Double recallVsExact, Double speedup) {
    return with(ndcgRatioToExact, recallVsExact, speedup);
  }

  private EvalRow with(Double ratio, Double recallVsExact, Double speedup) {
    return new EvalRow(
        name,
        method,
        codec,
        poolFactor,
        ndcgCut10,
        ratio,
        recall100,
        recallVsExact,
        recipRank10,
        map,
        latencyP50,
        latencyP95,
        latencyWithEncodingP50,
        latencyWithEncodingP95,
        firstStageP50,
        firstStageP95,
        rescoreP50,
        rescoreP95,
        speedup,
        queriesPerSecond,
        candidatesPerQuery,
        indexBytes,
        extraIndexBytes,
        bytesPerToken,
        bytesPerDoc,
        tokensPerDoc,
        bytesPerEncodedTokenAllIn,
        queries,
        threads,
        runFile);
  }
}
