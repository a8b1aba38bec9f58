package dev.latte.searcher.sharded;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.search.IndexSearcher;

/**
 * Searches the shards of a sharded index in parallel. A query's work splits into one part per shard
 * (that shard's leaves of a {@link ShardedReader}); up to {@code threads} threads take parts from a
 * shared counter — the query's own thread and {@code threads - 1} pooled ones shared by all queries
 * (the bound) — and the caller merges the parts' results. Because the query's own thread keeps
 * taking parts, a pool busy with other queries never stalls it: it waits only for parts already
 * started. Every part computes what the one-thread walk over the same leaves computes, so merged
 * results equal it exactly (the callers' tests compare them).
 */
public final class ShardFanOut implements Closeable, dev.latte.core.kernel.PartRunner {
  /** One part of a query's work: part {@code i} of {@link #map}'s {@code parts}. */
  @FunctionalInterface
  public interface Part<T> {
    T run(int part) throws IOException;
  }

  private final int threads;
  private final ExecutorService pool; // null: one thread, parts run in order on the caller
  private final boolean owner; // false: a view of another fan-out's pool, closing it does nothing

  private ShardFanOut(ShardFanOut of) {
    this.threads = of.threads;
    this.pool = of.pool;
    this.owner = false;
  }

  private ShardFanOut(int threads) {
    if (threads < 1)
      throw new IllegalArgumentException("shard search threads must be >= 1, got " + threads);
    this.threads = threads;
    this.owner = true;
    AtomicInteger n = new AtomicInteger();
    this.pool =
        threads == 1
            ? null
            : Executors.newFixedThreadPool(
                threads - 1,
                r -> {
                  Thread t = new Thread(r, "latte-shard-search-" + n.incrementAndGet());
                  t.setDaemon(true);
                  return t;
                });
  }

  /** A fan-out over at most {@code threads} threads per query (1: sequential, no pool). */
  public static ShardFanOut of(int threads) {
    return new ShardFanOut(threads);
  }

  /**
   * The same pool for an index that does not own it (each snapshot of a live sharded index): its
   * {@link #close()} does nothing.
   */
  public ShardFanOut borrowed() {
    return new ShardFanOut(this);
  }

  /** The default bound: one thread per core. */
  public static int defaultThreads() {
    return Runtime.getRuntime().availableProcessors();
  }

  public int threads() {
    return threads;
  }

  /**
   * Runs {@code part} for every index in {@code [0, parts)} and returns the results in part order.
   * A failing part's exception is rethrown once every started part has ended.
   */
  public <T> List<T> map(int parts, Part<T> part) throws IOException {
    Object[] out = new Object[parts];
    if (pool == null || parts <= 1) {
      for (int i = 0; i < parts; i++) out[i] = part.run(i);
      return results(out);
    }
    AtomicInteger next = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(parts);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Runnable worker =
        () -> {
          for (int i = next.getAndIncrement(); i < parts; i = next.getAndIncrement()) {
            try {
              if (failure.get() == null) out[i] = part.run(i);
            } catch (Throwable t) {
              failure.compareAndSet(null, t);
            } finally {
              done.countDown();
            }
          }
        };
    for (int h = Math.min(threads, parts) - 1; h > 0; h--) pool.execute(worker);
    worker.run();
    try {
      done.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while the shards were searched", e);
    }
    Throwable t = failure.get();
    if (t instanceof IOException io) throw io;
    if (t instanceof UncheckedIOException u) throw u.getCause();
    if (t instanceof RuntimeException r) throw r;
    if (t instanceof Error e) throw e;
    if (t != null) throw new IllegalStateException(t);
    return results(out);
  }

  /**
   * {@link dev.latte.core.kernel.PartRunner}: the parts of one step of a query's work (the query x
   * centroid GEMM by centroid range, ...) over the same threads as {@link #map}, the caller's
   * included.
   */
  @Override
  public void run(int parts, java.util.function.IntConsumer part) {
    try {
      map(
          parts,
          i -> {
            part.accept(i);
            return null;
          });
    } catch (IOException e) {
      throw new UncheckedIOException(e); // parts of a PartRunner throw no checked exception
    }
  }

  @SuppressWarnings("unchecked")
  private static <T> List<T> results(Object[] out) {
    return (List<T>) Arrays.asList(out);
  }

  /**
   * The leaf boundaries of each shard of {@code reader}: shard s holds leaves {@code [b[s],
   * b[s+1])}. A reader that is not a sharded index's is one shard.
   */
  public static int[] shardLeaves(IndexReader reader) {
    if (!(reader instanceof ShardedReader sharded)) return new int[] {0, reader.leaves().size()};
    List<DirectoryReader> shards = sharded.shards();
    int[] b = new int[shards.size() + 1];
    for (int s = 0; s < shards.size(); s++) b[s + 1] = b[s] + shards.get(s).leaves().size();
    return b;
  }

  /**
   * An {@link IndexSearcher} over {@code reader} that searches each shard as one slice on this
   * fan-out's threads (Lucene merges the slices' top hits; statistics stay collection-wide).
   */
  public IndexSearcher searcher(IndexReader reader) {
    if (pool == null) return new IndexSearcher(reader);
    int[] bounds = shardLeaves(reader);
    return new IndexSearcher(reader, pool) {
      @Override
      protected LeafSlice[] slices(List<LeafReaderContext> leaves) {
        List<LeafSlice> out = new ArrayList<>();
        for (int s = 0; s + 1 < bounds.length; s++) {
          if (bounds[s] == bounds[s + 1]) continue;
          List<LeafReaderContext> shard = leaves.subList(bounds[s], bounds[s + 1]);
          out.add(
              new LeafSlice(
                  shard.stream()
                      .map(IndexSearcher.LeafReaderContextPartition::createForEntireSegment)
                      .toList()));
        }
        return out.toArray(LeafSlice[]::new);
      }
    };
  }

  @Override
  public void close() {
    if (owner && pool != null) pool.shutdown();
  }
}
