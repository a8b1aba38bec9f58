package dev.latte.searcher.firststage;

/**
 * The few best centroids per query token, shared by the token-retrieval stages (XTR's and WARP's
 * centroid selection): an insertion into a small sorted buffer, cheaper than a heap for the handful
 * of probes a query token asks for.
 */
public final class LargestIndices {
  private LargestIndices() {}

  /**
   * Writes into {@code out} the indices (relative to {@code from}) of the {@code out.length}
   * largest of {@code v[from, from + n)}, best first; on ties the earlier index first.
   */
  public static void of(float[] v, int from, int n, int[] out) {
    int p = out.length;
    float[] vals = new float[p];
    int size = 0;
    for (int j = 0; j < n; j++) {
      float x = v[from + j];
      int at;
      if (size < p) at = size++;
      else if (x > vals[p - 1]) at = p - 1;
      else continue;
      while (at > 0 && vals[at - 1] < x) {
        vals[at] = vals[at - 1];
        out[at] = out[at - 1];
        at--;
      }
      vals[at] = x;
      out[at] = j;
    }
  }
}
