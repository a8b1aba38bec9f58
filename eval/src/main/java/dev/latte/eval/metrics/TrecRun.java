package dev.latte.eval.metrics;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SequencedMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A run: for each query id, the documents a system retrieved with their scores.
 *
 * <p>Each ranking is kept in {@link RankedDoc#TREC_EVAL_ORDER}, the only order trec_eval looks at,
 * so what is evaluated in memory is exactly what trec_eval evaluates from the written file. Queries
 * are kept in query id order. A doc id may appear only once per query: trec_eval refuses duplicates
 * ("duplicate docs"), and they would count a relevant document twice.
 */
public record TrecRun(Map<String, List<RankedDoc>> rankings) {

  private static final Pattern WHITESPACE = Pattern.compile("\\s+");

  /** Copies {@code rankings}, sorting each into trec_eval order and rejecting duplicate docs. */
  public TrecRun {
    SequencedMap<String, List<RankedDoc>> copy = new TreeMap<>(RankedDoc::compareAsStrcmp);
    rankings.forEach(
        (queryId, ranking) -> {
          Objects.requireNonNull(queryId, "query id");
          requireDistinctDocs(queryId, ranking);
          copy.put(queryId, ranking.stream().sorted(RankedDoc.TREC_EVAL_ORDER).toList());
        });
    rankings = Collections.unmodifiableSequencedMap(copy);
  }

  public static TrecRun of(Map<String, ? extends List<RankedDoc>> rankings) {
    return new TrecRun(Collections.unmodifiableMap(rankings));
  }

  /** The ranking of {@code queryId} in trec_eval order; empty when the run lacks the query. */
  public List<RankedDoc> ranking(String queryId) {
    return rankings.getOrDefault(queryId, List.of());
  }

  /**
   * This run without any document whose id equals its query's id.
   *
   * <p>BEIR's evaluation does this by default ({@code ignore_identical_ids}) because in some
   * datasets (ArguAna, Quora) the queries are themselves corpus documents, and finding the query is
   * not a hit. Where query and doc ids are unrelated (both plain numbers, say) it could drop a
   * genuine document; in SciFact no query id is also a doc id.
   */
  public TrecRun withoutSelfHits() {
    Map<String, List<RankedDoc>> kept = new LinkedHashMap<>();
    rankings.forEach(
        (queryId, ranking) ->
            kept.put(
                queryId, ranking.stream().filter(doc -> !doc.docId().equals(queryId)).toList()));
    return new TrecRun(kept);
  }

  /**
   * Writes the run in TREC format, one {@code qid Q0 docid rank score tag} line per document,
   * queries in id order, each ranking in trec_eval order with ranks from 1 (so the rank column
   * agrees with how trec_eval will rank the lines).
   *
   * <p>Scores are written with all the digits their float needs to be read back unchanged ({@link
   * #formatScore}): rounding to a fixed number of decimals would invent ties and change the
   * metrics.
   */
  public void writeTo(Path file, String tag) throws IOException {
    // Checked up front so that a bad id fails before a half-written file exists.
    requireToken(tag, "run tag");
    rankings.forEach(
        (queryId, ranking) -> {
          requireToken(queryId, "query id");
          ranking.forEach(doc -> requireToken(doc.docId(), "doc id of query " + queryId));
        });
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (var entry : rankings.entrySet()) {
        int rank = 1;
        for (RankedDoc doc : entry.getValue()) {
          out.write(
              String.join(
                  " ",
                  entry.getKey(),
                  "Q0",
                  doc.docId(),
                  Integer.toString(rank++),
                  formatScore(doc.score()),
                  tag));
          out.newLine();
        }
      }
    }
  }

  /**
   * Reads a TREC run file: whitespace-separated {@code qid Q0 docid rank score tag} lines; blank
   * lines are skipped. As in trec_eval, the order of the lines and the rank column do not matter
   * (the rank must still be an integer), and the Q0 and tag columns are not looked at.
   *
   * @throws IOException if the file cannot be read, or a line is malformed or repeats a doc of its
   *     query; the message names the file and the line number
   */
  public static TrecRun read(Path file) throws IOException {
    Map<String, Map<String, RankedDoc>> byQuery = new LinkedHashMap<>();
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      int lineNumber = 0;
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        lineNumber++;
        if (line.isBlank()) {
          continue;
        }
        String[] fields = WHITESPACE.split(line.strip());
        if (fields.length != 6) {
          throw malformed(
              file,
              lineNumber,
              "expected 6 fields 'qid Q0 docid rank score tag', got " + fields.length,
              line);
        }
        String queryId = fields[0];
        String docId = fields[2];
        float score;
        try {
          Integer.parseInt(fields[3]);
          // Like trec_eval's atof into a float field: parse as double, then narrow.
          score = (float) Double.parseDouble(fields[4]);
        } catch (NumberFormatException e) {
          throw malformed(file, lineNumber, "rank must be an integer and score a number", line);
        }
        if (!Float.isFinite(score)) {
          throw malformed(file, lineNumber, "score must be finite", line);
        }
        RankedDoc previous =
            byQuery
                .computeIfAbsent(queryId, q -> new LinkedHashMap<>())
                .putIfAbsent(docId, new RankedDoc(docId, score));
        if (previous != null) {
          throw malformed(
              file, lineNumber, "doc " + docId + " repeated for query " + queryId, line);
        }
      }
    }
    Map<String, List<RankedDoc>> rankings = new LinkedHashMap<>();
    byQuery.forEach((queryId, docs) -> rankings.put(queryId, new ArrayList<>(docs.values())));
    return new TrecRun(rankings);
  }

  /**
   * A short plain decimal that trec_eval 9.x, which parses a score to double and then narrows it to
   * float, reads back as exactly {@code score}.
   *
   * <p>{@link Float#toString} is shortest but only guaranteed to round-trip when parsed straight to
   * float; for a few floats (7.038531E-26 is one) the detour through double rounds to a neighbour.
   * Those are written as the float's exact value instead. Either way distinct floats get distinct,
   * equally ordered decimals, so double-parsing tools (trec_eval 10, Python) rank the same too.
   */
  static String formatScore(float score) {
    String shortest = Float.toString(score);
    String exact =
        (float) Double.parseDouble(shortest) == score ? shortest : Double.toString(score);
    return new BigDecimal(exact).toPlainString();
  }

  static void requireDistinctDocs(String queryId, List<RankedDoc> ranking) {
    Set<String> seen = new HashSet<>();
    for (RankedDoc doc : ranking) {
      if (!seen.add(doc.docId())) {
        throw new IllegalArgumentException(
            "query " + queryId + " retrieves doc " + doc.docId() + " more than once");
      }
    }
  }

  private static void requireToken(String value, String what) {
    if (value.isEmpty() || WHITESPACE.matcher(value).find()) {
      // The format is whitespace-separated: such a value could not be read back.
      throw new IllegalArgumentException(
          what + " must be non-empty without whitespace: '" + value + "'");
    }
  }

  private static IOException malformed(Path file, int lineNumber, String problem, String line) {
    return new IOException(file + ":" + lineNumber + ": " + problem + ": '" + line + "'");
  }
}
