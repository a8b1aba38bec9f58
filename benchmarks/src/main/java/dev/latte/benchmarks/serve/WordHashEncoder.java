package dev.latte.benchmarks.serve;

import dev.latte.core.TokenMatrix;
import dev.latte.encoders.EncodedText;
import dev.latte.encoders.ModelConfig;
import dev.latte.encoders.TokenEncoder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A model-free encoder for server benchmarks: each whitespace-separated word (at most {@value
 * #MAX_WORDS}) becomes a unit vector seeded by its hash. It keeps ONNX and the bundled model out of
 * benchmarks.jar, and makes the server's own work (HTTP, scoring) what is measured.
 */
final class WordHashEncoder implements TokenEncoder {
  static final int DIM = 64;
  static final int MAX_WORDS = 32;
  private static final ModelConfig CONFIG =
      new ModelConfig(
          "word-hash",
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
    return CONFIG;
  }

  @Override
  public String fingerprint() {
    return "word-hash-1";
  }

  @Override
  public EncodedText encodeQuery(String query) {
    return encode(query);
  }

  @Override
  public List<EncodedText> encodeDocuments(List<String> documents) {
    List<EncodedText> out = new ArrayList<>(documents.size());
    for (String d : documents) out.add(encode(d));
    return out;
  }

  private static EncodedText encode(String text) {
    List<int[]> spans = new ArrayList<>();
    for (int i = 0; i < text.length() && spans.size() < MAX_WORDS; ) {
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
    for (int r = 0; r < rows; r++) {
      tokens[r] = text.substring(spans.get(r)[0], spans.get(r)[1]);
      starts[r] = spans.get(r)[0];
      ends[r] = spans.get(r)[1];
      SplittableRandom rnd = new SplittableRandom(tokens[r].hashCode());
      double norm = 0;
      for (int c = 0; c < DIM; c++) {
        float x = (float) rnd.nextGaussian();
        data[r * DIM + c] = x;
        norm += x * x;
      }
      float inv = (float) (1 / Math.sqrt(Math.max(norm, 1e-12)));
      for (int c = 0; c < DIM; c++) data[r * DIM + c] *= inv;
    }
    return new EncodedText(new TokenMatrix(data, rows, DIM), tokens, starts, ends);
  }

  @Override
  public void close() {}
}
