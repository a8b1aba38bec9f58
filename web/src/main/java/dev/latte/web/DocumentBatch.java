package dev.latte.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.datasets.Document;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Parses and validates a batch of documents for {@code POST /v1/indexes/{name}/documents}: a JSON
 * array of objects, or NDJSON (one object per line, blank lines skipped) when the content type says
 * so. Each object is {@code {"id": string, "title": string?, "text": string, "metadata": object?}};
 * anything else is refused with a 400 that names the item (0-based position in the batch) and the
 * field, before any document is written.
 *
 * <p>An id that occurs more than once in a batch keeps its last occurrence (as if the items were
 * applied in order).
 */
final class DocumentBatch {
  static final int MAX_ID_CHARS = 512;

  /**
   * Items one write request may hold (documents, metadata updates, ids to delete): a write holds
   * its index's write lock while it encodes, so one request must not keep other writers waiting for
   * minutes (1,000 abstracts encode in about 30 s on 2 cores). Larger loads are sent in several
   * requests.
   */
  static final int MAX_ITEMS = 1000;

  /** 413 {@code batch_too_large} when a write request holds more than {@link #MAX_ITEMS} items. */
  static void checkSize(int items, String what) {
    if (items > MAX_ITEMS)
      throw Refusal.tooLarge(
          "batch_too_large",
          "the request holds "
              + items
              + " "
              + what
              + "; one request takes at most "
              + MAX_ITEMS
              + " — send them in several requests");
  }

  private static final Set<String> FIELDS = Set.of("id", "title", "text", "metadata");

  private DocumentBatch() {}

  /** True for the NDJSON content types: application/x-ndjson, application/ndjson, jsonl. */
  static boolean isNdjson(String contentType) {
    if (contentType == null) return false;
    String ct = contentType.toLowerCase(Locale.ROOT);
    int semi = ct.indexOf(';');
    if (semi >= 0) ct = ct.substring(0, semi);
    ct = ct.strip();
    return ct.equals("application/x-ndjson")
        || ct.equals("application/ndjson")
        || ct.equals("application/jsonl")
        || ct.equals("application/x-jsonlines");
  }

  /** The documents of a request body, deduplicated by id (last occurrence wins), in order. */
  static List<Document> parse(ObjectMapper mapper, byte[] body, boolean ndjson) {
    List<JsonNode> items = ndjson ? ndjsonItems(mapper, body) : arrayItems(mapper, body);
    if (items.isEmpty()) throw Refusal.invalid("invalid_request", "the batch holds no documents");
    checkSize(items.size(), "documents");
    Map<String, Document> byId = new LinkedHashMap<>();
    for (int i = 0; i < items.size(); i++) {
      Document d = document(items.get(i), i);
      byId.remove(d.id());
      byId.put(d.id(), d);
    }
    return new ArrayList<>(byId.values());
  }

  /** The body as JSON (null when empty); 400 {@code invalid_json} naming the parse error. */
  static JsonNode readTree(ObjectMapper mapper, byte[] body) {
    return readTree(mapper, body, "");
  }

  /**
   * As above, decoded strictly ({@link ClientInput}): invalid UTF-8 or a string that is not
   * well-formed Unicode is a 400 naming where ({@code root} prefixes the path, e.g. "documents").
   */
  static JsonNode readTree(ObjectMapper mapper, byte[] body, String root) {
    ClientInput.requireUtf8(body, 0, body.length, root.isEmpty() ? "the request body" : root);
    JsonNode tree;
    try {
      tree = mapper.readTree(body);
    } catch (Exception e) {
      throw Refusal.invalid(
          "invalid_json", "request body is not valid JSON: " + firstLine(e.getMessage()));
    }
    ClientInput.checkText(tree, root);
    return tree;
  }

  private static List<JsonNode> arrayItems(ObjectMapper mapper, byte[] body) {
    JsonNode root = readTree(mapper, body, "documents");
    if (root == null || !root.isArray()) {
      throw Refusal.invalid(
          "invalid_request",
          "request body must be a JSON array of documents (or NDJSON with Content-Type"
              + " application/x-ndjson)");
    }
    List<JsonNode> out = new ArrayList<>(root.size());
    root.forEach(out::add);
    return out;
  }

  private static List<JsonNode> ndjsonItems(ObjectMapper mapper, byte[] body) {
    List<JsonNode> out = new ArrayList<>();
    int line = 0;
    // Lines are cut at '\n' bytes (never inside a UTF-8 sequence) and each decoded as strictly as
    // a JSON array body: the same bytes make the same document either way.
    for (int start = 0; start <= body.length; ) {
      int end = start;
      while (end < body.length && body[end] != '\n') end++;
      int from = start;
      start = end + 1;
      line++;
      if (isBlank(body, from, end)) continue;
      int item = out.size();
      String where = "documents[" + item + "] (line " + line + ")";
      ClientInput.requireUtf8(body, from, end - from, where);
      try {
        JsonNode n = mapper.readTree(body, from, end - from);
        ClientInput.checkText(n, "documents[" + item + "]");
        out.add(n);
      } catch (Refusal e) {
        throw e;
      } catch (Exception e) {
        throw invalid(
            item,
            null,
            "documents["
                + item
                + "] (line "
                + line
                + ") is not valid JSON: "
                + firstLine(e.getMessage()));
      }
    }
    return out;
  }

  private static boolean isBlank(byte[] b, int from, int to) {
    for (int i = from; i < to; i++)
      if (b[i] != ' ' && b[i] != '\t' && b[i] != '\r' && b[i] != '\f' && b[i] != 0x0b) return false;
    return true;
  }

  private static Document document(JsonNode n, int i) {
    if (n == null || !n.isObject())
      throw invalid(i, null, "documents[" + i + "] must be a JSON object");
    for (var it = n.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!FIELDS.contains(f)) {
        throw invalid(
            i,
            f,
            "documents["
                + i
                + "] has unknown field \""
                + f
                + "\"; accepted: id, title, text, metadata");
      }
    }
    String id = string(n, i, "id", true);
    if (id.length() > MAX_ID_CHARS) {
      throw invalid(
          i,
          "id",
          "documents["
              + i
              + "].id has "
              + id.length()
              + " characters; the limit is "
              + MAX_ID_CHARS);
    }
    String title = string(n, i, "title", false);
    String text = string(n, i, "text", true);
    JsonNode m = n.get("metadata");
    ObjectNode metadata = null;
    if (m != null && !m.isNull()) {
      if (!m.isObject())
        throw invalid(i, "metadata", "documents[" + i + "].metadata must be a JSON object");
      metadata = (ObjectNode) m;
      InputLimits.checkMetadata(metadata, "documents[" + i + "].metadata");
    }
    return new Document(id, title, text, metadata);
  }

  /** A string field; required ones must be present and not blank, optional ones may be null. */
  private static String string(JsonNode n, int i, String field, boolean required) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      if (required) throw invalid(i, field, "documents[" + i + "]." + field + " is required");
      return "";
    }
    if (!v.isTextual())
      throw invalid(i, field, "documents[" + i + "]." + field + " must be a string");
    if (required && v.textValue().isBlank())
      throw invalid(i, field, "documents[" + i + "]." + field + " must not be empty");
    return v.textValue();
  }

  private static Refusal invalid(int item, String field, String message) {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("item", item);
    if (field != null) details.put("field", field);
    return Refusal.invalid("invalid_document", message, details);
  }

  static String firstLine(String s) {
    if (s == null) return "";
    int nl = s.indexOf('\n');
    String line = nl < 0 ? s : s.substring(0, nl);
    return line.length() > 200 ? line.substring(0, 200) : line;
  }
}
