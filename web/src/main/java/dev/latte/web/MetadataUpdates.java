package dev.latte.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Parses and validates metadata updates: the body of {@code PATCH
 * /v1/indexes/{name}/documents/{id}}, {@code {"metadata": PATCH}}, and of {@code POST
 * /v1/indexes/{name}/documents/update}, a JSON array of {@code {"id", "metadata": PATCH}}. PATCH is
 * a JSON Merge Patch (RFC 7386, {@link MergePatch}) of the document's metadata object: an object
 * (members to set or merge, {@code null} members to remove), or {@code null} itself to remove all
 * metadata. Title and text cannot be patched: they are encoded into the token matrix, so changing
 * them means adding the document again.
 *
 * <p>A batch is validated whole before anything is written (400 naming the item and field); updates
 * of the same id in one batch apply in order.
 */
final class MetadataUpdates {
  private static final Set<String> ITEM_FIELDS = Set.of("id", "metadata");
  private static final String TEXT_HINT =
      ". Title and text are encoded into the token matrix: change them by adding the document"
          + " again (POST /v1/indexes/{name}/documents)";

  private MetadataUpdates() {}

  /** The patch of a PATCH body: an object, or a JSON null (remove all metadata). */
  static JsonNode single(ObjectMapper mapper, byte[] body) {
    JsonNode root = DocumentBatch.readTree(mapper, body, "");
    if (root == null || !root.isObject())
      throw Refusal.invalid(
          "invalid_request",
          "request body must be a JSON object {\"metadata\": PATCH}, PATCH a JSON Merge Patch of"
              + " the document's metadata");
    for (var it = root.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!f.equals("metadata"))
        throw Refusal.invalid(
            "invalid_request", "unknown field \"" + f + "\"; accepted: metadata" + hint(f));
    }
    String problem = problem(root.get("metadata"));
    if (problem != null) throw Refusal.invalid("invalid_request", "\"metadata\" " + problem);
    InputLimits.checkMetadata(root.get("metadata"), "metadata");
    return root.get("metadata");
  }

  /** The patches of a batch by id (first occurrence order), each id's patches in batch order. */
  static Map<String, List<JsonNode>> batch(ObjectMapper mapper, byte[] body) {
    JsonNode root = DocumentBatch.readTree(mapper, body, "updates");
    if (root == null || !root.isArray())
      throw Refusal.invalid(
          "invalid_request",
          "request body must be a JSON array of updates {\"id\", \"metadata\": PATCH}");
    if (root.isEmpty()) throw Refusal.invalid("invalid_request", "the batch holds no updates");
    DocumentBatch.checkSize(root.size(), "updates");
    Map<String, List<JsonNode>> byId = new LinkedHashMap<>();
    for (int i = 0; i < root.size(); i++) {
      JsonNode item = root.get(i);
      String id = id(item, i);
      String problem = problem(item.get("metadata"));
      if (problem != null) throw invalid(i, "metadata", "updates[" + i + "].metadata " + problem);
      InputLimits.checkMetadata(item.get("metadata"), "updates[" + i + "].metadata");
      byId.computeIfAbsent(id, k -> new ArrayList<>()).add(item.get("metadata"));
    }
    return byId;
  }

  /**
   * What applying {@code patches} in order does to the stored metadata of document {@code id}
   * (null: none); refused (and the whole write rolled back) if the result is over the metadata
   * limits of {@link InputLimits}.
   */
  static UnaryOperator<ObjectNode> change(String id, List<JsonNode> patches) {
    return stored -> {
      JsonNode m = stored;
      for (JsonNode p : patches) m = MergePatch.apply(m, p);
      if (m == null || m.isEmpty()) return null;
      InputLimits.checkMetadata(
          m, "the patched metadata of \"" + DocumentBatch.firstLine(id) + "\"");
      return (ObjectNode) m;
    };
  }

  private static String id(JsonNode item, int i) {
    if (item == null || !item.isObject())
      throw invalid(i, null, "updates[" + i + "] must be a JSON object {\"id\", \"metadata\"}");
    for (var it = item.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!ITEM_FIELDS.contains(f))
        throw invalid(
            i,
            f,
            "updates[" + i + "] has unknown field \"" + f + "\"; accepted: id, metadata" + hint(f));
    }
    JsonNode id = item.get("id");
    if (id == null || id.isNull()) throw invalid(i, "id", "updates[" + i + "].id is required");
    if (!id.isTextual()) throw invalid(i, "id", "updates[" + i + "].id must be a string");
    if (id.textValue().isBlank()) throw invalid(i, "id", "updates[" + i + "].id must not be empty");
    if (id.textValue().length() > DocumentBatch.MAX_ID_CHARS)
      throw invalid(
          i,
          "id",
          "updates["
              + i
              + "].id has "
              + id.textValue().length()
              + " characters; the limit is "
              + DocumentBatch.MAX_ID_CHARS);
    return id.textValue();
  }

  /** Why {@code patch} is not a metadata patch, or null if it is one. */
  private static String problem(JsonNode patch) {
    if (patch == null)
      return "is required: a JSON Merge Patch of the document's metadata, e.g. {\"lang\": \"en\","
          + " \"draft\": null} (null removes a key)";
    if (patch.isObject() || patch.isNull()) return null;
    return "must be a JSON object (a merge patch: members to set, null members to remove) or null"
        + " (remove all metadata), not "
        + patch.getNodeType().name().toLowerCase(Locale.ROOT)
        + " "
        + DocumentBatch.firstLine(patch.toString());
  }

  private static String hint(String field) {
    return field.equals("title") || field.equals("text") ? TEXT_HINT : "";
  }

  private static Refusal invalid(int item, String field, String message) {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("item", item);
    if (field != null) details.put("field", field);
    return Refusal.invalid("invalid_update", message, details);
  }
}
