package dev.latte.spark;

import dev.latte.core.TokenMatrix;
import dev.latte.encoders.EncodedText;
import dev.latte.encoders.ModelConfig;
import dev.latte.encoders.TokenEncoder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A model-free test encoder whose token vectors depend on the word and the word before it, so that
 * scores rarely tie (ties between documents would make "same top 10" depend on document order,
 * which one index and its shards do not share). Each word is a token; the token string is the word,
 * for COIL and SLIM.
 */
public final class ContextHashEncoder implements TokenEncoder {
  static final int DIM = 32;
  private final ModelConfig config =
      new ModelConfig(
          "context-hash",
          DIM,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null);

  @Override
  public ModelConfig config() {
    return config;
  }

  @Override
  public String fingerprint() {
    return "context-hash-" + DIM + "-1";
  }

  @Override
  public EncodedText encodeQuery(String query) {
    return encode(query);
  }

  @Override
  public List<EncodedText> encodeDocuments(List<String> documents) {
    List<EncodedText> out = new ArrayList<>();
    for (String d : documents) out.add(encode(d));
    return out;
  }

  private static EncodedText encode(String text) {
    List<int[]> spans = new ArrayList<>();
    for (int i = 0; i < text.length() && spans.size() < 64; ) {
      while (i < text.length() && Character.isWhitespace(text.charAt(i))) i++;
      int start = i;
      while (i < text.length() && !Character.isWhitespace(text.charAt(i))) i++;
      if (i > start) spans.add(new int[] {start, i});
    }
    if (spans.isEmpty()) spans.add(new int[] {0, 0});
    int rows = spans.size();
    float[] data = new float[rows * DIM];
    String[] tokens = new String[rows];
    int[] starts = new int[rows];
    int[] ends = new int[rows];
    String prev = "";
    for (int r = 0; r < rows; r++) {
      tokens[r] = text.substring(spans.get(r)[0], spans.get(r)[1]);
      starts[r] = spans.get(r)[0];
      ends[r] = spans.get(r)[1];
      SplittableRandom word = new SplittableRandom(tokens[r].hashCode());
      SplittableRandom context = new SplittableRandom((prev + "|" + tokens[r]).hashCode());
      double norm = 0;
      for (int c = 0; c < DIM; c++) {
        float x = (float) (word.nextGaussian() + 0.4 * context.nextGaussian());
        data[r * DIM + c] = x;
        norm += x * x;
      }
      float inv = (float) (1 / Math.sqrt(Math.max(norm, 1e-12)));
      for (int c = 0; c < DIM; c++) data[r * DIM + c] *= inv;
      prev = tokens[r];
    }
    return new EncodedText(new TokenMatrix(data, rows, DIM), tokens, starts, ends);
  }

  @Override
  public void close() {}
}
