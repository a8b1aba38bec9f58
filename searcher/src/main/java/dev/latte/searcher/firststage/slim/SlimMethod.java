package dev.latte.searcher.firststage.slim;

import dev.latte.searcher.Candidates;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.MethodResult;
import dev.latte.searcher.QueryContext;
import dev.latte.searcher.ScoredDoc;
import dev.latte.searcher.SearchMethod;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.search.TopDocs;

/**
 * {@code slim}: SLIM on its own — stage 1 over the impact index, then the top {@code depth}
 * candidates refined by exact sparse late interaction over their stored sparse token vectors (no
 * dense token matrix is read). Rescore time = the refinement.
 */
public final class SlimMethod implements SearchMethod {
  private final int depth;

  public SlimMethod(int depth) {
    this.depth = depth;
  }

  @Override
  public String name() {
    return SlimBuilder.NAME;
  }

  @Override
  public String firstStage() {
    return SlimBuilder.NAME;
  }

  @Override
  public boolean needsQueryMatrix() {
    return true;
  }

  @Override
  public MethodResult search(LatteIndex index, QueryContext query, int k) throws IOException {
    SlimIndex s = index.firstStage(SlimBuilder.NAME, SlimIndex::load);
    var e = query.encoded();
    long t0 = System.nanoTime();
    var sparse = s.sparsify(e.matrix(), e.tokens(), query.kernel());
    TopDocs top = s.firstStage(sparse, depth, query.filterBits(index));
    long t1 = System.nanoTime();
    Candidates refined = s.refine(sparse, top.scoreDocs);
    int n = Math.min(k, refined.size());
    List<ScoredDoc> docs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) docs.add(new ScoredDoc(refined.docs()[i], refined.scores()[i]));
    return new MethodResult(
        docs, top.scoreDocs.length, (t1 - t0) / 1e6, (System.nanoTime() - t1) / 1e6);
  }
}
