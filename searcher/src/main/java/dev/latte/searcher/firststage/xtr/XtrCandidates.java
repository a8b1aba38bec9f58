package dev.latte.searcher.firststage.xtr;

import dev.latte.searcher.CandidateGenerator;
import dev.latte.searcher.Candidates;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.QueryContext;
import java.io.IOException;

/**
 * XTR token retrieval as a first stage ({@link XtrIndex}): candidates are the documents owning a
 * retrieved token, ranked by XTR's score with missing-similarity imputation.
 */
public final class XtrCandidates implements CandidateGenerator {
  private final int probes;
  private final int tokenDepth;

  public XtrCandidates(int probes, int tokenDepth) {
    this.probes = probes;
    this.tokenDepth = tokenDepth;
  }

  @Override
  public String name() {
    return XtrBuilder.NAME;
  }

  @Override
  public String firstStage() {
    return XtrBuilder.NAME;
  }

  @Override
  public Candidates generate(LatteIndex index, QueryContext query, int depth) throws IOException {
    XtrIndex x = index.firstStage(XtrBuilder.NAME, XtrIndex::load);
    Candidates all =
        x.search(
                query.encoded().matrix(),
                query.kernel(),
                probes,
                tokenDepth,
                query.filterBits(index))
            .ranked();
    return all.cut(depth); // a tie at the cut is kept whole
  }

  /** Extra bytes on disk of the XTR structure of {@code index}. */
  public static long bytes(LatteIndex index) throws IOException {
    return index.firstStage(XtrBuilder.NAME, XtrIndex::load).bytes();
  }
}
