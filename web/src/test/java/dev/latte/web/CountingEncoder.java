package dev.latte.web;

import dev.latte.encoders.EncodedText;
import dev.latte.encoders.ModelConfig;
import dev.latte.encoders.TokenEncoder;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test encoder over a real one (same model, same fingerprint) that counts its calls, can slow
 * document encoding down by a fixed delay per batch, and signals when document encoding starts: to
 * prove a write encoded nothing, or to catch a write while it is in flight.
 */
final class CountingEncoder implements TokenEncoder {
  private final TokenEncoder delegate;
  final AtomicInteger queries = new AtomicInteger();
  final AtomicInteger documents = new AtomicInteger();
  volatile long delayMillis;
  volatile CountDownLatch documentsStarted = new CountDownLatch(1);

  CountingEncoder(TokenEncoder delegate) {
    this.delegate = delegate;
  }

  @Override
  public ModelConfig config() {
    return delegate.config();
  }

  @Override
  public String fingerprint() {
    return delegate.fingerprint();
  }

  @Override
  public EncodedText encodeQuery(String query) {
    queries.incrementAndGet();
    return delegate.encodeQuery(query);
  }

  @Override
  public List<EncodedText> encodeDocuments(List<String> texts) {
    documentsStarted.countDown();
    long delay = delayMillis;
    if (delay > 0) {
      try {
        Thread.sleep(delay);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
    List<EncodedText> out = delegate.encodeDocuments(texts);
    documents.addAndGet(texts.size());
    return out;
  }

  /** Leaves the real encoder open: the test that made it closes it. */
  @Override
  public void close() {}
}
