package dev.latte.searcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.TotalHits;
import org.junit.jupiter.api.Test;

/** A cut at a depth never splits a tie, so the kept set depends on the scores alone. */
class CandidatesCutTest {
  static Candidates ranked(float... scores) {
    int[] docs = new int[scores.length];
    for (int i = 0; i < docs.length; i++) docs[i] = 100 + i;
    return new Candidates(docs, scores);
  }

  @Test
  void aTieAtTheCutIsKeptWhole() {
    Candidates c = ranked(9, 8, 7, 7, 7, 6, 5);
    assertEquals(2, c.cut(2).size()); // 8 | 7: no tie at the cut
    assertEquals(5, c.cut(3).size()); // 7 | 7 7: the tie comes along
    assertEquals(5, c.cut(4).size());
    assertEquals(5, c.cut(5).size());
    assertEquals(6, c.cut(6).size());
    assertArrayEquals(new int[] {100, 101, 102, 103, 104}, c.cut(3).docs());
    assertSame(c, c.cut(7));
    assertSame(c, c.cut(Integer.MAX_VALUE));
    assertEquals(0, c.cut(0).size());
    assertEquals(4, ranked(1, 1, 1, 1).cut(1).size());
  }

  /** Lucene's top k over fixed scores (best first), counting the searches. */
  record FakeTop(float[] scores, List<Integer> asked) implements Candidates.TopSearch {
    @Override
    public TopDocs top(int k) {
      asked.add(k);
      int n = Math.min(k, scores.length);
      ScoreDoc[] hits = new ScoreDoc[n];
      for (int i = 0; i < n; i++) hits[i] = new ScoreDoc(i, scores[i]);
      return new TopDocs(new TotalHits(scores.length, TotalHits.Relation.EQUAL_TO), hits);
    }
  }

  static int[] cutSizes(float[] scores, int depth, List<Integer> asked) throws Exception {
    ScoreDoc[] hits = Candidates.topKeepingTies(new FakeTop(scores, asked), depth);
    float[] ref = Arrays.copyOf(scores, scores.length);
    return new int[] {hits.length, ranked(ref).cut(depth).size()};
  }

  @Test
  void luceneTopKeepsTheTieAsTheCutDoes() throws Exception {
    float[] scores = {9, 8, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 5};
    for (int depth = 0; depth <= scores.length + 2; depth++) {
      List<Integer> asked = new ArrayList<>();
      int[] sizes = cutSizes(scores, depth, asked);
      assertEquals(sizes[1], sizes[0], "depth " + depth);
    }
    // A tie running past depth + 1 asks again with twice as many, until it ends.
    List<Integer> asked = new ArrayList<>();
    assertEquals(11, Candidates.topKeepingTies(new FakeTop(scores, asked), 3).length);
    assertEquals(List.of(4, 8, 16), asked);
    // No tie at the cut: one search of depth + 1.
    asked.clear();
    assertEquals(2, Candidates.topKeepingTies(new FakeTop(scores, asked), 2).length);
    assertEquals(List.of(3), asked);
  }
}
