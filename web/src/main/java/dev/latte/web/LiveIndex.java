package dev.latte.web;

import dev.latte.core.FileTrees;
import dev.latte.encoders.TokenEncoder;
import dev.latte.indexer.EncodingPipeline;
import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.IndexMismatchException;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.LatteIndexReaderSupport;
import dev.latte.indexer.LatteIndexWriter;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.LatteSearcher;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * One index of the data folder while it is served: its writer, its current searchable {@link
 * IndexSnapshot}, and the lock that serialises writes and refreshes.
 *
 * <p>Writes ({@link LiveWrites}: add/replace, delete by id or filter, metadata updates, merge) run
 * one at a time per index and end with a Lucene commit (durability) followed by a refresh
 * (visibility): when a write method returns, the change is on disk and every search that starts
 * afterwards sees it. A write that fails before its commit is rolled back entirely (the writer is
 * reopened at the last commit). Searches never take the lock: they {@link #acquire()} the current
 * snapshot, which stays open, reference-counted, until the last search using it releases it, even
 * after a refresh has swapped in a newer one.
 *
 * <p>An index whose writer cannot be opened (another process holds its write lock, or its layout is
 * older than this build appends to) is served read-only: writes answer 409 and the refresh picks up
 * commits made by the other process.
 */
final class LiveIndex implements Closeable {
  private static final System.Logger LOG = System.getLogger(LiveIndex.class.getName());

  final String name;
  final Path path;
  private final TokenEncoder encoder;
  private final int encodeThreads;
  private final int encodeBatch;
  final ReentrantLock lock = new ReentrantLock();
  private final String source;

  private final ExecutorService trainer;

  // Guarded by lock.
  private LatteIndexWriter writer;
  private Directory readOnlyDirectory;
  private volatile String readOnlyReason;
  private volatile boolean closed;
  // The first stages it maintains; null while served read-only (its stages are the offline ones).
  private FirstStageMaintainer stages;
  // A sharded index's shards, each written as a LiveIndex of its own; null for one index.
  private ShardRouter shards;

  private volatile IndexSnapshot current;

  private LiveIndex(
      String name,
      Path path,
      TokenEncoder encoder,
      int encodeThreads,
      int encodeBatch,
      String src,
      ExecutorService trainer) {
    this.trainer = trainer;
    this.name = name;
    this.path = path;
    this.encoder = encoder;
    this.encodeThreads = encodeThreads;
    this.encodeBatch = encodeBatch;
    this.source = src;
  }

  /**
   * Creates a new, empty index at {@code path} (committed at once, so it exists on disk) that
   * maintains the first stages of {@code firstStages}, trained on {@code trainer}.
   */
  static LiveIndex create(
      String name,
      Path path,
      TokenEncoder encoder,
      int encodeThreads,
      int encodeBatch,
      IndexOptions options,
      FirstStageSettings firstStages,
      ExecutorService trainer)
      throws IOException {
    LiveIndex li = new LiveIndex(name, path, encoder, encodeThreads, encodeBatch, "http", trainer);
    li.writer = LatteIndexWriter.open(path, encoder, li.source, "", options);
    try {
      li.writer.commit();
      firstStages.write(path, FirstStageSettings.JSON);
      li.startWritable();
    } catch (IOException | RuntimeException e) {
      li.writer.close();
      throw e;
    }
    return li;
  }

  /**
   * Serves the existing index at {@code path} (its metadata {@code existing}, already checked to
   * match {@code encoder}'s model): writable if its writer opens, else read-only.
   */
  static LiveIndex open(
      String name,
      Path path,
      TokenEncoder encoder,
      int encodeThreads,
      int encodeBatch,
      IndexMetadata existing,
      ExecutorService trainer)
      throws IOException {
    return open(name, path, encoder, encodeThreads, encodeBatch, existing, trainer, null);
  }

  /**
   * As above; with a {@code readOnly} reason the index is served read-only without trying its
   * writer (writes answer 409 with that reason), and its first stages are the ones built offline.
   */
  static LiveIndex open(
      String name,
      Path path,
      TokenEncoder encoder,
      int encodeThreads,
      int encodeBatch,
      IndexMetadata existing,
      ExecutorService trainer,
      String readOnly)
      throws IOException {
    LiveIndex li =
        new LiveIndex(name, path, encoder, encodeThreads, encodeBatch, existing.source(), trainer);
    if (readOnly == null && dev.latte.indexer.ShardManifest.isSharded(path)) {
      li.shards = ShardRouter.open(name, path, encoder, encodeThreads, encodeBatch, trainer);
      try {
        li.current = li.shards.refreshed(true);
      } catch (IOException | RuntimeException e) {
        li.shards.close();
        throw e;
      }
      return li;
    }
    if (readOnly != null) {
      li.readOnlyReason = readOnly;
    } else {
      try {
        // Content written over HTTP no longer matches the source's fingerprint: record none.
        li.writer = LatteIndexWriter.open(path, encoder, li.source, "", existing.options());
      } catch (IOException | IndexMismatchException e) {
        li.readOnlyReason = DocumentBatch.firstLine(e.getMessage());
        LOG.log(
            System.Logger.Level.WARNING,
            "serving index " + name + " read-only: " + li.readOnlyReason);
      }
    }
    try {
      if (li.writer != null) {
        li.startWritable();
      } else if (dev.latte.indexer.ShardManifest.isSharded(path)) {
        // The Spark job's shards, served as one index; they never change, so nothing refreshes.
        LatteIndex sharded = LatteIndex.open(path);
        try {
          li.current = new IndexSnapshot(new LatteSearcher(sharded, encoder), null);
        } catch (RuntimeException e) {
          sharded.close();
          throw e;
        }
      } else {
        li.readOnlyDirectory = FSDirectory.open(path);
        li.current = li.snapshot(DirectoryReader.open(li.readOnlyDirectory));
      }
    } catch (IOException | RuntimeException e) {
      li.close();
      throw e;
    }
    return li;
  }

  /**
   * With the writer open: loads the maintained first stages, opens the first snapshot, and starts
   * the trainings that are due.
   */
  private void startWritable() throws IOException {
    lock.lock();
    try {
      stages = new FirstStageMaintainer(this, trainer);
      stages.init();
      current = snapshot(writer.openNrtReader());
      stages.startDue(current.reader().numDocs()); // training reads the first snapshot
    } finally {
      lock.unlock();
    }
  }

  /** Opens a snapshot over {@code reader}, taking over its reference (released on failure). */
  private IndexSnapshot snapshot(DirectoryReader reader) throws IOException {
    LatteIndex index = null;
    try {
      IndexMetadata m =
          writer != null
              ? writer.metadata()
              : LatteIndexReaderSupport.metadataOf(reader.getIndexCommit());
      boolean maintained = writer != null && stages != null;
      Map<String, DirectoryReader> readers = maintained ? stages.openReaders() : Map.of();
      Map<String, String> why = maintained ? stages.unavailable() : Map.of();
      index = LatteIndex.of(path, reader, m, readers, why);
      return new IndexSnapshot(new LatteSearcher(index, encoder), writer);
    } catch (IOException | RuntimeException e) {
      if (index != null) index.close();
      else reader.close();
      throw e;
    }
  }

  /**
   * The current snapshot, with one reference the caller must {@link IndexSnapshot#release()}; fails
   * with 404 once the index was deleted.
   */
  IndexSnapshot acquire() {
    while (true) {
      IndexSnapshot s = current;
      if (s == null) throw Refusal.notFound("no index named \"" + name + "\"");
      if (s.tryIncRef()) return s;
      // s was swapped out and released in between: read current again.
    }
  }

  boolean readOnly() {
    return readOnlyReason != null;
  }

  /**
   * Swaps in a snapshot of the newest state if anything changed. With {@code wait} false it gives
   * up at once while a write holds the lock (that write refreshes when it ends). Returns whether a
   * new snapshot was swapped in.
   */
  boolean refresh(boolean wait) throws IOException {
    if (wait) lock.lock();
    else if (!lock.tryLock()) return false;
    try {
      return !closed && refreshLocked();
    } finally {
      lock.unlock();
    }
  }

  boolean refreshLocked() throws IOException {
    if (shards != null) {
      IndexSnapshot next = shards.refreshed(true);
      if (next != null) swap(next);
      return next != null;
    }
    IndexSnapshot old = current;
    DirectoryReader next;
    if (writer == null && old.writer != null) return false; // its writer failed: nothing to reopen
    if (writer != null && stages.anyOutOfStep()) {
      stages.sync();
      swapInFreshLocked();
      return true;
    }
    if (writer != null && old.writer != writer) next = writer.openNrtReader();
    else next = DirectoryReader.openIfChanged(old.reader());
    if (next == null) return false;
    swap(snapshot(next));
    return true;
  }

  /** With the lock held: swaps in a snapshot of the writer's newest state. */
  void swapInFreshLocked() throws IOException {
    swap(snapshot(writer.openNrtReader()));
  }

  /** The writer; null while read-only. Only with the lock held. */
  LatteIndexWriter writer() {
    return writer;
  }

  boolean isClosed() {
    return closed;
  }

  private void swap(IndexSnapshot next) {
    IndexSnapshot old = current;
    current = next;
    if (old != null) old.release();
  }

  /** What a write returned, and the milliseconds it spent keeping the first stages in step. */
  record Written<T>(T value, Double firstStageMillis) {}

  /** The writes of this index (add/replace, deletes, metadata updates, merge). */
  LiveWrites writes() {
    return writes;
  }

  private final LiveWrites writes = new LiveWrites(this);

  /** The router of a sharded index's writes; null for one index. */
  ShardRouter shards() {
    return shards;
  }

  /** The current snapshot; only with the lock held (a write reads the state it changes). */
  IndexSnapshot currentLocked() {
    return current;
  }

  /** The first stages it maintains (null while read-only); only with the lock held. */
  FirstStageMaintainer stagesLocked() {
    return stages;
  }

  /** A new encoding pipeline with this index's threads, batch size and passage cut. */
  EncodingPipeline pipeline() {
    return new EncodingPipeline(encoder, encodeThreads, encodeBatch)
        .withPassages(writer.passagePolicy()); // cut as the index was built
  }

  // ---- first stages ({@link FirstStageMaintainer})

  /**
   * Adds {@code next}'s stages to those maintained and (re)trains {@code retrain} now; 409 while
   * one of them is training or the index is empty.
   */
  List<MaintainedStage.Status> configureFirstStages(FirstStageSettings next, List<String> retrain)
      throws IOException {
    lock.lock();
    try {
      requireNotSharded();
      requireWritable();
      return stages.configure(next, retrain, current.reader().numDocs());
    } finally {
      lock.unlock();
    }
  }

  /**
   * Stops maintaining {@code stage} and deletes it; false if it was neither configured nor built.
   */
  boolean removeFirstStage(String stage) throws IOException {
    lock.lock();
    try {
      requireNotSharded();
      requireWritable();
    } finally {
      lock.unlock();
    }
    return stages.remove(stage);
  }

  int poolFactor() {
    IndexSnapshot s = acquire();
    try {
      return s.searcher.index().metadata().poolFactor();
    } finally {
      s.release();
    }
  }

  /** The first-stage settings of a writable index (null while read-only). */
  FirstStageSettings firstStageSettings() {
    lock.lock();
    try {
      return stages == null ? null : stages.settings();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Per first stage, by name: its state. A writable index's are the maintained ones; a read-only
   * index's are those built offline ({@code ./latte index --first-stage}), ready when in step with
   * the current snapshot, else stale (their methods answer 409 naming the rebuild command).
   */
  List<MaintainedStage.Status> firstStages() throws IOException {
    IndexSnapshot s = acquire();
    try {
      return firstStages(s);
    } finally {
      s.release();
    }
  }

  /** As above, for snapshot {@code s} (acquired by the caller). */
  List<MaintainedStage.Status> firstStages(IndexSnapshot s) throws IOException {
    FirstStageMaintainer maintained = stages;
    if (shards != null) return shards.firstStages(s);
    if (maintained != null && !readOnly()) return maintained.statuses();
    return offline.of(path, s.reader());
  }

  /** Waits until no first stage is training (tests and orderly shutdown). */
  void awaitTraining() throws InterruptedException {
    if (shards != null) shards.awaitTraining();
    FirstStageMaintainer maintained = stages;
    if (maintained != null) maintained.awaitTraining();
  }

  /**
   * Ends every write, with the lock held: commits what the write changed (durable; if the commit
   * fails the writer is rolled back to the last commit and the failure rethrown), brings the
   * maintained first stages in step with it (a stage that fails stays out of step and answers 409;
   * the write stays acknowledged), then refreshes (visible to every search that starts afterwards,
   * first stages included) and starts training what is due. The one place where writes become
   * durable and visible: every write method ends here. Returns the milliseconds spent keeping the
   * first stages in step (null when none is trained).
   */
  Double commitAndRefreshLocked() throws IOException {
    try {
      writer.commit();
    } catch (IOException | RuntimeException e) {
      discardUncommitted(e);
      throw e;
    }
    long t0 = System.nanoTime();
    stages.sync();
    Double millis = stages.anyTrained() ? (System.nanoTime() - t0) / 1e6 : null;
    refreshLocked();
    stages.startDue(current.reader().numDocs());
    return millis;
  }

  /** A sharded index's first stages are the job's, kept in step by each shard. */
  private void requireNotSharded() {
    if (shards != null)
      throw Refusal.conflict(
          "sharded",
          "index \""
              + name
              + "\" is sharded: its first stages are the job's, which every shard keeps in step"
              + " with its writes; to change them, run the job again");
  }

  void requireWritable() {
    if (closed) throw Refusal.notFound("no index named \"" + name + "\"");
    if (writer == null)
      throw Refusal.conflict(
          "read_only", "index \"" + name + "\" is served read-only: " + readOnlyReason);
  }

  /** Rolls back to the last commit by reopening the writer; the current snapshot stays. */
  void discardUncommitted(Exception cause) {
    IndexMetadata m = writer.metadata();
    try {
      writer.close(); // rollback
    } catch (IOException | RuntimeException e) {
      cause.addSuppressed(e);
    }
    writer = null;
    try {
      writer = LatteIndexWriter.open(path, encoder, source, "", m.options());
    } catch (IOException | RuntimeException e) {
      cause.addSuppressed(e);
      readOnlyReason = "its writer failed and could not be reopened: " + e.getMessage();
      LOG.log(System.Logger.Level.ERROR, "index " + name + " is read-only now", e);
    }
  }

  private final OfflineFirstStages offline = new OfflineFirstStages();

  /** Bytes of every file in the index folder (-1 if it cannot be listed). */
  long bytesOnDisk() {
    try {
      return FileTrees.bytes(path);
    } catch (IOException | java.io.UncheckedIOException e) {
      return -1;
    }
  }

  /**
   * Stops serving: closes the writer (everything it wrote is committed) and drops the current
   * snapshot; searches still holding it finish on it.
   */
  @Override
  public void close() throws IOException {
    lock.lock();
    try {
      if (closed) return;
      closed = true;
    } finally {
      lock.unlock();
    }
    // A training in progress is interrupted (it stops at its next check: a k-means iteration, a few
    // hundred documents) and discards its work; waiting for it keeps it from writing into a folder
    // that is deleted next.
    if (stages != null) stages.cancelTraining();
    try {
      awaitTraining();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    lock.lock();
    try {
      swap(null);
      try {
        if (stages != null) stages.close();
        if (shards != null) shards.close();
        if (writer != null) writer.close();
      } finally {
        writer = null;
        // Open readers keep working after their directory is closed.
        if (readOnlyDirectory != null) readOnlyDirectory.close();
      }
    } finally {
      lock.unlock();
    }
  }
}
