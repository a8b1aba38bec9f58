package dev.latte.web;

import dev.latte.core.TokenMatrix;
import dev.latte.encoders.EncodedText;
import dev.latte.encoders.ModelConfig;
import dev.latte.encoders.TokenEncoder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A fast, deterministic test encoder: each whitespace-separated word (at most 32 per text) becomes
 * a unit vector of {@value #DIM} components seeded by the word's hash. No model files, so tests
 * that drive the server with many requests (the fuzzer) spend their time in the server, not in
 * ONNX.
 */
final class HashingEncoder implements TokenEncoder {
  static final int DIM = 8;
  private static final ModelConfig CONFIG =
      new ModelConfig(
          "hashing-test",
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
    return "hashing-test-1";
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
    List<String> words = new ArrayList<>();
    List<int[]> spans = new ArrayList<>();
    int i = 0;
    while (i < text.length() && words.size() < 32) {
      while (i < text.length() && Character.isWhitespace(text.charAt(i))) i++;
      int start = i;
      while (i < text.length() && !Character.isWhitespace(text.charAt(i))) i++;
      if (i > start) {
        words.add(text.substring(start, i));
        spans.add(new int[] {start, i});
      }
    }
    if (words.isEmpty()) {
      words.add("");
      spans.add(new int[] {0, 0});
    }
    int rows = words.size();
    float[] data = new float[rows * DIM];
    String[] tokens = new String[rows];
    int[] starts = new int[rows];
    int[] ends = new int[rows];
    for (int r = 0; r < rows; r++) {
      SplittableRandom rnd = new SplittableRandom(words.get(r).hashCode());
      double norm = 0;
      for (int c = 0; c < DIM; c++) {
        float x = (float) rnd.nextGaussian();
        data[r * DIM + c] = x;
        norm += x * x;
      }
      float inv = (float) (1 / Math.sqrt(Math.max(norm, 1e-12)));
      for (int c = 0; c < DIM; c++) data[r * DIM + c] *= inv;
      tokens[r] = words.get(r);
      starts[r] = spans.get(r)[0];
      ends[r] = spans.get(r)[1];
    }
    return new EncodedText(new TokenMatrix(data, rows, DIM), tokens, starts, ends);
  }

  @Override
  public void close() {}
}
