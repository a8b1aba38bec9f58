package dev.latte.encoders;

/** Encoding failed at run time (the model loaded, but an inference did not succeed). */
public class EncoderException extends RuntimeException {
  public EncoderException(String message, Throwable cause) {
    super(message, cause);
  }
}
