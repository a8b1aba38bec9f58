package dev.latte.searcher.firststage.slim;

import dev.latte.indexer.firststage.FirstStageBuilder;
import dev.latte.indexer.firststage.FirstStageFormat;
import dev.latte.searcher.RescoredMethod;
import dev.latte.searcher.SearchMethod;
import dev.latte.searcher.SearchSettings;
import dev.latte.searcher.firststage.FirstStage;
import java.nio.file.Path;
import java.util.List;

/**
 * SLIM: token vectors projected to a sparse vocabulary (a trained head when the model ships one),
 * searched as a weighted inverted index.
 */
public final class SlimStage implements FirstStage {
  @Override
  public FirstStageFormat format() {
    return SlimBuilder.FORMAT;
  }

  @Override
  public FirstStageBuilder builder(Path modelFolder) {
    return new SlimBuilder(SlimBuilder.Params.DEFAULT, modelFolder);
  }

  /** Without a trained head the vocabulary table is built from the word pieces. */
  @Override
  public boolean needsAnnotations() {
    return true;
  }

  @Override
  public List<SearchMethod> methods(SearchSettings settings) {
    return List.of(
        new SlimMethod(settings.rescoreDepth()),
        new RescoredMethod(new SlimCandidates(), settings.rescoreDepth()));
  }
}
