package dev.latte.datasets.corpus;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.core.TokenMatrix;
import dev.latte.datasets.Document;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * Turns one JSON object (a JSONL line, a JSON array element, a CSV/TSV row as strings) into a
 * record through a {@link FieldMapping}: id, title, text fields joined, metadata, and precomputed
 * vectors when the object carries them, each checked with a reason that names the field.
 */
final class RecordFields {
  static final ObjectMapper MAPPER =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private RecordFields() {}

  /**
   * @param remainingAsMetadata with the default mapping, every field not used for the content is
   *     metadata (CSV/TSV columns); otherwise JSON's {@code metadata} object is
   */
  static SourceRecord toRecord(
      ObjectNode node, FieldMapping m, String location, boolean remainingAsMetadata) {
    JsonNode idNode;
    String idName;
    if (m.idField() == null) {
      idNode = node.get("_id");
      if (idNode == null) idNode = node.get("id");
      idName = "\"_id\" (or \"id\")";
    } else {
      idNode = node.get(m.idField());
      idName = "\"" + m.idField() + "\"";
    }
    if (idNode == null || idNode.isNull() || idNode.isContainerNode() || idNode.asText().isBlank())
      return SourceRecord.bad(location, "no id: field " + idName + " is missing or blank");
    String id = idNode.asText();
    String title = text(node.get(m.titleField()));
    StringBuilder text = new StringBuilder();
    for (String f : m.textFields()) {
      String t = text(node.get(f));
      if (t.isEmpty()) continue;
      if (!text.isEmpty()) text.append("\n\n");
      text.append(t);
    }
    ObjectNode metadata;
    if (m.metadataFields() == null && !remainingAsMetadata) {
      JsonNode md = node.get("metadata");
      if (md != null && !md.isNull() && !(md instanceof ObjectNode))
        return SourceRecord.bad(
            location,
            "\"metadata\" must be a JSON object (or null), found "
                + md.getNodeType().name().toLowerCase(Locale.ROOT));
      metadata = md instanceof ObjectNode o ? o : null;
    } else {
      metadata = MAPPER.createObjectNode();
      boolean all = m.metadataFields() == null || m.allRemaining();
      if (all) {
        for (Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator();
            it.hasNext(); ) {
          var e = it.next();
          if (!m.isContentField(e.getKey()) && !e.getKey().equals(m.idField()))
            metadata.set(e.getKey(), e.getValue());
        }
      } else {
        for (String f : m.metadataFields()) {
          JsonNode v = node.get(f);
          if (v != null && !v.isNull()) metadata.set(f, v);
        }
      }
    }
    Document doc = new Document(id, title, text.toString(), metadata);
    JsonNode vectors = node.get(m.vectorsField());
    if (vectors == null || vectors.isNull()) return SourceRecord.of(location, doc);
    float[][] rows;
    try {
      rows = vectors(vectors, m.vectorsField());
    } catch (IllegalArgumentException e) {
      return SourceRecord.bad(location, "document " + id + ": " + e.getMessage());
    }
    String[] tokens = null;
    JsonNode tn = node.get(m.tokensField());
    if (tn != null && !tn.isNull()) {
      if (!tn.isArray() || tn.size() != rows.length)
        return SourceRecord.bad(
            location,
            "document "
                + id
                + ": \""
                + m.tokensField()
                + "\" must be an array of one string per vector row ("
                + rows.length
                + ")");
      tokens = new String[rows.length];
      for (int i = 0; i < rows.length; i++) tokens[i] = tn.get(i).asText();
    }
    return SourceRecord.withVectors(location, doc, TokenMatrix.of(rows), tokens);
  }

  /** {@code [[float]]}: at least one row, rows of one width, every component a finite number. */
  static float[][] vectors(JsonNode v, String field) {
    if (!v.isArray() || v.isEmpty())
      throw new IllegalArgumentException(
          "\"" + field + "\" must be a non-empty array of token vectors ([[float]])");
    float[][] rows = new float[v.size()][];
    int dim = -1;
    for (int r = 0; r < rows.length; r++) {
      JsonNode row = v.get(r);
      if (!row.isArray() || row.isEmpty())
        throw new IllegalArgumentException(
            "\"" + field + "\"[" + r + "] must be a non-empty array of numbers");
      if (dim < 0) dim = row.size();
      else if (row.size() != dim)
        throw new IllegalArgumentException(
            "\"" + field + "\"[" + r + "] has " + row.size() + " components, row 0 has " + dim);
      float[] out = new float[dim];
      for (int c = 0; c < dim; c++) {
        JsonNode x = row.get(c);
        if (!x.isNumber())
          throw new IllegalArgumentException(
              "\"" + field + "\"[" + r + "][" + c + "] is not a number: " + x);
        float f = x.floatValue();
        if (!Float.isFinite(f))
          throw new IllegalArgumentException(
              "\"" + field + "\"[" + r + "][" + c + "] is not finite as a float32: " + x);
        out[c] = f;
      }
      rows[r] = out;
    }
    return rows;
  }

  private static String text(JsonNode v) {
    if (v == null || v.isNull()) return "";
    return v.isValueNode() ? v.asText() : v.toString();
  }

  /** Jackson's message without its source excerpt. */
  static String jsonMessage(Exception e) {
    return e instanceof com.fasterxml.jackson.core.JsonProcessingException j
        ? j.getOriginalMessage()
        : e.getMessage();
  }
}
