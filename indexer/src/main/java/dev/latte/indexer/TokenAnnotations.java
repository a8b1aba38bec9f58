package dev.latte.indexer;

import dev.latte.encoders.EncodedText;
import java.nio.charset.StandardCharsets;
import org.apache.lucene.store.ByteArrayDataInput;
import org.apache.lucene.store.ByteArrayDataOutput;
import org.apache.lucene.util.BytesRef;

/**
 * Per row of an unpooled token matrix: the token string (the tokenizer's word piece) and its
 * character span in {@code title + " " + text} (start inclusive, end exclusive; -1/-1 for tokens
 * the encoder inserted). Stored in {@link IndexLayout#TOKEN_INFO}; COIL and SLIM key their lists by
 * the token string, and explanations show the spans.
 *
 * <p>Byte layout: vInt rows, then per row vInt(start + 1), vInt(end - start, 0 if no span),
 * vInt(UTF-8 length), UTF-8 bytes.
 */
public record TokenAnnotations(String[] tokens, int[] starts, int[] ends) {
  public TokenAnnotations {
    if (tokens.length != starts.length || tokens.length != ends.length)
      throw new IllegalArgumentException("tokens, starts and ends differ in length");
  }

  public static TokenAnnotations of(EncodedText e) {
    return new TokenAnnotations(e.tokens(), e.starts(), e.ends());
  }

  public int rows() {
    return tokens.length;
  }

  public byte[] encode() {
    int bound = 5;
    byte[][] utf8 = new byte[tokens.length][];
    for (int i = 0; i < tokens.length; i++) {
      utf8[i] = tokens[i].getBytes(StandardCharsets.UTF_8);
      bound += 15 + utf8[i].length;
    }
    byte[] buf = new byte[bound];
    ByteArrayDataOutput out = new ByteArrayDataOutput(buf);
    try {
      out.writeVInt(tokens.length);
      for (int i = 0; i < tokens.length; i++) {
        boolean span = starts[i] >= 0 && ends[i] >= starts[i];
        out.writeVInt(span ? starts[i] + 1 : 0);
        out.writeVInt(span ? ends[i] - starts[i] : 0);
        out.writeVInt(utf8[i].length);
        out.writeBytes(utf8[i], 0, utf8[i].length);
      }
    } catch (java.io.IOException e) {
      throw new AssertionError(e); // in-memory
    }
    return java.util.Arrays.copyOf(buf, out.getPosition());
  }

  public static TokenAnnotations decode(BytesRef value) {
    ByteArrayDataInput in = new ByteArrayDataInput(value.bytes, value.offset, value.length);
    int rows = in.readVInt();
    String[] tokens = new String[rows];
    int[] starts = new int[rows];
    int[] ends = new int[rows];
    for (int i = 0; i < rows; i++) {
      int start = in.readVInt() - 1;
      int len = in.readVInt();
      starts[i] = start;
      ends[i] = start < 0 ? -1 : start + len;
      int n = in.readVInt();
      tokens[i] =
          new String(value.bytes, value.offset + in.getPosition(), n, StandardCharsets.UTF_8);
      in.skipBytes(n);
    }
    return new TokenAnnotations(tokens, starts, ends);
  }
}
