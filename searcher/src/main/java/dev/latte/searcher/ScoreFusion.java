package dev.latte.searcher;

/**
 * Combines, over one query's candidate pool, each candidate's BM25 and MaxSim scores into the score
 * that ranks it. {@code bm25[i]} is NaN for a candidate BM25 did not retrieve (a second first stage
 * found it).
 */
public interface ScoreFusion {
  float[] fuse(float[] bm25, float[] maxSim);

  /**
   * Each score divided by its list's maximum, then {@code w * maxsim' + (1 - w) * bm25'} (a
   * candidate BM25 did not retrieve gets 0 from it). Unlike min-max normalisation this keeps each
   * score's natural zero — BM25 is 0 for a document sharing no term, and MaxSim's query-row cosines
   * sum to 0 for an unrelated one — so a score's spread over the pool, not just its order, carries
   * over: on a collection where MaxSim separates the top documents little (close to its maximum),
   * BM25's wider spread decides more, and where BM25's scores are flat it decides less. The
   * normalised MaxSim range then depends on the query length and model rather than on how deep the
   * pool reaches, which is what makes the weight carry over between collections (Bruch et al., "An
   * Analysis of Fusion Functions for Hybrid Retrieval", 2023: theoretical-minimum normalisation).
   */
  record MaxNormalised(float maxSimWeight) implements ScoreFusion {
    public MaxNormalised {
      if (!(maxSimWeight >= 0 && maxSimWeight <= 1))
        throw new IllegalArgumentException("fusion weight must be in [0, 1], got " + maxSimWeight);
    }

    @Override
    public float[] fuse(float[] bm25, float[] maxSim) {
      float bmMax = 0, msMax = 0;
      for (float b : bm25) if (b > bmMax) bmMax = b; // NaN compares false
      for (float m : maxSim) msMax = Math.max(msMax, m);
      float[] out = new float[maxSim.length];
      for (int i = 0; i < out.length; i++) {
        float lexical = Float.isNaN(bm25[i]) || bmMax <= 0 ? 0 : bm25[i] / bmMax;
        float semantic = msMax > 0 ? maxSim[i] / msMax : 0;
        out[i] = maxSimWeight * semantic + (1 - maxSimWeight) * lexical;
      }
      return out;
    }
  }

  /**
   * Each score list standardised over the candidate pool (minus its mean, over its standard
   * deviation), then {@code w * maxsim' + (1 - w) * bm25'}; a candidate BM25 did not retrieve gets
   * the lowest BM25 score it retrieved. Standardising makes each list's contribution its distance
   * from the pool's typical candidate in units of its own spread, so neither the MaxSim scale
   * (which grows with the query's length and IDF weights) nor BM25's (which grows with term rarity
   * and query length) decides the balance; Bruch et al. (2023) and the earlier CombSUM literature
   * (Montague and Aslam 2001) name z-score among the normalisations that carry over. The weight
   * 0.85 was picked leave-one-collection-out ({@link HybridMethod#IDF_FUSION_WEIGHT}).
   */
  record ZScore(float maxSimWeight) implements ScoreFusion {
    public ZScore {
      if (!(maxSimWeight >= 0 && maxSimWeight <= 1))
        throw new IllegalArgumentException("fusion weight must be in [0, 1], got " + maxSimWeight);
    }

    @Override
    public float[] fuse(float[] bm25, float[] maxSim) {
      int n = maxSim.length;
      float floor = Float.POSITIVE_INFINITY;
      for (float b : bm25) if (b < floor) floor = b; // NaN compares false
      if (floor == Float.POSITIVE_INFINITY) floor = 0;
      double[] lexical = new double[n], semantic = new double[n];
      for (int i = 0; i < n; i++) {
        lexical[i] = Float.isNaN(bm25[i]) ? floor : bm25[i];
        semantic[i] = maxSim[i];
      }
      standardise(lexical);
      standardise(semantic);
      float[] out = new float[n];
      for (int i = 0; i < n; i++)
        out[i] = (float) (maxSimWeight * semantic[i] + (1 - maxSimWeight) * lexical[i]);
      return out;
    }

    /** In place: (x - mean) / population standard deviation; all 0 when the values are equal. */
    static void standardise(double[] x) {
      double mean = 0;
      for (double v : x) mean += v;
      mean /= x.length;
      double var = 0;
      for (double v : x) var += (v - mean) * (v - mean);
      double sd = Math.sqrt(var / x.length);
      for (int i = 0; i < x.length; i++) x[i] = sd > 0 ? (x[i] - mean) / sd : 0;
    }
  }
}
