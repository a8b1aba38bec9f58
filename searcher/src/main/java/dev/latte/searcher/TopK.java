package dev.latte.searcher;

import java.util.Arrays;
import java.util.List;

/**
 * Keeps the k best (doc, score) pairs in a bounded min-heap over primitive arrays; ties go to the
 * smaller doc id, so results are deterministic.
 */
final class TopK {
  private final int k;
  private final int[] docs;
  private final float[] scores;
  private int size;

  TopK(int k) {
    if (k < 1) throw new IllegalArgumentException("k must be >= 1, got " + k);
    this.k = k;
    this.docs = new int[k];
    this.scores = new float[k];
  }

  /** The score a new document must beat once the heap is full. */
  float threshold() {
    return size < k ? Float.NEGATIVE_INFINITY : scores[0];
  }

  void offer(int doc, float score) {
    if (size < k) {
      docs[size] = doc;
      scores[size] = score;
      up(size++);
    } else if (better(doc, score, docs[0], scores[0])) {
      docs[0] = doc;
      scores[0] = score;
      down(0);
    }
  }

  /** Best first. */
  List<ScoredDoc> results() {
    ScoredDoc[] out = new ScoredDoc[size];
    for (int i = 0; i < size; i++) out[i] = new ScoredDoc(docs[i], scores[i]);
    Arrays.sort(out, (a, b) -> better(a.doc(), a.score(), b.doc(), b.score()) ? -1 : 1);
    return List.of(out);
  }

  private static boolean better(int docA, float a, int docB, float b) {
    return a > b || (a == b && docA < docB);
  }

  private void up(int i) {
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      if (!better(docs[parent], scores[parent], docs[i], scores[i])) break;
      swap(i, parent);
      i = parent;
    }
  }

  private void down(int i) {
    while (true) {
      int l = 2 * i + 1, r = l + 1, worst = i;
      if (l < size && better(docs[worst], scores[worst], docs[l], scores[l])) worst = l;
      if (r < size && better(docs[worst], scores[worst], docs[r], scores[r])) worst = r;
      if (worst == i) return;
      swap(i, worst);
      i = worst;
    }
  }

  private void swap(int i, int j) {
    int d = docs[i];
    docs[i] = docs[j];
    docs[j] = d;
    float s = scores[i];
    scores[i] = scores[j];
    scores[j] = s;
  }
}
