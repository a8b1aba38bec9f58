package dev.latte.encoders;

import dev.latte.core.TokenMatrix;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A model-free encoder: each whitespace-separated word (at most {@value #MAX_WORDS}) becomes a unit
 * vector seeded by its hash. For server benchmarks and tests that send many requests (the fuzzer):
 * no model files, so the server's own work (HTTP, scoring) is what runs, and ONNX stays out of
 * benchmarks.jar. Deterministic: the same word gives the same vector in every process.
 */
public final class WordHashEncoder implements TokenEncoder {
  public static final int MAX_WORDS = 32;
  private final int dim;
  private final ModelConfig config;

  /** An encoder whose model is called {@code name}, with {@code dim} components per token. */
  public WordHashEncoder(String name, int dim) {
    if (dim < 1) throw new IllegalArgumentException("dimension must be at least 1, got " + dim);
    this.dim = dim;
    this.config =
        new ModelConfig(
            name, dim, null, null, null, null, null, null, null, null, null, null, null, null, null,
            null, null);
  }

  @Override
  public ModelConfig config() {
    return config;
  }

  @Override
  public String fingerprint() {
    return config.name() + "-" + dim + "-1";
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

  private EncodedText encode(String text) {
    List<int[]> spans = new ArrayList<>();
    for (int i = 0; i < text.length() && spans.size() < MAX_WORDS; ) {
      while (i < text.length() && Character.isWhitespace(text.charAt(i))) i++;
      int start = i;
      while (i < text.length() && !Character.isWhitespace(text.charAt(i))) i++;
      if (i > start) spans.add(new int[] {start, i});
    }
    if (spans.isEmpty()) spans.add(new int[] {0, 0});
    int rows = spans.size();
    float[] data = new float[rows * dim];
    String[] tokens = new String[rows];
    int[] starts = new int[rows];
    int[] ends = new int[rows];
    for (int r = 0; r < rows; r++) {
      tokens[r] = text.substring(spans.get(r)[0], spans.get(r)[1]);
      starts[r] = spans.get(r)[0];
      ends[r] = spans.get(r)[1];
      SplittableRandom rnd = new SplittableRandom(tokens[r].hashCode());
      double norm = 0;
      for (int c = 0; c < dim; c++) {
        float x = (float) rnd.nextGaussian();
        data[r * dim + c] = x;
        norm += x * x;
      }
      float inv = (float) (1 / Math.sqrt(Math.max(norm, 1e-12)));
      for (int c = 0; c < dim; c++) data[r * dim + c] *= inv;
    }
    return new EncodedText(new TokenMatrix(data, rows, dim), tokens, starts, ends);
  }

  @Override
  public void close() {}
}
