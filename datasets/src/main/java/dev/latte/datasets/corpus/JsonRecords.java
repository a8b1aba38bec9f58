package dev.latte.datasets.corpus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * The JSON-lines reader's mapping of one record, for readers that bring their own records (a
 * distributed job reading lines or rows with its own sources): the same field mapping, checks and
 * reasons as {@code ./latte index} gives the same input, so both count the same bad records.
 */
public final class JsonRecords {
  private JsonRecords() {}

  /**
   * One JSON line as the {@code jsonl} reader reads it: null for a blank line (not a record), else
   * a document or a bad record located at {@code location}.
   */
  public static SourceRecord fromLine(String line, FieldMapping mapping, String location) {
    if (line.isBlank()) return null;
    JsonNode node;
    try {
      node = RecordFields.MAPPER.readTree(line);
    } catch (IOException e) {
      return SourceRecord.bad(location, "malformed JSON: " + RecordFields.jsonMessage(e));
    }
    if (!(node instanceof ObjectNode o))
      return SourceRecord.bad(location, "expected a JSON object, found " + node.getNodeType());
    return RecordFields.toRecord(o, mapping, location, false);
  }

  /**
   * One row given as a JSON object (e.g. a Parquet or CSV row): with {@code remainingAsMetadata}
   * and the default mapping every column not used for the content becomes metadata, as for CSV.
   */
  public static SourceRecord fromObject(
      ObjectNode row, FieldMapping mapping, String location, boolean remainingAsMetadata) {
    return RecordFields.toRecord(row, mapping, location, remainingAsMetadata);
  }
}
