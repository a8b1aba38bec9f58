package dev.latte.datasets;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A collection in BEIR layout: {@code corpus.jsonl}, {@code queries.jsonl} and {@code
 * qrels/<split>.tsv} (header {@code query-id corpus-id score}). Each file may also be gzipped
 * ({@code .gz}). The corpus is streamed; queries and judgments are small and read whole.
 */
public final class BeirDataset {
  private final Path dir;

  private BeirDataset(Path dir) {
    this.dir = dir;
  }

  public static BeirDataset open(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new DatasetException(
          "dataset folder not found: "
              + dir
              + " (give a BEIR folder holding corpus.jsonl, queries.jsonl and qrels/)");
    }
    BeirDataset ds = new BeirDataset(dir.toAbsolutePath().normalize());
    ds.corpusFile(); // fail now, with a clear message, rather than after model loading
    return ds;
  }

  public Path dir() {
    return dir;
  }

  /** The folder name, e.g. {@code scifact}. */
  public String name() {
    return dir.getFileName().toString();
  }

  public Path corpusFile() {
    return existing("corpus.jsonl");
  }

  public Stream<Document> corpus() {
    return JsonlCorpus.documents(corpusFile());
  }

  public long corpusSize() {
    return JsonlCorpus.countLines(corpusFile());
  }

  /** All queries, in file order. */
  public Map<String, Query> queries() {
    Map<String, Query> out = new LinkedHashMap<>();
    try (Stream<Query> s = JsonlCorpus.queries(existing("queries.jsonl"))) {
      s.forEach(q -> out.put(q.id(), q));
    }
    return out;
  }

  /** The splits that have judgments, e.g. {@code [test, train]}. */
  public List<String> splits() {
    Path qrels = dir.resolve("qrels");
    List<String> out = new ArrayList<>();
    if (Files.isDirectory(qrels)) {
      try (Stream<Path> files = Files.list(qrels)) {
        files
            .map(p -> p.getFileName().toString())
            .filter(n -> n.endsWith(".tsv") || n.endsWith(".tsv.gz"))
            .map(n -> n.substring(0, n.indexOf(".tsv")))
            .sorted()
            .forEach(out::add);
      } catch (IOException e) {
        throw new DatasetException("cannot list " + qrels + ": " + e.getMessage(), e);
      }
    }
    return out;
  }

  /** Judgments of a split: query id -> (doc id -> grade). */
  public Map<String, Map<String, Integer>> qrels(String split) {
    Path file = existing("qrels/" + split + ".tsv");
    Map<String, Map<String, Integer>> out = new LinkedHashMap<>();
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(JsonlCorpus.open(file), StandardCharsets.UTF_8))) {
      String line;
      long n = 0;
      while ((line = r.readLine()) != null) {
        n++;
        if (line.isBlank()) continue;
        String[] f = line.strip().split("\t");
        if (n == 1 && f[0].equals("query-id")) continue;
        if (f.length != 3) {
          // TREC qrels (qid 0 docid grade) are accepted too.
          f = line.strip().split("\\s+");
          if (f.length == 4) f = new String[] {f[0], f[2], f[3]};
        }
        if (f.length != 3) {
          throw new DatasetException(
              file + " line " + n + ": expected 'query-id<TAB>corpus-id<TAB>score', got: " + line);
        }
        int grade;
        try {
          grade = Integer.parseInt(f[2].strip());
        } catch (NumberFormatException e) {
          throw new DatasetException(
              file + " line " + n + ": score '" + f[2] + "' is not an integer");
        }
        out.computeIfAbsent(f[0].strip(), k -> new LinkedHashMap<>()).put(f[1].strip(), grade);
      }
    } catch (IOException e) {
      throw new DatasetException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return out;
  }

  private Path existing(String name) {
    Path plain = dir.resolve(name);
    if (Files.isRegularFile(plain)) return plain;
    Path gz = dir.resolve(name + ".gz");
    if (Files.isRegularFile(gz)) return gz;
    throw new DatasetException(
        "missing "
            + plain
            + " (or "
            + gz.getFileName()
            + "): a BEIR folder holds corpus.jsonl, queries.jsonl and qrels/<split>.tsv");
  }
}
