package dev.latte.web;

import dev.latte.indexer.LatteIndexWriter;
import dev.latte.searcher.LatteSearcher;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.lucene.index.DirectoryReader;

/** A searcher over one reader of the index, shared by searches and reference-counted. */
final class IndexSnapshot {
  private static final System.Logger LOG = System.getLogger(IndexSnapshot.class.getName());

  final LatteSearcher searcher;
  // The writer it was opened from (null: read-only), so a refresh knows when the writer changed.
  final LatteIndexWriter writer;
  private final AtomicInteger refs = new AtomicInteger(1); // 1: held as the current snapshot

  IndexSnapshot(LatteSearcher searcher, LatteIndexWriter writer) {
    this.searcher = searcher;
    this.writer = writer;
  }

  DirectoryReader reader() {
    return searcher.index().reader();
  }

  boolean tryIncRef() {
    while (true) {
      int r = refs.get();
      if (r <= 0) return false;
      if (refs.compareAndSet(r, r + 1)) return true;
    }
  }

  void release() {
    if (refs.decrementAndGet() == 0) {
      try {
        searcher.close();
      } catch (IOException | RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "closing a snapshot failed", e);
      }
    }
  }
}
