package dev.latte.encoders;

import dev.latte.core.TokenMatrix;

/**
 * A token matrix with, per kept row, the token string and its character span in the input text
 * (start inclusive, end exclusive; -1 for tokens inserted by the encoder such as markers, masks and
 * special tokens). Spans let later stages explain a match.
 */
public record EncodedText(TokenMatrix matrix, String[] tokens, int[] starts, int[] ends) {
  public EncodedText {
    if (tokens.length != matrix.rows()
        || starts.length != matrix.rows()
        || ends.length != matrix.rows()) {
      throw new IllegalArgumentException(
          "token annotations do not match " + matrix.rows() + " rows");
    }
  }

  public int length() {
    return matrix.rows();
  }
}
