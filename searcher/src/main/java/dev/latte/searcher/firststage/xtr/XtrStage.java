package dev.latte.searcher.firststage.xtr;

import dev.latte.indexer.firststage.FirstStageBuilder;
import dev.latte.indexer.firststage.FirstStageFormat;
import dev.latte.searcher.FirstStageMethod;
import dev.latte.searcher.HybridMethod;
import dev.latte.searcher.QueryTokens;
import dev.latte.searcher.RescoredMethod;
import dev.latte.searcher.ScoreFusion;
import dev.latte.searcher.SearchMethod;
import dev.latte.searcher.SearchSettings;
import dev.latte.searcher.firststage.FirstStage;
import java.nio.file.Path;
import java.util.List;

/** XTR token retrieval: an inverted file of int8 token codes over spherical k-means centroids. */
public final class XtrStage implements FirstStage {
  @Override
  public FirstStageFormat format() {
    return XtrBuilder.FORMAT;
  }

  @Override
  public FirstStageBuilder builder(Path modelFolder) {
    return new XtrBuilder();
  }

  @Override
  public boolean needsAnnotations() {
    return false;
  }

  @Override
  public List<SearchMethod> methods(SearchSettings settings) {
    XtrCandidates xtr = new XtrCandidates(settings.xtrProbes(), settings.xtrTokenDepth());
    return List.of(
        new FirstStageMethod(xtr),
        new RescoredMethod(xtr, settings.rescoreDepth()),
        new HybridMethod(
            "hybrid-xtr",
            HybridMethod.Fusion.LINEAR,
            settings.linearFusionWeight(),
            settings.rescoreDepth(),
            xtr,
            settings.rescoreDepth()),
        new HybridMethod(
            "hybrid-xtr-idf",
            new ScoreFusion.ZScore(HybridMethod.IDF_FUSION_WEIGHT),
            QueryTokens.IDF,
            settings.rescoreDepth(),
            xtr,
            settings.rescoreDepth()));
  }
}
