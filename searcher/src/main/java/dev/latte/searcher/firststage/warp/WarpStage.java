package dev.latte.searcher.firststage.warp;

import dev.latte.indexer.firststage.FirstStageBuilder;
import dev.latte.indexer.firststage.FirstStageFormat;
import dev.latte.searcher.SearchMethod;
import dev.latte.searcher.SearchSettings;
import dev.latte.searcher.firststage.FirstStage;
import dev.latte.searcher.firststage.StageParameter;
import java.nio.file.Path;
import java.util.List;

/**
 * WARP token retrieval: packed per-centroid lists of residual codes, searched in place with
 * implicit decompression, imputation and a two-stage reduction ({@link WarpSearch}). Its own name
 * rather than {@code xtr}'s: another structure (residual codes in files of its own instead of int8
 * payloads in Lucene postings) and another imputation (WARP's t' rule instead of the k'-th score).
 */
public final class WarpStage implements FirstStage {
  /** Chosen on SciFact's train queries ({@link WarpSettings#DEFAULT} says how). */
  public static final StageParameter PROBES =
      new StageParameter(
          "probes", WarpSettings.DEFAULT.probes(), 1, "centroid lists probed per query token");

  public static final StageParameter T_PRIME =
      new StageParameter(
          "t-prime",
          WarpSettings.DEFAULT.imputeTokens(),
          1,
          "WARP's t': the score of the centroid at which the best lists hold this many tokens is"
              + " imputed for documents with no token retrieved (else the best unprobed one's)");

  /**
   * Candidates {@code warp+maxsim} rescores: WARP's own, not the global rescoring depth of the
   * other stages, since its candidates are ranked by near-exact scores (see {@link
   * WarpSettings#DEFAULT}).
   */
  public static final StageParameter DEPTH =
      new StageParameter(
          "depth",
          WarpSettings.DEFAULT.depth(),
          1,
          "candidates warp+maxsim rescores with exact MaxSim (past them, up to k, WARP's own order;"
              + " warp alone returns k)");

  @Override
  public List<StageParameter> parameters() {
    return List.of(PROBES, T_PRIME, DEPTH);
  }

  @Override
  public FirstStageFormat format() {
    return WarpBuilder.FORMAT;
  }

  @Override
  public FirstStageBuilder builder(Path modelFolder) {
    return new WarpBuilder();
  }

  @Override
  public boolean needsAnnotations() {
    return false;
  }

  @Override
  public List<SearchMethod> methods(SearchSettings settings) {
    WarpSettings w =
        new WarpSettings(
            settings.stageParameter(name(), PROBES),
            settings.stageParameter(name(), T_PRIME),
            settings.stageParameter(name(), DEPTH));
    return List.of(new WarpMethod(w, false), new WarpMethod(w, true));
  }
}
