package dev.latte.datasets;

/** One corpus entry as BEIR defines it: {@code _id}, optional {@code title}, {@code text}. */
public record Document(String id, String title, String text) {
  public Document {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("document id must not be blank");
    }
    title = title == null ? "" : title;
    text = text == null ? "" : text;
  }

  /** Title and text as one passage, the way BEIR models and Anserini's "flat" BM25 see them. */
  public String contents() {
    return title.isEmpty() ? text : title + " " + text;
  }
}
