package dev.latte.core.kernel;

import dev.latte.core.TokenMatrix;

/** The reference kernel: plain loops, the definition every other kernel is tested against. */
public final class ScalarMaxSimKernel implements MaxSimKernel {

  private static final class Prepared extends PreparedQuery {
    Prepared(TokenMatrix m) {
      super(m);
    }
  }

  @Override
  public String name() {
    return "scalar";
  }

  @Override
  public PreparedQuery prepare(TokenMatrix query) {
    return new Prepared(query);
  }

  @Override
  public float maxSim(PreparedQuery query, float[] doc, int docOffset, int docTokens) {
    if (docTokens == 0) {
      return 0f;
    }
    float[] q = query.matrix().data();
    int dim = query.dim();
    float total = 0f;
    for (int i = 0; i < query.tokens(); i++) {
      float best = Float.NEGATIVE_INFINITY;
      for (int j = 0; j < docTokens; j++) {
        float dot = dot(q, i * dim, doc, docOffset + j * dim, dim);
        if (dot > best) {
          best = dot;
        }
      }
      total += best;
    }
    return total;
  }

  public static float dot(float[] a, int aOffset, float[] b, int bOffset, int dim) {
    float sum = 0f;
    for (int d = 0; d < dim; d++) {
      sum += a[aOffset + d] * b[bOffset + d];
    }
    return sum;
  }
}
