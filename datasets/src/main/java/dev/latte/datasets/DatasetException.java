package dev.latte.datasets;

/** A collection file that is missing or malformed; the message names the file and line. */
public class DatasetException extends RuntimeException {
  public DatasetException(String message) {
    super(message);
  }

  public DatasetException(String message, Throwable cause) {
    super(message, cause);
  }
}
