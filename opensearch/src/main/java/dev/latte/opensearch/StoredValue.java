package dev.latte.opensearch;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.core.codec.TokenCodec;

/**
 * A token matrix sent in Latte's stored layout ({@link StoredTokenMatrix}, base64 in JSON): its
 * bytes, their codec and the decoded floats, after the checks a JSON matrix gets (header, the
 * field's dims, at least one row, finite values).
 */
record StoredValue(byte[] bytes, TokenCodec codec, TokenMatrix matrix) {

  static StoredValue parse(byte[] bytes, String field, int dims) {
    StoredTokenMatrix.Header h;
    TokenMatrix m;
    try {
      h = StoredTokenMatrix.header(bytes, 0, bytes.length, dims);
      if (h.codec().isResidual()) {
        throw new IllegalArgumentException(
            "["
                + field
                + "] is in the "
                + h.codec().cliName()
                + " codec, which needs its index's codebook: send float32 (or float16, int8, bit)");
      }
      m = StoredTokenMatrix.decode(bytes, 0, bytes.length, dims);
    } catch (StoredTokenMatrix.CorruptTokenMatrixException e) {
      throw new IllegalArgumentException(
          "["
              + field
              + "] is a string, so it must be the base64 of a token matrix in Latte's stored layout"
              + " (StoredTokenMatrix), but "
              + e.getMessage());
    }
    if (m.rows() == 0) {
      throw new IllegalArgumentException(
          "[" + field + "] has no token vectors: send at least one row, or leave the field out");
    }
    float[] data = m.data();
    for (int i = 0; i < data.length; i++) {
      if (!Float.isFinite(data[i])) {
        throw new IllegalArgumentException(
            "["
                + field
                + "] row "
                + i / dims
                + " column "
                + i % dims
                + " is "
                + data[i]
                + ", which is not a finite float32");
      }
    }
    return new StoredValue(bytes, h.codec(), m);
  }
}
