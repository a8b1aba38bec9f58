package dev.latte.datasets.corpus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * JSON lines: one object per line. Each line is parsed on its own, so a broken line is one bad
 * record and the next line reads normally.
 */
final class JsonlFormat implements CorpusFormat {
  @Override
  public String name() {
    return "jsonl";
  }

  @Override
  public List<String> extensions() {
    return List.of(".jsonl", ".ndjson");
  }

  @Override
  public Reader open(InputFile file, FieldMapping mapping) throws IOException {
    BufferedReader in =
        new BufferedReader(new InputStreamReader(file.open(), StandardCharsets.UTF_8), 1 << 16);
    return new Reader() {
      long line;

      @Override
      public SourceRecord next() throws IOException {
        String s;
        while ((s = in.readLine()) != null) {
          line++;
          if (s.isBlank()) continue;
          String where = file.name() + " line " + line;
          JsonNode node;
          try {
            node = RecordFields.MAPPER.readTree(s);
          } catch (IOException e) {
            return SourceRecord.bad(where, "malformed JSON: " + RecordFields.jsonMessage(e));
          }
          if (!(node instanceof ObjectNode o))
            return SourceRecord.bad(where, "expected a JSON object, found " + node.getNodeType());
          return RecordFields.toRecord(o, mapping, where, false);
        }
        return null;
      }

      /** Every non-blank line is one record, good or bad: skipping needs no parsing. */
      @Override
      public long skip(long n) throws IOException {
        long done = 0;
        String s;
        while (done < n && (s = in.readLine()) != null) {
          line++;
          if (!s.isBlank()) done++;
        }
        return done;
      }

      @Override
      public void close() throws IOException {
        in.close();
      }
    };
  }
}
