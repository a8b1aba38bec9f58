package dev.latte.datasets;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import java.util.zip.GZIPInputStream;

/**
 * Streams JSON-lines files ({@code .jsonl}, or {@code .jsonl.gz}) one object at a time, so a corpus
 * of any size is read in constant memory. Used for BEIR corpora and queries and for any user JSONL
 * with {@code _id}/{@code title}/{@code text}.
 */
public final class JsonlCorpus {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private JsonlCorpus() {}

  /**
   * Documents of a JSONL file with {@code _id} (or {@code id}), optional {@code title}, {@code
   * text}, and optional {@code metadata} (a JSON object; null or absent means none).
   */
  public static Stream<Document> documents(Path file) {
    return objects(
        file,
        (node, line) ->
            new Document(
                requiredId(node, file, line),
                text(node, "title"),
                text(node, "text"),
                metadata(node, file, line)));
  }

  public static Stream<Query> queries(Path file) {
    return objects(
        file, (node, line) -> new Query(requiredId(node, file, line), text(node, "text")));
  }

  /** Counts the non-blank lines, for progress bars; cheap next to encoding. */
  public static long countLines(Path file) {
    try (var in = open(file)) {
      long lines = 0;
      int b;
      boolean nonBlank = false;
      var buf = new BufferedInputStream(in, 1 << 16);
      while ((b = buf.read()) != -1) {
        if (b == '\n') {
          if (nonBlank) lines++;
          nonBlank = false;
        } else if (!Character.isWhitespace(b)) {
          nonBlank = true;
        }
      }
      return nonBlank ? lines + 1 : lines;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  interface LineMapper<T> {
    T map(JsonNode node, long line);
  }

  static <T> Stream<T> objects(Path file, LineMapper<T> mapper) {
    InputStream in;
    JsonParser parser;
    try {
      in = open(file);
      parser = MAPPER.createParser(in);
    } catch (NoSuchFileException e) {
      throw new DatasetException(
          "file not found: "
              + file
              + " (expected a BEIR folder with corpus.jsonl, queries.jsonl and qrels/)");
    } catch (IOException e) {
      throw new DatasetException("cannot open " + file + ": " + e.getMessage(), e);
    }
    Iterator<T> it =
        new Iterator<>() {
          T next;
          boolean done;

          @Override
          public boolean hasNext() {
            if (next != null) return true;
            if (done) return false;
            try {
              JsonToken token = parser.nextToken();
              if (token == null) {
                done = true;
                return false;
              }
              long line = parser.currentLocation().getLineNr();
              if (token != JsonToken.START_OBJECT) {
                throw new DatasetException(
                    file + " line " + line + ": expected a JSON object, found " + token);
              }
              JsonNode node = MAPPER.readTree(parser);
              next = mapper.map(node, line);
              return true;
            } catch (IOException e) {
              throw new DatasetException(
                  file
                      + " line "
                      + parser.currentLocation().getLineNr()
                      + ": malformed JSON: "
                      + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j
                          ? j.getOriginalMessage()
                          : e.getMessage()),
                  e);
            }
          }

          @Override
          public T next() {
            if (!hasNext()) throw new NoSuchElementException();
            T t = next;
            next = null;
            return t;
          }
        };
    return StreamSupport.stream(
            Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED | Spliterator.NONNULL),
            false)
        .onClose(
            () -> {
              try {
                parser.close();
                in.close();
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
  }

  static InputStream open(Path file) throws IOException {
    InputStream in = Files.newInputStream(file);
    return file.getFileName().toString().endsWith(".gz")
        ? new GZIPInputStream(in, 1 << 16)
        : new BufferedInputStream(in, 1 << 16);
  }

  private static String requiredId(JsonNode node, Path file, long line) {
    JsonNode id = node.get("_id");
    if (id == null) id = node.get("id");
    if (id == null || id.isNull() || id.asText().isBlank()) {
      throw new DatasetException(
          file + " line " + line + ": object has no \"_id\" (or \"id\") field");
    }
    return id.asText();
  }

  private static ObjectNode metadata(JsonNode node, Path file, long line) {
    JsonNode m = node.get("metadata");
    if (m == null || m.isNull()) return null;
    if (!(m instanceof ObjectNode o)) {
      throw new DatasetException(
          file
              + " line "
              + line
              + ": \"metadata\" must be a JSON object (or null), found "
              + m.getNodeType().name().toLowerCase(java.util.Locale.ROOT)
              + "; wrap the value, e.g. {\"metadata\": {\"source\": ...}}");
    }
    return o;
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? "" : v.asText();
  }
}
