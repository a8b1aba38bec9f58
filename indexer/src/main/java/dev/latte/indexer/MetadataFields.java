package dev.latte.indexer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.document.DoublePoint;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexableField;

/**
 * The Lucene fields of a document's JSON metadata (see {@link IndexLayout}): the JSON itself,
 * stored, and every leaf value indexed under its dotted path for filtering.
 *
 * <ul>
 *   <li>string → {@code StringField("m.<path>")}, the exact value as one keyword (strings longer
 *       than Lucene's term limit of {@value IndexWriter#MAX_TERM_LENGTH} UTF-8 bytes are not
 *       indexed as keywords; they still count for {@code exists});
 *   <li>number (integral or not) → {@code DoublePoint("m.<path>")}: exact for integers up to
 *       2<sup>53</sup> in magnitude and for every double; larger integers and high-precision
 *       decimals are rounded to the nearest double (so are the bounds of a filter, consistently);
 *       -0.0 is indexed as 0.0;
 *   <li>boolean → {@code StringField("m.<path>")} with "true" or "false";
 *   <li>array → each element under the same path (multi-valued); objects inside arrays are
 *       flattened with the same dotted paths;
 *   <li>null, empty arrays and empty objects index nothing;
 *   <li>{@code StringField("m._exists", path)} for every path (leaf and parent object) under which
 *       at least one value was indexed.
 * </ul>
 *
 * A top-level key {@code _exists} would collide with the exists field: it is stored but not
 * indexed.
 */
public final class MetadataFields {
  private MetadataFields() {}

  /** Fields for {@code metadata} (may be null: no fields). */
  public static List<IndexableField> of(ObjectNode metadata) {
    List<IndexableField> out = new ArrayList<>();
    if (metadata == null || metadata.isEmpty()) return out;
    out.add(new StoredField(IndexLayout.METADATA, metadata.toString()));
    Set<String> present = new LinkedHashSet<>();
    for (Map.Entry<String, JsonNode> e : metadata.properties()) {
      if (e.getKey().equals(IndexLayout.METADATA_EXISTS_PATH)) continue;
      index(e.getKey(), e.getValue(), out, present);
    }
    for (String path : present)
      out.add(new StringField(IndexLayout.METADATA_EXISTS, path, Field.Store.NO));
    return out;
  }

  /** The field a metadata path is indexed under. */
  public static String field(String path) {
    return IndexLayout.METADATA_PREFIX + path;
  }

  /** The indexed form of a number: its double value, with -0.0 folded into 0.0. */
  public static double number(JsonNode n) {
    double v = n.doubleValue();
    return v == 0 ? 0.0 : v;
  }

  /**
   * Indexes {@code node} (a field's value or an array element) under {@code path} and records the
   * path as present if anything was indexed under it; returns whether anything was.
   */
  private static boolean index(
      String path, JsonNode node, List<IndexableField> out, Set<String> present) {
    boolean any = false;
    if (node.isObject()) {
      for (Map.Entry<String, JsonNode> e : node.properties())
        any |= index(path + "." + e.getKey(), e.getValue(), out, present);
    } else if (node.isArray()) {
      for (JsonNode element : node) any |= index(path, element, out, present);
    } else if (node.isTextual()) {
      String s = node.textValue();
      if (s.getBytes(StandardCharsets.UTF_8).length <= IndexWriter.MAX_TERM_LENGTH)
        out.add(new StringField(field(path), s, Field.Store.NO));
      any = true;
    } else if (node.isNumber()) {
      out.add(new DoublePoint(field(path), number(node)));
      any = true;
    } else if (node.isBoolean()) {
      out.add(new StringField(field(path), node.booleanValue() ? "true" : "false", Field.Store.NO));
      any = true;
    } // null (and binary or POJO nodes, which JSON text never yields) index nothing
    if (any) present.add(path);
    return any;
  }
}
