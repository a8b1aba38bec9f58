package dev.latte.opensearch;

import dev.latte.core.TokenMatrix;
import java.io.IOException;
import java.util.Arrays;
import org.opensearch.core.xcontent.XContentParser;
import org.opensearch.core.xcontent.XContentParser.Token;

/**
 * Reads a token matrix {@code [[float, ...], ...]} from a request, checking as it goes what a
 * stored matrix must satisfy: every row has {@code dims} finite numbers, there is at least one row
 * and at most {@code maxRows}. With {@code dims} 0 the first row sets the width (queries: the
 * field's dims are known only on the shard). Each failure names the field, the row and what to send
 * instead; OpenSearch answers it with a 400.
 */
final class TokenMatrixParser {
  private TokenMatrixParser() {}

  /** Parses the array the parser is positioned on (its START_ARRAY is the current token). */
  static TokenMatrix parse(XContentParser parser, String field, int dims, int maxRows)
      throws IOException {
    if (parser.currentToken() != Token.START_ARRAY) {
      throw new IllegalArgumentException(
          "["
              + field
              + "] must be an array of token vectors [[float, ...], ...], got "
              + parser.currentToken());
    }
    float[] data = new float[0];
    int rows = 0;
    int width = dims;
    for (Token t = parser.nextToken(); t != Token.END_ARRAY; t = parser.nextToken()) {
      if (t != Token.START_ARRAY) {
        throw new IllegalArgumentException(
            "["
                + field
                + "] row "
                + rows
                + " is "
                + t
                + ", not an array of numbers: a token matrix is [[float, ...], ...], one inner"
                + " array per token");
      }
      if (rows == maxRows) {
        throw new IllegalArgumentException(
            "[" + field + "] has more than " + maxRows + " token vectors (the field's max_tokens)");
      }
      int col = 0;
      for (Token v = parser.nextToken(); v != Token.END_ARRAY; v = parser.nextToken()) {
        if (v != Token.VALUE_NUMBER) {
          throw new IllegalArgumentException(
              "[" + field + "] row " + rows + " column " + col + " is " + v + ", not a number");
        }
        if (width > 0 && col == width) {
          throw new IllegalArgumentException(
              "["
                  + field
                  + "] row "
                  + rows
                  + " has more than "
                  + width
                  + " values; "
                  + (dims > 0 ? "the field has dims " : "row 0 has ")
                  + width);
        }
        if (col > LatteTokensFieldMapper.MAX_DIMS) {
          throw new IllegalArgumentException(
              "[" + field + "] row " + rows + " has more than " + LatteTokensFieldMapper.MAX_DIMS);
        }
        float x = parser.floatValue();
        if (!Float.isFinite(x)) {
          throw new IllegalArgumentException(
              "["
                  + field
                  + "] row "
                  + rows
                  + " column "
                  + col
                  + " is "
                  + parser.text()
                  + ", which is not a finite float32");
        }
        int at = rows * Math.max(width, 1) + col;
        if (at >= data.length) data = Arrays.copyOf(data, Math.max(16, data.length * 2));
        data[at] = x;
        col++;
      }
      if (width <= 0) {
        if (col == 0) {
          throw new IllegalArgumentException("[" + field + "] row 0 is empty");
        }
        width = col;
      } else if (col != width) {
        throw new IllegalArgumentException(
            "["
                + field
                + "] row "
                + rows
                + " has "
                + col
                + " values; "
                + (dims > 0 ? "the field has dims " : "row 0 has ")
                + width);
      }
      rows++;
    }
    if (rows == 0) {
      throw new IllegalArgumentException(
          "[" + field + "] has no token vectors: send at least one row, or leave the field out");
    }
    return new TokenMatrix(Arrays.copyOf(data, rows * width), rows, width);
  }
}
