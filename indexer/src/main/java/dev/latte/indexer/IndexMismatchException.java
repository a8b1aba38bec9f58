package dev.latte.indexer;

/** An index that cannot be used as asked: other model, other layout, or not a Latte index. */
public class IndexMismatchException extends RuntimeException {
  public IndexMismatchException(String message) {
    super(message);
  }
}
