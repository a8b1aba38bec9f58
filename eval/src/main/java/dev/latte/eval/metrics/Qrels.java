package dev.latte.eval.metrics;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SequencedSet;
import java.util.TreeMap;

/**
 * Relevance judgments: query id to (doc id to integer grade).
 *
 * <p>A grade of at least {@link #RELEVANCE_LEVEL} is relevant; lower grades (0, or negative as some
 * collections use) are judged non-relevant. A document without a judgment counts as non-relevant
 * too.
 */
public record Qrels(Map<String, Map<String, Integer>> judgments) {

  /** trec_eval's default {@code -l 1}: the lowest grade that counts as relevant. */
  public static final int RELEVANCE_LEVEL = 1;

  /** Copies {@code judgments} into an immutable map ordered by query id. */
  public Qrels {
    Map<String, Map<String, Integer>> copy = new TreeMap<>(RankedDoc::compareAsStrcmp);
    judgments.forEach(
        (queryId, grades) -> {
          Objects.requireNonNull(queryId, "query id");
          grades.forEach(
              (docId, grade) -> {
                Objects.requireNonNull(docId, () -> "doc id in query " + queryId);
                Objects.requireNonNull(grade, () -> "grade of " + queryId + "/" + docId);
              });
          copy.put(queryId, Map.copyOf(grades));
        });
    judgments = Collections.unmodifiableMap(copy);
  }

  public static Qrels of(Map<String, ? extends Map<String, Integer>> judgments) {
    return new Qrels(Collections.unmodifiableMap(judgments));
  }

  public static boolean isRelevant(int grade) {
    return grade >= RELEVANCE_LEVEL;
  }

  /** The grade of {@code docId} for {@code queryId}, 0 when it was not judged. */
  public int grade(String queryId, String docId) {
    return judgments.getOrDefault(queryId, Map.of()).getOrDefault(docId, 0);
  }

  /** How many documents are relevant to {@code queryId}; 0 for an unknown query. */
  public int relevantCount(String queryId) {
    return (int) grades(queryId).values().stream().filter(Qrels::isRelevant).count();
  }

  /** The grades of the relevant documents of {@code queryId}, highest first: the ideal ranking. */
  public List<Integer> relevantGradesDescending(String queryId) {
    return grades(queryId).values().stream()
        .filter(Qrels::isRelevant)
        .sorted(Collections.reverseOrder())
        .toList();
  }

  /** The queries with at least one relevant document, in query id order: those that are scored. */
  public SequencedSet<String> queriesWithRelevant() {
    SequencedSet<String> queries = new LinkedHashSet<>();
    judgments.forEach(
        (queryId, grades) -> {
          if (grades.values().stream().anyMatch(Qrels::isRelevant)) {
            queries.add(queryId);
          }
        });
    return Collections.unmodifiableSequencedSet(queries);
  }

  private Map<String, Integer> grades(String queryId) {
    return judgments.getOrDefault(queryId, Map.of());
  }
}
