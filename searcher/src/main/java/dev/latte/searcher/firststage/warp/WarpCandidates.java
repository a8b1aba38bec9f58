package dev.latte.searcher.firststage.warp;

import dev.latte.searcher.CandidateGenerator;
import dev.latte.searcher.Candidates;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.QueryContext;
import java.io.IOException;

/** WARP retrieval as a first stage for other pipelines (hybrids): its ranked candidates. */
public final class WarpCandidates implements CandidateGenerator {
  private final WarpSettings settings;

  public WarpCandidates(WarpSettings settings) {
    this.settings = settings;
  }

  @Override
  public String name() {
    return WarpBuilder.NAME;
  }

  @Override
  public String firstStage() {
    return WarpBuilder.NAME;
  }

  @Override
  public Candidates generate(LatteIndex index, QueryContext query, int depth) throws IOException {
    WarpIndex w = index.firstStage(WarpBuilder.NAME, WarpIndex::load);
    return WarpSearch.search(
            w,
            query.encoded().matrix().rows(),
            book -> query.preparedResidual(book, index.fanOut()),
            query.kernel(),
            new WarpSettings(settings.probes(), settings.imputeTokens(), depth),
            query.filterBits(index),
            index.fanOut())
        .ranked();
  }

  /** Extra bytes on disk of the WARP structure of {@code index}. */
  public static long bytes(LatteIndex index) throws IOException {
    return index.firstStage(WarpBuilder.NAME, WarpIndex::load).bytes();
  }
}
