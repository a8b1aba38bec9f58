package dev.latte.opensearch;

import dev.latte.core.kernel.VectorKernel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.opensearch.common.settings.Settings;
import org.opensearch.index.mapper.Mapper;
import org.opensearch.ingest.Processor;
import org.opensearch.plugins.IngestPlugin;
import org.opensearch.plugins.MapperPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.plugins.SearchPlugin;

/**
 * Latte inside OpenSearch: the {@code latte_tokens} field (one token matrix per document, stored in
 * Latte's {@link dev.latte.core.codec.StoredTokenMatrix} layout as binary doc values of the shard's
 * segments), the {@code latte_maxsim} query (exact MaxSim with Latte's kernels on the stored bytes;
 * usable under any filter and as a {@code rescore} query over any first stage), the {@code
 * latte_xtr} first stage (XTR token retrieval on per-shard lists over frozen centroids), and
 * encoding in the cluster with the Latte models installed in the node's {@code
 * config/latte-models}: the {@code latte_encode} ingest processor and {@code query_text} on the
 * queries.
 */
public final class LattePlugin extends Plugin implements MapperPlugin, SearchPlugin, IngestPlugin {
  private final LatteModels models;
  private final XtrLists xtrLists;
  private final ResidualCodebooks codebooks;

  public LattePlugin(Settings settings, Path configPath) {
    // Say once per node which kernel scores: the SIMD one needs --add-modules
    // jdk.incubator.vector in the node's jvm.options; without it the scalar reference runs (the
    // kernel provider has already logged a warning saying so).
    LogManager.getLogger(LattePlugin.class)
        .info("Latte MaxSim kernel on this node: {}", VectorKernel.get().name());
    this.models = new LatteModels(configPath);
    this.xtrLists = new XtrLists(configPath);
    this.codebooks = new ResidualCodebooks(configPath);
  }

  /** This node's installed models (tests read their counters). */
  public LatteModels models() {
    return models;
  }

  @Override
  public Map<String, Mapper.TypeParser> getMappers() {
    return Map.of(
        LatteTokensFieldMapper.CONTENT_TYPE, LatteTokensFieldMapper.parser(xtrLists, codebooks));
  }

  @Override
  public List<QuerySpec<?>> getQueries() {
    return List.of(
        new QuerySpec<>(
            LatteMaxSimQueryBuilder.NAME,
            in -> new LatteMaxSimQueryBuilder(in, models),
            p -> LatteMaxSimQueryBuilder.fromXContent(p, models)),
        new QuerySpec<>(
            LatteXtrQueryBuilder.NAME,
            in -> new LatteXtrQueryBuilder(in, models),
            p -> LatteXtrQueryBuilder.fromXContent(p, models)));
  }

  @Override
  public Map<String, Processor.Factory> getProcessors(Processor.Parameters parameters) {
    return Map.of(LatteEncodeProcessor.TYPE, new LatteEncodeProcessor.Factory(models));
  }

  @Override
  public void close() throws IOException {
    models.close();
  }
}
