package dev.latte.opensearch;

import dev.latte.core.kernel.VectorKernel;
import java.util.List;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.opensearch.index.mapper.Mapper;
import org.opensearch.plugins.MapperPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.plugins.SearchPlugin;

/**
 * Latte inside OpenSearch: the {@code latte_tokens} field (one token matrix per document, stored in
 * Latte's {@link dev.latte.core.codec.StoredTokenMatrix} layout as binary doc values of the shard's
 * segments) and the {@code latte_maxsim} query (exact MaxSim with Latte's kernels on the stored
 * bytes; usable under any filter and as a {@code rescore} query over any first stage).
 */
public final class LattePlugin extends Plugin implements MapperPlugin, SearchPlugin {

  public LattePlugin() {
    // Say once per node which kernel scores: the SIMD one needs --add-modules
    // jdk.incubator.vector in the node's jvm.options; without it the scalar reference runs (the
    // kernel provider has already logged a warning saying so).
    LogManager.getLogger(LattePlugin.class)
        .info("Latte MaxSim kernel on this node: {}", VectorKernel.get().name());
  }

  @Override
  public Map<String, Mapper.TypeParser> getMappers() {
    return Map.of(LatteTokensFieldMapper.CONTENT_TYPE, LatteTokensFieldMapper.PARSER);
  }

  @Override
  public List<QuerySpec<?>> getQueries() {
    return List.of(
        new QuerySpec<>(
            LatteMaxSimQueryBuilder.NAME,
            LatteMaxSimQueryBuilder::new,
            LatteMaxSimQueryBuilder::fromXContent));
  }
}
