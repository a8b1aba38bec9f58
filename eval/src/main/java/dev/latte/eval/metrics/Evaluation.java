package dev.latte.eval.metrics;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The result of {@link TrecMetrics#evaluate}.
 *
 * @param mean the means over all scored queries
 * @param perQuery the metrics of each scored query, in the order given (query id order from {@link
 *     TrecMetrics#evaluate})
 * @param queriesMissingFromRun scored queries the run has no ranking for (they count as 0); a long
 *     list usually means the run and the qrels disagree on query ids
 */
public record Evaluation(
    MetricSummary mean, Map<String, QueryMetrics> perQuery, Set<String> queriesMissingFromRun) {

  public Evaluation {
    perQuery = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(perQuery));
    queriesMissingFromRun =
        Collections.unmodifiableSequencedSet(new LinkedHashSet<>(queriesMissingFromRun));
  }
}
