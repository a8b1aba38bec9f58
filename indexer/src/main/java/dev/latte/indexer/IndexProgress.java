package dev.latte.indexer;

/** Receives indexing progress; the CLI draws a progress bar from it. */
public interface IndexProgress extends AutoCloseable {
  IndexProgress NONE =
      new IndexProgress() {
        @Override
        public void start(long total) {}

        @Override
        public void advance(long documents) {}
      };

  /** Called once with the expected document count (-1 when unknown). */
  void start(long total);

  /** Called from encoder threads as batches complete. */
  void advance(long documents);

  @Override
  default void close() {}
}
