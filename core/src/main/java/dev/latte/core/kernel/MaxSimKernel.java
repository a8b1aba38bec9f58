package dev.latte.core.kernel;

import dev.latte.core.TokenMatrix;

/**
 * The one seam for late-interaction arithmetic: MaxSim(q, d) = sum over query tokens i of the max
 * over document tokens j of dot(q_i, d_j).
 *
 * <p>A query is prepared once ({@link #prepare}) into whatever layout the kernel wants, then scored
 * against many documents. Documents are row-major float rows inside a caller-owned array, so a
 * searcher can decode each stored matrix into one reused scratch buffer: no allocation per document.
 * A document with no tokens scores 0.
 *
 * <p>Implementations: {@link ScalarMaxSimKernel} (the reference) and a Vector API kernel, chosen once
 * by {@link MaxSimKernels#get()}.
 */
public interface MaxSimKernel {

  /** Short name for logs and benchmark tables, e.g. {@code scalar} or {@code panama-512}. */
  String name();

  PreparedQuery prepare(TokenMatrix query);

  /**
   * MaxSim of the prepared query against {@code docTokens} rows of {@code query.dim()} floats
   * starting at {@code doc[docOffset]}.
   */
  float maxSim(PreparedQuery query, float[] doc, int docOffset, int docTokens);

  /** Convenience for tests and tools: prepares and scores one pair. */
  default float maxSim(TokenMatrix query, TokenMatrix doc) {
    if (query.dim() != doc.dim()) {
      throw new IllegalArgumentException(
          "query dimension " + query.dim() + " differs from document dimension " + doc.dim());
    }
    return maxSim(prepare(query), doc.data(), 0, doc.rows());
  }
}
