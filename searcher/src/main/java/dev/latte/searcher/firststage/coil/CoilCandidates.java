package dev.latte.searcher.firststage.coil;

import dev.latte.searcher.CandidateGenerator;
import dev.latte.searcher.Candidates;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.QueryContext;
import java.io.IOException;

/** COIL exact-match lists as a first stage ({@link CoilIndex}), ranked by COIL score. */
public final class CoilCandidates implements CandidateGenerator {
  @Override
  public String name() {
    return CoilBuilder.NAME;
  }

  @Override
  public String firstStage() {
    return CoilBuilder.NAME;
  }

  @Override
  public Candidates generate(LatteIndex index, QueryContext query, int depth) throws IOException {
    CoilIndex c = index.firstStage(CoilBuilder.NAME, CoilIndex::load);
    var e = query.encoded();
    Candidates all = c.search(e.matrix(), e.tokens(), query.kernel(), query.filterBits(index));
    return all.cut(depth); // a tie at the cut is kept whole
  }
}
