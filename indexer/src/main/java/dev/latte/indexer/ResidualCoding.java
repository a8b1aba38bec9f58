package dev.latte.indexer;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.ResidualCodebook;
import dev.latte.core.codec.TokenCodec;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.datasets.Document;
import java.io.IOException;
import org.apache.lucene.store.Directory;
import org.apache.lucene.util.BytesRef;

/**
 * A writer's residual codec: the index's frozen codebook, or, for a new index, the training window
 * that holds documents back until there are enough tokens to train it ({@link ResidualTraining}).
 * Documents are coded here and handed to the writer's {@link Out} in stored form. Thread-safe.
 */
final class ResidualCoding {
  /** Where coded documents go (the writer's Lucene document). */
  @FunctionalInterface
  interface Out {
    void write(
        Document d,
        BytesRef matrix,
        int rows,
        BytesRef tokenInfo,
        Passages passages,
        long encodedRows)
        throws IOException;
  }

  private final Directory directory;
  private final Out out;

  /** Null until a new index has trained it; then frozen for the index's life. */
  private volatile ResidualCodebook codebook;

  private final ResidualTraining training;

  /**
   * @param frozen the index's codebook (stored, or supplied by a re-coding), null to train one
   */
  ResidualCoding(
      Directory directory, TokenCodec codec, int dimension, ResidualCodebook frozen, Out out) {
    this.directory = directory;
    this.out = out;
    this.codebook = frozen;
    this.training = frozen == null ? new ResidualTraining(codec.residualBits(), dimension) : null;
  }

  ResidualCodebook codebook() {
    return codebook;
  }

  boolean pending() {
    return codebook == null;
  }

  void expectTokens(long tokens) {
    if (training != null) training.expectTokens(tokens);
  }

  void expectDocuments(long documents) {
    if (training != null) training.expectDocuments(documents);
  }

  /**
   * Codes {@code stored} with the frozen codebook; before one exists, holds the document back until
   * the training sample is complete (then trains, stores the codebook and writes everything held,
   * in input order, before any later document).
   */
  void add(
      Document d,
      TokenMatrix stored,
      BytesRef info,
      Passages passages,
      int encodedRows,
      long position)
      throws IOException {
    var book = codebook;
    if (book == null) {
      synchronized (training) {
        book = codebook;
        if (book == null) {
          training.hold(
              new ResidualTraining.Held(d, stored, info, passages, encodedRows, position));
          if (training.full()) trainAndWriteHeld();
          return;
        }
      }
    }
    write(book, d, stored, info, passages, encodedRows);
  }

  /** At a commit: a collection (so far) smaller than the training window trains on all of it. */
  void trainOnHeld() throws IOException {
    if (training == null) return;
    synchronized (training) {
      if (codebook == null && training.heldTokens() > 0) trainAndWriteHeld();
    }
  }

  private void write(
      ResidualCodebook book,
      Document d,
      TokenMatrix stored,
      BytesRef info,
      Passages passages,
      int encodedRows)
      throws IOException {
    int[] ids = new int[stored.rows()];
    VectorKernel.get().assignCentroids(book, stored.data(), 0, stored.rows(), ids);
    out.write(
        d, new BytesRef(book.encode(stored, ids)), stored.rows(), info, passages, encodedRows);
  }

  /**
   * Trains on what is held (the caller holds the training lock), stores the codebook, writes the
   * held documents, and only then lets other threads code with it.
   */
  private void trainAndWriteHeld() throws IOException {
    var book = training.train();
    ResidualCodebookFile.write(directory, book);
    for (var h : training.drain())
      write(book, h.document(), h.stored(), h.info(), h.passages(), h.encodedRows());
    codebook = book;
  }
}
