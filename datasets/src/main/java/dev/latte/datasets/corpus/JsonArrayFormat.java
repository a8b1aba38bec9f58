package dev.latte.datasets.corpus;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.List;

/**
 * A JSON array of objects ({@code [{...}, {...}]}), streamed element by element: memory holds one
 * element, not the array. An element that is not an object is one bad record; broken JSON ends the
 * file (a streaming parser cannot find the next element again), as an {@link IOException} that
 * names the line.
 */
final class JsonArrayFormat implements CorpusFormat {
  /** Reads one element of the array; the tokens after it are the rest of the array. */
  private static final com.fasterxml.jackson.databind.ObjectReader ELEMENT =
      RecordFields.MAPPER
          .reader()
          .without(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  @Override
  public String name() {
    return "json";
  }

  @Override
  public List<String> extensions() {
    return List.of(".json");
  }

  @Override
  public Reader open(InputFile file, FieldMapping mapping) throws IOException {
    JsonParser p = RecordFields.MAPPER.createParser(file.open());
    return new Reader() {
      boolean started;
      long element;

      @Override
      public SourceRecord next() throws IOException {
        try {
          if (!started) {
            started = true;
            JsonToken t = p.nextToken();
            if (t == null) return null;
            if (t == JsonToken.START_OBJECT) {
              // A single object: one document.
              return element(p);
            }
            if (t != JsonToken.START_ARRAY)
              throw new IOException(file.name() + ": expected a JSON array of objects, found " + t);
          }
          JsonToken t = p.nextToken();
          if (t == null || t == JsonToken.END_ARRAY) return null;
          return element(p);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
          throw new IOException(
              file.name()
                  + " line "
                  + p.currentLocation().getLineNr()
                  + ": malformed JSON, the rest of the file is not read: "
                  + e.getOriginalMessage(),
              e);
        }
      }

      private SourceRecord element(JsonParser p) throws IOException {
        String where =
            file.name()
                + " element "
                + element++
                + " (line "
                + p.currentLocation().getLineNr()
                + ")";
        JsonNode node = ELEMENT.readTree(p);
        if (!(node instanceof ObjectNode o))
          return SourceRecord.bad(where, "expected a JSON object, found " + node.getNodeType());
        return RecordFields.toRecord(o, mapping, where, false);
      }

      @Override
      public void close() throws IOException {
        p.close();
      }
    };
  }
}
