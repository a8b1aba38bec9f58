package dev.latte.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * JSON Merge Patch (RFC 7386): an object patch merges into the target member by member,
 * recursively; a member whose patch value is {@code null} is removed; any other value (string,
 * number, boolean, array) replaces the target's member whole. Arrays are never merged.
 */
final class MergePatch {
  private MergePatch() {}

  /**
   * The result of applying {@code patch} to {@code target} (null: no target); neither argument is
   * changed.
   */
  static JsonNode apply(JsonNode target, JsonNode patch) {
    if (!patch.isObject()) return patch.deepCopy();
    ObjectNode out =
        target != null && target.isObject()
            ? ((ObjectNode) target).deepCopy()
            : JsonNodeFactory.instance.objectNode();
    mergeInto(out, patch);
    return out;
  }

  /** Merges the object {@code patch} into {@code out}, which this method owns and changes. */
  private static void mergeInto(ObjectNode out, JsonNode patch) {
    for (Map.Entry<String, JsonNode> e : patch.properties()) {
      JsonNode value = e.getValue();
      if (value.isNull()) {
        out.remove(e.getKey());
      } else if (value.isObject()) {
        JsonNode current = out.get(e.getKey());
        ObjectNode child =
            current != null && current.isObject()
                ? (ObjectNode) current
                : JsonNodeFactory.instance.objectNode();
        mergeInto(child, value);
        out.set(e.getKey(), child);
      } else {
        out.set(e.getKey(), value.deepCopy());
      }
    }
  }
}
