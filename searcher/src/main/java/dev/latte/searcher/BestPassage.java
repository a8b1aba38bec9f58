package dev.latte.searcher;

import java.io.IOException;

/**
 * The passage of a hit that matches the query best (largest MaxSim over its own rows), on an index
 * of passages: its number among the document's {@code passages}, its score, and its characters
 * {@code [start, end)} in the hit's {@code text} (the part of a first passage that lies in the
 * title is left out, so {@code start} may be 0 for it).
 */
public record BestPassage(int index, int passages, float score, int start, int end) {

  static BestPassage of(
      MaxSimScorer scorer,
      LatteIndex index,
      MaxSimScorer.Prepared query,
      int doc,
      LatteIndex.StoredDocument stored)
      throws IOException {
    String title = stored.title() == null ? "" : stored.title();
    String text = stored.text() == null ? "" : stored.text();
    MaxSimScorer.PassageScores p = scorer.passageScores(index, query, doc);
    if (p == null) {
      // One passage: the whole document, scored as a whole.
      float whole = scorer.rescore(index, query, new int[] {doc}, 1).getFirst().score();
      return new BestPassage(0, 1, whole, 0, text.length());
    }
    int best = Math.max(0, p.best());
    int shift = title.isEmpty() ? 0 : title.length() + 1; // contents = title + " " + text
    int start = clamp(p.passages().charStarts()[best] - shift, text.length());
    int end = clamp(p.passages().charEnds()[best] - shift, text.length());
    return new BestPassage(
        best, p.passages().count(), p.scores()[best], start, Math.max(start, end));
  }

  private static int clamp(int v, int max) {
    return Math.max(0, Math.min(max, v));
  }
}
