package dev.latte.searcher.firststage.warp;

import dev.latte.indexer.derived.DerivedIndexBuilder;
import dev.latte.indexer.derived.FirstStageFormat;
import dev.latte.searcher.SearchMethod;
import dev.latte.searcher.SearchSettings;
import dev.latte.searcher.firststage.FirstStage;
import java.nio.file.Path;
import java.util.List;

/**
 * WARP token retrieval: packed per-centroid lists of residual codes, searched in place with
 * implicit decompression, imputation and a two-stage reduction ({@link WarpSearch}). Its own name
 * rather than {@code xtr}'s: another structure (residual codes in files of its own instead of int8
 * payloads in Lucene postings) and another imputation (WARP's t' rule instead of the k'-th score).
 */
public final class WarpStage implements FirstStage {
  @Override
  public FirstStageFormat format() {
    return WarpBuilder.FORMAT;
  }

  @Override
  public DerivedIndexBuilder builder(Path modelFolder) {
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
            WarpSettings.DEFAULT.probes(),
            WarpSettings.DEFAULT.imputeTokens(),
            settings.rescoreDepth());
    return List.of(new WarpMethod(w, false), new WarpMethod(w, true));
  }
}
