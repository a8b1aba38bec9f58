package dev.latte.encoders;

/** A model folder that cannot be used; the message says what is wrong and what to do. */
public class ModelLoadException extends RuntimeException {
  public ModelLoadException(String message) {
    super(message);
  }

  public ModelLoadException(String message, Throwable cause) {
    super(message, cause);
  }
}
