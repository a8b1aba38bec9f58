package dev.latte.searcher.firststage.coil;

import dev.latte.indexer.firststage.FirstStageBuilder;
import dev.latte.indexer.firststage.FirstStageFormat;
import dev.latte.searcher.FirstStageMethod;
import dev.latte.searcher.RescoredMethod;
import dev.latte.searcher.SearchMethod;
import dev.latte.searcher.SearchSettings;
import dev.latte.searcher.firststage.FirstStage;
import java.nio.file.Path;
import java.util.List;

/** COIL: exact lexical matches of word pieces, scored by their contextual token vectors. */
public final class CoilStage implements FirstStage {
  @Override
  public FirstStageFormat format() {
    return CoilBuilder.FORMAT;
  }

  @Override
  public FirstStageBuilder builder(Path modelFolder) {
    return new CoilBuilder();
  }

  @Override
  public boolean needsAnnotations() {
    return true;
  }

  @Override
  public List<SearchMethod> methods(SearchSettings settings) {
    CoilCandidates coil = new CoilCandidates();
    return List.of(new FirstStageMethod(coil), new RescoredMethod(coil, settings.rescoreDepth()));
  }
}
