package dev.latte.searcher.firststage.slim;

import dev.latte.searcher.CandidateGenerator;
import dev.latte.searcher.Candidates;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.QueryContext;
import java.io.IOException;
import org.apache.lucene.search.ScoreDoc;

/** SLIM stage 1 (the Lucene impact index) as a first stage, ranked by its upper-bound score. */
public final class SlimCandidates implements CandidateGenerator {
  @Override
  public String name() {
    return SlimBuilder.NAME;
  }

  @Override
  public String firstStage() {
    return SlimBuilder.NAME;
  }

  @Override
  public Candidates generate(LatteIndex index, QueryContext query, int depth) throws IOException {
    SlimIndex s = index.firstStage(SlimBuilder.NAME, SlimIndex::load);
    var e = query.encoded();
    var sparse = s.sparsify(e.matrix(), e.tokens(), query.kernel());
    var filter = query.filterBits(index);
    // A tie at the cut is kept whole (Candidates.cut): which tied document a cut keeps would
    // depend on doc ids, which differ between a single index and its shards.
    ScoreDoc[] top = Candidates.topKeepingTies(k -> s.firstStage(sparse, k, filter), depth);
    int[] docs = new int[top.length];
    float[] scores = new float[docs.length];
    for (int i = 0; i < docs.length; i++) {
      ScoreDoc sd = top[i];
      docs[i] = s.mainDoc(sd.doc);
      scores[i] = sd.score;
    }
    return new Candidates(docs, scores);
  }
}
