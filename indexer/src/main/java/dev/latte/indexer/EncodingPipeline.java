package dev.latte.indexer;

import dev.latte.datasets.Document;
import dev.latte.encoders.EncodedText;
import dev.latte.encoders.TokenEncoder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Encodes a document stream in batches on several threads. Documents are read in windows; each
 * window is sorted by length before it is cut into batches, so a batch pads to similar lengths
 * (padding is wasted transformer work). Memory is bounded by one window.
 */
public final class EncodingPipeline {
  /** Receives each encoded document; called concurrently from the encoder threads. */
  public interface Sink {
    void accept(Document document, EncodedText encoded) throws Exception;
  }

  private final TokenEncoder encoder;
  private final int threads;
  private final int batchSize;

  public EncodingPipeline(TokenEncoder encoder, int threads, int batchSize) {
    if (threads < 1 || batchSize < 1)
      throw new IllegalArgumentException("threads and batch size must be >= 1");
    this.encoder = encoder;
    this.threads = threads;
    this.batchSize = batchSize;
  }

  /** Encodes every document and hands it to the sink; returns the number of documents. */
  public long run(Stream<Document> documents, Sink sink, IndexProgress progress) throws Exception {
    AtomicInteger threadNo = new AtomicInteger();
    ExecutorService pool =
        Executors.newFixedThreadPool(
            threads,
            r -> {
              Thread t = new Thread(r, "latte-encode-" + threadNo.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    long count = 0;
    try {
      int windowSize = batchSize * threads * 8;
      List<Document> window = new ArrayList<>(windowSize);
      Iterator<Document> it = documents.iterator();
      while (it.hasNext()) {
        window.add(it.next());
        if (window.size() == windowSize) {
          count += process(pool, window, sink, progress);
          window = new ArrayList<>(windowSize);
        }
      }
      count += process(pool, window, sink, progress);
    } finally {
      pool.shutdownNow();
    }
    return count;
  }

  private int process(
      ExecutorService pool, List<Document> window, Sink sink, IndexProgress progress)
      throws Exception {
    window.sort(Comparator.comparingInt(d -> d.contents().length()));
    List<Future<?>> futures = new ArrayList<>();
    for (int from = 0; from < window.size(); from += batchSize) {
      List<Document> batch = window.subList(from, Math.min(window.size(), from + batchSize));
      futures.add(
          pool.submit(
              () -> {
                List<String> texts = batch.stream().map(Document::contents).toList();
                List<EncodedText> encoded = encoder.encodeDocuments(texts);
                for (int i = 0; i < batch.size(); i++) sink.accept(batch.get(i), encoded.get(i));
                progress.advance(batch.size());
                return null;
              }));
    }
    for (Future<?> f : futures) {
      try {
        f.get();
      } catch (ExecutionException e) {
        for (Future<?> other : futures) other.cancel(true);
        if (e.getCause() instanceof Exception ex) throw ex;
        throw e;
      }
    }
    return window.size();
  }
}
