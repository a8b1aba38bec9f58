package dev.latte.datasets;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One corpus entry as BEIR defines it: {@code _id}, optional {@code title}, {@code text}, and
 * optional {@code metadata}, a JSON object of filterable attributes (null when the document has
 * none or an empty one). The metadata node is held, not copied: do not change it after
 * construction.
 */
public record Document(String id, String title, String text, ObjectNode metadata) {
  public Document {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("document id must not be blank");
    }
    title = title == null ? "" : title;
    text = text == null ? "" : text;
    if (metadata != null && metadata.isEmpty()) metadata = null;
  }

  /** A document without metadata. */
  public Document(String id, String title, String text) {
    this(id, title, text, null);
  }

  /** Title and text as one passage, the way BEIR models and Anserini's "flat" BM25 see them. */
  public String contents() {
    return title.isEmpty() ? text : title + " " + text;
  }
}
