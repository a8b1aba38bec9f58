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
import dev.latte.searcher.firststage.StageParameter;
import java.nio.file.Path;
import java.util.List;

/** XTR token retrieval: an inverted file of int8 token codes over spherical k-means centroids. */
public final class XtrStage implements FirstStage {
  /*
   * Chosen on SciFact's 809 train queries (bundled model; xtr+maxsim nDCG@10, exact 0.7602): probes
   * 4 / 8 / 16 with k' 100: 0.7587 / 0.7606 / 0.7606; with k' 1000: 0.7558 / 0.7570 / 0.7567 (XTR
   * alone is best at k' 100 too: 0.7138 / 0.7328 / 0.7465).
   */
  public static final StageParameter PROBES =
      new StageParameter("probes", 8, 1, "inverted lists probed per query token");
  public static final StageParameter TOKEN_DEPTH =
      new StageParameter(
          "token-depth",
          100,
          1,
          "k': documents retrieved per query token (each by its best token); the k'-th score is"
              + " imputed for every other document");

  @Override
  public List<StageParameter> parameters() {
    return List.of(PROBES, TOKEN_DEPTH);
  }

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
    XtrCandidates xtr =
        new XtrCandidates(
            settings.stageParameter(name(), PROBES), settings.stageParameter(name(), TOKEN_DEPTH));
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
