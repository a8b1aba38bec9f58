package dev.latte.searcher.firststage.stock;

import dev.latte.indexer.firststage.FirstStageBuilder;
import dev.latte.indexer.firststage.FirstStageFormat;
import dev.latte.searcher.SearchMethod;
import dev.latte.searcher.SearchSettings;
import dev.latte.searcher.firststage.FirstStage;
import java.nio.file.Path;
import java.util.List;

/** Stock Lucene late interaction: its vector field and query, as the reference to beat. */
public final class LuceneStockStage implements FirstStage {
  @Override
  public FirstStageFormat format() {
    return LuceneStockBuilder.FORMAT;
  }

  @Override
  public FirstStageBuilder builder(Path modelFolder) {
    return new LuceneStockBuilder();
  }

  @Override
  public boolean needsAnnotations() {
    return false;
  }

  @Override
  public List<SearchMethod> methods(SearchSettings settings) {
    return List.of(new LuceneStockMethod(settings.rescoreDepth()));
  }

  /** Its float32 copy of every token (1.56 GiB for SciFact) is built only when named. */
  @Override
  public boolean evaluationOnly() {
    return true;
  }
}
