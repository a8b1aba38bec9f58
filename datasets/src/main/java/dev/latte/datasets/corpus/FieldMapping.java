package dev.latte.datasets.corpus;

import java.util.List;

/**
 * Which fields of a JSON object or CSV/TSV row make the document.
 *
 * @param idField the id field; null: {@code _id}, else {@code id}
 * @param titleField the title field (absent: no title); null: {@code title}
 * @param textFields the text fields, joined with a blank line between non-empty values; null or
 *     empty: {@code text}
 * @param metadataFields the fields kept as filterable metadata; null: JSON's {@code metadata}
 *     object as is (and, for CSV/TSV with a header, every remaining column); {@code ["*"]}: every
 *     field not used above
 * @param vectorsField the field holding precomputed token vectors ({@code [[float]]}), read when
 *     present
 * @param tokensField the field holding each vector row's token string (optional)
 * @param idsFile for {@code .npy} input: the document ids, one per line (null: {@code ids.txt}
 *     beside the matrix)
 * @param doclensFile for a 2-d {@code .npy} of all token rows: each document's row count, a JSON
 *     array or one per line (null: {@code doclens.json} beside the matrix, if there)
 */
public record FieldMapping(
    String idField,
    String titleField,
    List<String> textFields,
    List<String> metadataFields,
    String vectorsField,
    String tokensField,
    java.nio.file.Path idsFile,
    java.nio.file.Path doclensFile) {
  public static final String ALL_REMAINING = "*";
  public static final FieldMapping DEFAULT =
      new FieldMapping(null, null, null, null, null, null, null, null);

  public FieldMapping {
    textFields =
        textFields == null || textFields.isEmpty() ? List.of("text") : List.copyOf(textFields);
    titleField = titleField == null ? "title" : titleField;
    vectorsField = vectorsField == null ? "vectors" : vectorsField;
    tokensField = tokensField == null ? "tokens" : tokensField;
    metadataFields = metadataFields == null ? null : List.copyOf(metadataFields);
  }

  public boolean allRemaining() {
    return metadataFields != null && metadataFields.equals(List.of(ALL_REMAINING));
  }

  /** True if {@code field} is the id, title, text, vectors or tokens field. */
  public boolean isContentField(String field) {
    return field.equals(titleField)
        || textFields.contains(field)
        || field.equals(vectorsField)
        || field.equals(tokensField)
        || (idField == null ? field.equals("_id") || field.equals("id") : field.equals(idField));
  }

  /** A short label for job settings (a re-run with another mapping is another job). */
  public String label() {
    return "id="
        + (idField == null ? "_id|id" : idField)
        + ";title="
        + titleField
        + ";text="
        + String.join("+", textFields)
        + ";metadata="
        + (metadataFields == null ? "default" : String.join(",", metadataFields))
        + ";vectors="
        + vectorsField
        + ";tokens="
        + tokensField
        + (idsFile == null ? "" : ";ids=" + idsFile)
        + (doclensFile == null ? "" : ";doclens=" + doclensFile);
  }
}
