package dev.latte.indexer;

import dev.latte.core.TokenMatrix;
import dev.latte.datasets.Document;
import dev.latte.encoders.EncodedPassages;
import dev.latte.encoders.EncodedText;
import dev.latte.encoders.PassagePolicy;
import dev.latte.encoders.TokenEncoder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * Encodes documents in batches on several threads. Documents come in windows; each window is sorted
 * by length before it is cut into batches, so a batch pads to similar lengths (padding is wasted
 * transformer work). Windows do not wait for each other: the next window's batches are queued while
 * the last batches of the previous one finish, so no thread idles at window ends; only {@link
 * Session#drain()} (a job's commit point) waits for everything. At most two windows are in flight,
 * which bounds memory: two windows of documents plus one batch of matrices per thread.
 *
 * <p>Documents with precomputed vectors ({@link Item#vectors}) skip the encoder and go to the sink
 * as they are, on the same threads.
 */
public final class EncodingPipeline {
  /** Receives each encoded document; called concurrently from the encoder threads. */
  public interface Sink {
    void accept(Document document, EncodedPassages encoded) throws Exception;
  }

  /**
   * Receives each item with its encoding (null for precomputed vectors); called concurrently from
   * the encoder threads. A document not cut into passages is one passage.
   */
  public interface ItemSink {
    void accept(Item item, EncodedPassages encoded) throws Exception;
  }

  /**
   * One document to index, with its precomputed token vectors (and row tokens, may be null) or null
   * vectors when the model encodes it; {@code position} is its place in the job's input (0, 1, 2...
   * over the documents admitted in this run; -1 when unknown), which lets the writer pick a
   * training sample that does not depend on the order the encoder threads finish in.
   */
  public record Item(Document document, TokenMatrix vectors, String[] tokens, long position) {
    public Item(Document document, TokenMatrix vectors, String[] tokens) {
      this(document, vectors, tokens, -1);
    }

    public static Item of(Document d) {
      return new Item(d, null, null);
    }

    public Item at(long position) {
      return new Item(document, vectors, tokens, position);
    }

    int length() {
      return vectors != null ? vectors.rows() : document.contents().length();
    }
  }

  private final TokenEncoder encoder;
  private final int threads;
  private final int batchSize;
  private final PassagePolicy passages;

  /**
   * @param encoder the model, or null when every item carries its vectors
   */
  public EncodingPipeline(TokenEncoder encoder, int threads, int batchSize) {
    this(encoder, threads, batchSize, null);
  }

  private EncodingPipeline(
      TokenEncoder encoder, int threads, int batchSize, PassagePolicy passages) {
    if (threads < 1 || batchSize < 1)
      throw new IllegalArgumentException("threads and batch size must be >= 1");
    this.encoder = encoder;
    this.threads = threads;
    this.batchSize = batchSize;
    this.passages = passages == null || passages.singlePassage() ? null : passages;
  }

  /**
   * This pipeline cutting documents into passages by {@code policy} (null or truncate: each
   * document is one passage, encoded as {@link TokenEncoder#encodeDocuments} does).
   */
  public EncodingPipeline withPassages(PassagePolicy policy) {
    return new EncodingPipeline(encoder, threads, batchSize, policy);
  }

  /**
   * Documents per window: batches are cut from windows only, so a window of the same documents
   * always gives the same batches (and bit-identical vectors), whatever the thread count.
   */
  public int windowSize() {
    return batchSize * 16;
  }

  /** Encodes every document and hands it to the sink; returns the number of documents. */
  public long run(Stream<Document> documents, Sink sink, IndexProgress progress) throws Exception {
    long count = 0;
    try (Session s = start((item, e) -> sink.accept(item.document(), e), progress)) {
      List<Item> window = new ArrayList<>(windowSize());
      Iterator<Document> it = documents.iterator();
      while (it.hasNext()) {
        window.add(Item.of(it.next()));
        if (window.size() == windowSize()) {
          count += window.size();
          s.submit(window);
          window = new ArrayList<>(windowSize());
        }
      }
      count += window.size();
      s.submit(window);
      s.drain();
    }
    return count;
  }

  /** Starts encoder threads feeding {@code sink}; submit windows, drain, close. */
  public Session start(ItemSink sink, IndexProgress progress) {
    return new Session(sink, progress);
  }

  /** A running pipeline. Submit and drain from one thread. */
  public final class Session implements AutoCloseable {
    private final ItemSink sink;
    private final IndexProgress progress;
    private final ExecutorService pool;
    private final Semaphore inFlight;
    private final int permits;
    private final AtomicReference<Exception> failure = new AtomicReference<>();

    private Session(ItemSink sink, IndexProgress progress) {
      this.sink = sink;
      this.progress = progress;
      AtomicInteger threadNo = new AtomicInteger();
      this.pool =
          Executors.newFixedThreadPool(
              threads,
              r -> {
                Thread t = new Thread(r, "latte-encode-" + threadNo.incrementAndGet());
                t.setDaemon(true);
                return t;
              });
      // Two windows of batches (at least one batch per thread beyond the window being finished).
      this.permits = Math.max(2 * windowSize() / batchSize, threads + 1) * batchSize;
      this.inFlight = new Semaphore(permits);
    }

    /**
     * Queues one window (sorted by length here, then cut into batches); blocks while two windows
     * are in flight. Rethrows the first failure of an earlier batch.
     */
    public void submit(List<Item> window) throws Exception {
      rethrow();
      if (window.isEmpty()) return;
      List<Item> sorted = new ArrayList<>(window);
      sorted.sort(Comparator.comparingInt(Item::length));
      for (int from = 0; from < sorted.size(); from += batchSize) {
        List<Item> batch = sorted.subList(from, Math.min(sorted.size(), from + batchSize));
        inFlight.acquire(batch.size());
        rethrow();
        pool.execute(
            () -> {
              try {
                if (failure.get() == null) {
                  encode(batch);
                  progress.advance(batch.size());
                }
              } catch (Exception e) {
                failure.compareAndSet(null, e);
              } catch (Error e) {
                failure.compareAndSet(null, new RuntimeException(e));
              } finally {
                inFlight.release(batch.size());
              }
            });
      }
    }

    private void encode(List<Item> batch) throws Exception {
      if (encoder == null || batch.getFirst().vectors() != null) {
        for (Item item : batch) {
          if (item.vectors() == null)
            throw new IllegalStateException(
                "document " + item.document().id() + " has no vectors and there is no model");
          sink.accept(item, null);
        }
        return;
      }
      List<String> texts = batch.stream().map(i -> i.document().contents()).toList();
      if (passages != null) {
        List<EncodedPassages> encoded = encoder.encodePassages(texts, passages);
        for (int i = 0; i < batch.size(); i++) sink.accept(batch.get(i), encoded.get(i));
        return;
      }
      List<EncodedText> encoded = encoder.encodeDocuments(texts);
      for (int i = 0; i < batch.size(); i++)
        sink.accept(
            batch.get(i),
            EncodedPassages.single(encoded.get(i), batch.get(i).document().contents().length()));
    }

    /** Waits until every submitted item is in the sink; rethrows the first failure. */
    public void drain() throws Exception {
      inFlight.acquire(permits);
      inFlight.release(permits);
      rethrow();
    }

    private void rethrow() throws Exception {
      Exception e = failure.get();
      if (e != null) throw e;
    }

    @Override
    public void close() {
      pool.shutdownNow();
    }
  }
}
