package dev.latte.datasets;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * A long-document benchmark built from a collection of short ones ("SciFact books"), since no
 * long-document collection is on these machines. Construction, deterministic for a seed:
 *
 * <ol>
 *   <li>the source's document ids, in corpus order, are shuffled with {@code
 *       java.util.Random(seed)};
 *   <li>they are cut, in that order, into books of {@code 10 + random.nextInt(21)} documents (10 to
 *       30, same generator); a remainder of fewer than 10 joins the last book;
 *   <li>a book's text is its documents' {@code title + "\n" + text}, joined by {@code "\n\n"}; its
 *       id is {@code book-NNNN}, its title empty, its metadata the number of documents;
 *   <li>queries are the source's, unchanged; a book's grade for a query is the best grade of its
 *       documents (qrels of every split mapped so);
 *   <li>{@code parts.tsv} lists every source document with its book and character span in the
 *       book's text, so a per-document run can be mapped to books and a best passage checked
 *       against the document it came from.
 * </ol>
 *
 * <p>Without paragraphs ({@code flat}), every newline of the text is a space instead: the same
 * characters at the same offsets, but no blank line for {@code --cut paragraphs} to find, which is
 * what a structure-aware cut gets from text that only has sentences.
 */
public final class BooksBuilder {
  public static final String PARTS_FILE = "parts.tsv";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What was built: books, source documents, and book size range. */
  public record Summary(int books, int documents, int smallest, int largest, long characters) {}

  private BooksBuilder() {}

  public static Summary build(BeirDataset source, Path out, long seed) {
    return build(source, out, seed, false);
  }

  /** As {@link #build(BeirDataset, Path, long)}; {@code flat}: newlines written as spaces. */
  public static Summary build(BeirDataset source, Path out, long seed, boolean flat) {
    try {
      return write(source, out, seed, flat);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write books to " + out + ": " + e.getMessage(), e);
    }
  }

  private static Summary write(BeirDataset source, Path out, long seed, boolean flat)
      throws IOException {
    Map<String, Document> docs = new LinkedHashMap<>();
    try (Stream<Document> s = source.corpus()) {
      s.forEach(d -> docs.put(d.id(), d));
    }
    List<String> ids = new ArrayList<>(docs.keySet());
    Random random = new Random(seed);
    Collections.shuffle(ids, random);
    List<List<String>> books = new ArrayList<>();
    for (int at = 0; at < ids.size(); ) {
      int size = 10 + random.nextInt(21);
      int end = Math.min(ids.size(), at + size);
      if (end - at < 10 && !books.isEmpty()) books.getLast().addAll(ids.subList(at, end));
      else books.add(new ArrayList<>(ids.subList(at, end)));
      at = end;
    }
    Files.createDirectories(out.resolve("qrels"));
    Map<String, String> bookOf = new LinkedHashMap<>();
    int smallest = Integer.MAX_VALUE, largest = 0;
    long chars = 0;
    try (BufferedWriter corpus = Files.newBufferedWriter(out.resolve("corpus.jsonl"));
        BufferedWriter parts = Files.newBufferedWriter(out.resolve(PARTS_FILE))) {
      parts.write("corpus-id\tbook-id\tstart\tend\n");
      for (int b = 0; b < books.size(); b++) {
        String bookId = String.format(java.util.Locale.ROOT, "book-%04d", b + 1);
        StringBuilder text = new StringBuilder();
        for (String id : books.get(b)) {
          Document d = docs.get(id);
          if (!text.isEmpty()) text.append("\n\n");
          int start = text.length();
          text.append(d.title().isEmpty() ? d.text() : d.title() + "\n" + d.text());
          parts.write(id + "\t" + bookId + "\t" + start + "\t" + text.length() + "\n");
          bookOf.put(id, bookId);
        }
        ObjectNode line = JSON.createObjectNode();
        line.put("_id", bookId);
        line.put("title", "");
        line.put("text", flat ? text.toString().replace('\n', ' ') : text.toString());
        line.putObject("metadata").put("documents", books.get(b).size());
        corpus.write(JSON.writeValueAsString(line));
        corpus.write("\n");
        smallest = Math.min(smallest, books.get(b).size());
        largest = Math.max(largest, books.get(b).size());
        chars += text.length();
      }
    }
    Path queries = source.dir().resolve("queries.jsonl");
    Files.copy(
        queries, out.resolve("queries.jsonl"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    for (String split : source.splits()) {
      Map<String, Map<String, Integer>> books2 = new LinkedHashMap<>();
      for (var q : source.qrels(split).entrySet())
        for (var j : q.getValue().entrySet()) {
          String book = bookOf.get(j.getKey());
          if (book == null) continue; // a judged document that is not in the corpus
          books2
              .computeIfAbsent(q.getKey(), k -> new LinkedHashMap<>())
              .merge(book, j.getValue(), Math::max);
        }
      try (BufferedWriter w =
          Files.newBufferedWriter(out.resolve("qrels/" + split + ".tsv"), StandardCharsets.UTF_8)) {
        w.write("query-id\tcorpus-id\tscore\n");
        for (var q : books2.entrySet())
          for (var j : q.getValue().entrySet())
            w.write(q.getKey() + "\t" + j.getKey() + "\t" + j.getValue() + "\n");
      }
    }
    return new Summary(books.size(), docs.size(), smallest, largest, chars);
  }

  /** {@code parts.tsv} of a books folder: source document id to book id. */
  public static Map<String, String> parts(Path books) {
    Map<String, String> out = new LinkedHashMap<>();
    try (Stream<String> lines = Files.lines(books.resolve(PARTS_FILE))) {
      lines
          .skip(1)
          .forEach(
              l -> {
                String[] f = l.split("\t");
                out.put(f[0], f[1]);
              });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + books.resolve(PARTS_FILE), e);
    }
    return out;
  }
}
