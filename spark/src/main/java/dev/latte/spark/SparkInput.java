package dev.latte.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.datasets.corpus.Corpus;
import dev.latte.datasets.corpus.CorpusFormat;
import dev.latte.datasets.corpus.CorpusFormats;
import dev.latte.datasets.corpus.FieldMapping;
import dev.latte.datasets.corpus.InputFile;
import dev.latte.datasets.corpus.JsonRecords;
import dev.latte.datasets.corpus.SourceRecord;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * Reads the job's input into records with their input positions. Spark's own sources where it has
 * them — JSON lines through its text source (each line then mapped by Latte's JSON-lines mapping,
 * so bad lines count as in {@code ./latte index}), Parquet and CSV through its DataFrame readers
 * (each row mapped as a JSON object), TSV through its CSV reader as Latte reads TSV ({@link
 * TsvInput}) — so these split across tasks and read from any Hadoop file system; every other format
 * (BEIR folders, TREC, text/HTML trees, JSON arrays, .npy) through Latte's own readers, one task
 * per file, from a path every node sees.
 */
final class SparkInput {
  /** One record at its input position ({@code file}, {@code index} within it). */
  record Positioned(long file, long index, ShardRecord record) implements Serializable {}

  /** How the input is read, and what the job state calls it. */
  enum Source {
    JSONL,
    PARQUET,
    CSV,
    TSV,
    LATTE
  }

  private SparkInput() {}

  static Source sourceOf(JobSettings s) {
    String f = s.format() == null ? "" : s.format().toLowerCase(Locale.ROOT);
    String in = s.input().toLowerCase(Locale.ROOT);
    if (f.equals("parquet")
        || (f.isEmpty() && (in.endsWith(".parquet") || in.endsWith("*.parquet"))))
      return Source.PARQUET;
    if (f.equals("jsonl")
        || (f.isEmpty()
            && (in.endsWith(".jsonl") || in.endsWith(".ndjson") || in.endsWith(".jsonl.gz"))))
      return Source.JSONL;
    if (f.equals("csv") || (f.isEmpty() && (in.endsWith(".csv") || in.endsWith(".csv.gz"))))
      return Source.CSV;
    if (f.equals("tsv") || (f.isEmpty() && (in.endsWith(".tsv") || in.endsWith(".tsv.gz"))))
      return Source.TSV;
    return Source.LATTE;
  }

  static JavaRDD<Positioned> read(SparkSession spark, JobSettings s) {
    Source source = sourceOf(s);
    String name = displayName(s.input());
    return switch (source) {
      case JSONL ->
          spark
              .read()
              .text(s.input())
              .javaRDD()
              .zipWithIndex()
              .flatMap(
                  t -> {
                    SourceRecord r =
                        JsonRecords.fromLine(
                            t._1().getString(0), s.mapping(), name + " line " + (t._2() + 1));
                    return r == null
                        ? java.util.Collections.emptyIterator()
                        : List.of(new Positioned(0, t._2(), ShardRecord.of(r))).iterator();
                  });
      case PARQUET -> rows(spark.read().parquet(s.input()).toJSON().javaRDD(), s, name, false);
      case CSV ->
          rows(
              spark
                  .read()
                  .option("header", "true")
                  .option("multiLine", "true")
                  .option("escape", "\"")
                  .csv(s.input())
                  .toJSON()
                  .javaRDD(),
              s,
              name,
              true);
      case TSV -> TsvInput.read(spark, s, name);
      case LATTE -> latteFiles(JavaSparkContext.fromSparkContext(spark.sparkContext()), s);
    };
  }

  private static JavaRDD<Positioned> rows(
      JavaRDD<String> json, JobSettings s, String name, boolean remainingAsMetadata) {
    return json.zipWithIndex()
        .map(
            t -> {
              String where = name + " row " + (t._2() + 1);
              JsonNode node = Rows.MAPPER.readTree(t._1());
              SourceRecord r =
                  JsonRecords.fromObject(
                      (ObjectNode) node, s.mapping(), where, remainingAsMetadata);
              return new Positioned(0, t._2(), ShardRecord.of(r));
            });
  }

  private static final class Rows {
    static final ObjectMapper MAPPER = new ObjectMapper();
  }

  /** Latte's readers, one task per file, files in the order {@code ./latte index} reads them. */
  private static JavaRDD<Positioned> latteFiles(JavaSparkContext sc, JobSettings s) {
    Corpus corpus = Corpus.open(s.input(), s.format(), s.mapping());
    List<String[]> files = new ArrayList<>();
    for (InputFile f : corpus.files()) files.add(new String[] {f.path().toString(), f.name()});
    List<Integer> at = new ArrayList<>();
    for (int i = 0; i < files.size(); i++) at.add(i);
    return sc.parallelize(at, Math.max(1, files.size()))
        .flatMap(i -> readFile(i, files.get(i)[0], files.get(i)[1], s));
  }

  /** The records of one file, read lazily (a file of millions of records streams). */
  private static Iterator<Positioned> readFile(int i, String path, String name, JobSettings s) {
    InputFile file = new InputFile(Path.of(path), name);
    FieldMapping mapping = s.mapping();
    CorpusFormat format =
        s.format() != null ? CorpusFormats.byName(s.format()) : CorpusFormats.detect(file);
    return new Iterator<>() {
      CorpusFormat.Reader reader;
      boolean opened;
      boolean done;
      long n;
      Positioned next;

      @Override
      public boolean hasNext() {
        if (next != null) return true;
        if (done) return false;
        if (!opened) {
          opened = true;
          try {
            reader = format.open(file, mapping);
          } catch (IOException | RuntimeException e) {
            done = true;
            next = bad(i, n++, name, "cannot read the file: " + message(e));
            return true;
          }
        }
        SourceRecord r;
        try {
          r = reader.next();
        } catch (IOException | RuntimeException e) {
          finish();
          next = bad(i, n++, name, "the rest of the file cannot be read: " + message(e));
          return true;
        }
        if (r == null) {
          finish();
          return false;
        }
        next = new Positioned(i, n++, ShardRecord.of(r));
        return true;
      }

      @Override
      public Positioned next() {
        if (!hasNext()) throw new java.util.NoSuchElementException();
        Positioned p = next;
        next = null;
        return p;
      }

      private void finish() {
        done = true;
        try {
          if (reader != null) reader.close();
        } catch (IOException ignored) {
          // nothing more to read from it
        }
      }
    };
  }

  private static Positioned bad(int file, long index, String name, String why) {
    return new Positioned(file, index, ShardRecord.of(SourceRecord.bad(name, why)));
  }

  private static String message(Exception e) {
    String m = e.getMessage();
    return m == null ? e.getClass().getSimpleName() : m;
  }

  /** The input's last path element, as locations of {@code ./latte index} name a single file. */
  static String displayName(String input) {
    String p = input.endsWith("/") ? input.substring(0, input.length() - 1) : input;
    return p.substring(p.lastIndexOf('/') + 1);
  }
}
