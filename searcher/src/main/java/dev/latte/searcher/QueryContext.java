package dev.latte.searcher;

import dev.latte.core.kernel.MaxSimKernel;
import dev.latte.core.kernel.PreparedQuery;
import dev.latte.encoders.EncodedText;
import dev.latte.encoders.TokenEncoder;

/**
 * One query as the methods see it: its text, and its token matrix encoded at most once (lazily, so
 * a BM25-only search never runs the model) with the encoding time recorded.
 */
public final class QueryContext {
  private final String text;
  private final TokenEncoder encoder;
  private final MaxSimKernel kernel;
  private EncodedText encoded;
  private PreparedQuery prepared;
  private dev.latte.core.kernel.PreparedBitQuery preparedBits;
  private long encodeNanos;

  public QueryContext(String text, TokenEncoder encoder, MaxSimKernel kernel) {
    this.text = text;
    this.encoder = encoder;
    this.kernel = kernel;
  }

  public String text() {
    return text;
  }

  public synchronized EncodedText encoded() {
    if (encoded == null) {
      if (encoder == null) throw new IllegalStateException("no encoder to encode the query with");
      long t0 = System.nanoTime();
      encoded = encoder.encodeQuery(text);
      encodeNanos = System.nanoTime() - t0;
    }
    return encoded;
  }

  public synchronized PreparedQuery prepared() {
    if (prepared == null) prepared = kernel.prepare(encoded().matrix());
    return prepared;
  }

  /** The query's sign bits, for hamming scoring against binary documents. */
  public synchronized dev.latte.core.kernel.PreparedBitQuery preparedBits() {
    if (preparedBits == null) preparedBits = kernel.prepareBits(encoded().matrix());
    return preparedBits;
  }

  public MaxSimKernel kernel() {
    return kernel;
  }

  /** Time spent encoding this query; 0 if it was never encoded. */
  public synchronized double encodeMillis() {
    return encodeNanos / 1e6;
  }
}
