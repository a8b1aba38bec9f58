package dev.latte.searcher;

import java.io.IOException;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.util.BytesRef;

/**
 * Gathers the int8 token codes carried by a document's positions in an inverted list (one code per
 * position: float32 scale, then {@code dim} codes) into the {@link
 * dev.latte.core.codec.TokenCodec#INT8} payload layout of an {@code n}-token matrix — scales first,
 * then codes — so one kernel call scores them all. Shared by the XTR and COIL lists.
 */
public final class PayloadCodes {
  private PayloadCodes() {}

  /**
   * Reads the current document's {@code pe.freq()} positions; returns {@code buf} or a larger one.
   */
  public static byte[] gather(PostingsEnum pe, int n, int dim, byte[] buf) throws IOException {
    if (buf.length < n * (dim + 4)) buf = new byte[n * (dim + 4)];
    int codes = 4 * n;
    for (int j = 0; j < n; j++) {
      pe.nextPosition();
      BytesRef pl = pe.getPayload();
      System.arraycopy(pl.bytes, pl.offset, buf, 4 * j, 4);
      System.arraycopy(pl.bytes, pl.offset + 4, buf, codes + j * dim, dim);
    }
    return buf;
  }
}
