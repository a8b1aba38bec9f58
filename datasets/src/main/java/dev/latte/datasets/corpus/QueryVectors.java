package dev.latte.datasets.corpus;

import com.fasterxml.jackson.databind.JsonNode;
import dev.latte.core.TokenMatrix;
import dev.latte.datasets.DatasetException;
import dev.latte.datasets.NpyMatrix;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A query's token vectors from a file, for searching an index of precomputed vectors: JSON {@code
 * [[float]]}, or {@code {"vectors": [[float]], "tokens": ["..."]}} with each row's token string
 * (which COIL and SLIM key on), or a 2-d float32 {@code .npy}. Rows of one width, finite values.
 *
 * @param tokens each row's token string, or null
 */
public record QueryVectors(TokenMatrix vectors, String[] tokens) {

  public static QueryVectors read(Path file) {
    try {
      if (file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".npy")) {
        TokenMatrix m = NpyMatrix.read(file);
        for (float f : m.data())
          if (!Float.isFinite(f)) throw new DatasetException(file + ": a component is " + f);
        if (m.rows() == 0) throw new DatasetException(file + " holds no query vectors");
        return new QueryVectors(m, null);
      }
      JsonNode root = RecordFields.MAPPER.readTree(file.toFile());
      JsonNode v = root.isObject() ? root.get("vectors") : root;
      if (v == null)
        throw new DatasetException(file + ": expected [[float]] or {\"vectors\": [[float]]}");
      float[][] rows = RecordFields.vectors(v, "vectors");
      String[] tokens = null;
      JsonNode t = root.isObject() ? root.get("tokens") : null;
      if (t != null && !t.isNull()) {
        if (!t.isArray() || t.size() != rows.length)
          throw new DatasetException(
              file + ": \"tokens\" must hold one string per vector row (" + rows.length + ")");
        tokens = new String[rows.length];
        for (int i = 0; i < rows.length; i++) tokens[i] = t.get(i).asText();
      }
      return new QueryVectors(TokenMatrix.of(rows), tokens);
    } catch (IllegalArgumentException e) {
      throw new DatasetException(file + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new DatasetException("cannot read query vectors " + file + ": " + e.getMessage(), e);
    }
  }
}
