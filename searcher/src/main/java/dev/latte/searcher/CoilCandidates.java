package dev.latte.searcher;

import dev.latte.indexer.derived.CoilBuilder;
import java.io.IOException;

/** COIL exact-match lists as a first stage ({@link CoilIndex}), ranked by COIL score. */
public final class CoilCandidates implements CandidateGenerator {
  @Override
  public String name() {
    return CoilBuilder.NAME;
  }

  @Override
  public Candidates generate(LatteIndex index, QueryContext query, int depth) throws IOException {
    CoilIndex c = index.derived(CoilBuilder.NAME, CoilIndex::load);
    var e = query.encoded();
    Candidates all = c.search(e.matrix(), e.tokens(), query.kernel(), query.filterBits(index));
    return all.size() <= depth ? all : all.truncate(depth);
  }
}
