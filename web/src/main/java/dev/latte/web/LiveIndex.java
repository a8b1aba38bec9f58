package dev.latte.web;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.datasets.Document;
import dev.latte.encoders.TokenEncoder;
import dev.latte.indexer.EncodingPipeline;
import dev.latte.indexer.IndexLayout;
import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.IndexMismatchException;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.LatteIndexReaderSupport;
import dev.latte.indexer.LatteIndexWriter;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.LatteSearcher;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * One index of the data folder while it is served: its writer, its current searchable {@link
 * Snapshot}, and the lock that serialises writes and refreshes.
 *
 * <p>Writes (add/replace, delete by id or filter, metadata updates, merge) run one at a time per
 * index and end with a Lucene commit (durability) followed by a refresh (visibility): when a write
 * method returns, the change is on disk and every search that starts afterwards sees it. A write
 * that fails before its commit is rolled back entirely (the writer is reopened at the last commit).
 * Searches never take the lock: they {@link #acquire()} the current snapshot, which stays open,
 * reference-counted, until the last search using it releases it, even after a refresh has swapped
 * in a newer one.
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
  private final ReentrantLock lock = new ReentrantLock();
  private final String source;

  // Guarded by lock.
  private LatteIndexWriter writer;
  private Directory readOnlyDirectory;
  private volatile String readOnlyReason;
  private boolean closed;

  private volatile Snapshot current;

  private LiveIndex(
      String name,
      Path path,
      TokenEncoder encoder,
      int encodeThreads,
      int encodeBatch,
      String src) {
    this.name = name;
    this.path = path;
    this.encoder = encoder;
    this.encodeThreads = encodeThreads;
    this.encodeBatch = encodeBatch;
    this.source = src;
  }

  /** Creates a new, empty index at {@code path} (committed at once, so it exists on disk). */
  static LiveIndex create(
      String name,
      Path path,
      TokenEncoder encoder,
      int encodeThreads,
      int encodeBatch,
      IndexOptions options)
      throws IOException {
    LiveIndex li = new LiveIndex(name, path, encoder, encodeThreads, encodeBatch, "http");
    li.writer = LatteIndexWriter.open(path, encoder, li.source, "", options);
    try {
      li.writer.commit();
      li.current = li.snapshot(li.writer.openNrtReader());
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
      IndexMetadata existing)
      throws IOException {
    LiveIndex li =
        new LiveIndex(name, path, encoder, encodeThreads, encodeBatch, existing.source());
    try {
      // Content written over HTTP no longer matches the source's fingerprint: record none.
      li.writer = LatteIndexWriter.open(path, encoder, li.source, "", existing.options());
    } catch (IOException | IndexMismatchException e) {
      li.readOnlyReason = DocumentBatch.firstLine(e.getMessage());
      LOG.log(
          System.Logger.Level.WARNING,
          "serving index " + name + " read-only: " + li.readOnlyReason);
    }
    try {
      if (li.writer != null) {
        li.current = li.snapshot(li.writer.openNrtReader());
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

  /** Opens a snapshot over {@code reader}, taking over its reference (released on failure). */
  private Snapshot snapshot(DirectoryReader reader) throws IOException {
    LatteIndex index = null;
    try {
      IndexMetadata m =
          writer != null
              ? writer.metadata()
              : LatteIndexReaderSupport.metadataOf(reader.getIndexCommit());
      index = LatteIndex.of(path, reader, m);
      return new Snapshot(new LatteSearcher(index, encoder), writer);
    } catch (IOException | RuntimeException e) {
      if (index != null) index.close();
      else reader.close();
      throw e;
    }
  }

  /**
   * The current snapshot, with one reference the caller must {@link Snapshot#release()}; fails with
   * 404 once the index was deleted.
   */
  Snapshot acquire() {
    while (true) {
      Snapshot s = current;
      if (s == null) throw ApiException.notFound("no index named \"" + name + "\"");
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

  private boolean refreshLocked() throws IOException {
    Snapshot old = current;
    DirectoryReader next;
    if (writer == null && old.writer != null) return false; // its writer failed: nothing to reopen
    if (writer != null && old.writer != writer) next = writer.openNrtReader();
    else next = DirectoryReader.openIfChanged(old.reader());
    if (next == null) return false;
    swap(snapshot(next));
    return true;
  }

  private void swap(Snapshot next) {
    Snapshot old = current;
    current = next;
    if (old != null) old.release();
  }

  /**
   * Encodes and adds (or replaces, by id) {@code documents}, commits and refreshes; returns how
   * many were written. Nothing is kept if any step before the commit fails.
   */
  int add(Collection<Document> documents) throws Exception {
    lock.lock();
    try {
      requireWritable();
      try {
        new EncodingPipeline(encoder, encodeThreads, encodeBatch)
            .run(documents.stream(), writer::add, IndexProgress.NONE);
      } catch (Exception e) {
        discardUncommitted(e);
        throw e;
      }
      commitAndRefreshLocked();
      return documents.size();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Deletes the documents with these ids, commits and refreshes; returns how many existed (absent
   * ids are no-ops; nothing is committed when none existed).
   */
  int delete(Collection<String> ids) throws IOException {
    ids = new java.util.LinkedHashSet<>(ids);
    lock.lock();
    try {
      requireWritable();
      refreshLocked(); // normally a no-op: every write refreshes before it unlocks
      int existing = 0;
      var searcher = current.searcher.index().searcher();
      try {
        for (String id : ids) {
          if (searcher.count(new TermQuery(new Term(IndexLayout.ID, id))) > 0) {
            existing++;
            writer.delete(id);
          }
        }
        if (existing == 0) return 0;
      } catch (IOException | RuntimeException e) {
        discardUncommitted(e);
        throw e;
      }
      commitAndRefreshLocked();
      return existing;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Deletes every document {@code filter} matches (a metadata filter, {@link
   * dev.latte.searcher.Filters}), commits and refreshes; returns how many matched (nothing is
   * committed when none did).
   */
  int deleteMatching(Query filter) throws IOException {
    lock.lock();
    try {
      requireWritable();
      refreshLocked(); // normally a no-op: every write refreshes before it unlocks
      int matching = current.searcher.index().searcher().count(filter);
      if (matching == 0) return 0;
      try {
        writer.delete(filter);
      } catch (IOException | RuntimeException e) {
        discardUncommitted(e);
        throw e;
      }
      commitAndRefreshLocked();
      return matching;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Changes the metadata of the documents with these ids without re-encoding them: each found
   * document is re-added from its stored title, text, token matrix bytes and annotations (byte for
   * byte, {@link LatteIndexWriter#replaceMetadata}) with the metadata its change returns for the
   * stored one (null: none); then commits and refreshes. Returns the new metadata of every document
   * found (null values for none), in the order of {@code changes}; absent ids are left out, and
   * nothing is committed when none exists.
   */
  Map<String, ObjectNode> updateMetadata(Map<String, UnaryOperator<ObjectNode>> changes)
      throws IOException {
    lock.lock();
    try {
      requireWritable();
      refreshLocked(); // normally a no-op: every write refreshes before it unlocks
      DirectoryReader reader = current.reader();
      Map<String, ObjectNode> updated = new LinkedHashMap<>();
      try {
        for (Map.Entry<String, UnaryOperator<ObjectNode>> e : changes.entrySet()) {
          ObjectNode[] next = new ObjectNode[1];
          UnaryOperator<ObjectNode> change = old -> next[0] = e.getValue().apply(old);
          if (writer.replaceMetadata(reader, e.getKey(), change)) updated.put(e.getKey(), next[0]);
        }
        if (updated.isEmpty()) return updated;
      } catch (IOException | RuntimeException e) {
        discardUncommitted(e);
        throw e;
      }
      commitAndRefreshLocked();
      return updated;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Merges down to at most {@code maxSegments} segments, which drops deleted and replaced documents
   * (they count in BM25's statistics until merged away), then commits and refreshes.
   */
  void merge(int maxSegments) throws IOException {
    lock.lock();
    try {
      requireWritable();
      try {
        writer.forceMerge(maxSegments);
      } catch (IOException | RuntimeException e) {
        discardUncommitted(e);
        throw e;
      }
      commitAndRefreshLocked();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Ends every write, with the lock held: commits what the write changed (durable; if the commit
   * fails the writer is rolled back to the last commit and the failure rethrown), then refreshes
   * (visible to every search that starts afterwards). The one place where writes become durable and
   * visible: every write method ends here.
   */
  private void commitAndRefreshLocked() throws IOException {
    try {
      writer.commit();
    } catch (IOException | RuntimeException e) {
      discardUncommitted(e);
      throw e;
    }
    refreshLocked();
  }

  private void requireWritable() {
    if (closed) throw ApiException.notFound("no index named \"" + name + "\"");
    if (writer == null)
      throw ApiException.conflict(
          "read_only", "index \"" + name + "\" is served read-only: " + readOnlyReason);
  }

  /** Rolls back to the last commit by reopening the writer; the current snapshot stays. */
  private void discardUncommitted(Exception cause) {
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

  /** Settings and statistics of the current snapshot, for the API (snake_case keys). */
  Map<String, Object> describe() throws IOException {
    Snapshot s = acquire();
    try {
      LatteIndex index = s.searcher.index();
      IndexMetadata m = index.metadata();
      var stats = index.stats();
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("name", name);
      out.put("model", m.modelName());
      out.put("codec", m.codec());
      out.put("pool_factor", m.poolFactor());
      out.put("dimension", m.dimension());
      out.put("documents", stats.documents());
      out.put("tokens", stats.tokens());
      out.put("token_bytes", stats.tokenBytes());
      out.put("bytes_on_disk", bytesOnDisk(path));
      out.put("segments", index.reader().leaves().size());
      out.put("read_only", readOnly());
      return out;
    } finally {
      s.release();
    }
  }

  private static long bytesOnDisk(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      return files
          .filter(Files::isRegularFile)
          .mapToLong(
              p -> {
                try {
                  return Files.size(p);
                } catch (IOException e) {
                  return 0; // deleted by a merge meanwhile
                }
              })
          .sum();
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
      swap(null);
      try {
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

  /** A searcher over one reader of the index, shared by searches and reference-counted. */
  static final class Snapshot {
    final LatteSearcher searcher;
    private final LatteIndexWriter writer;
    private final AtomicInteger refs = new AtomicInteger(1); // 1: held as the current snapshot

    Snapshot(LatteSearcher searcher, LatteIndexWriter writer) {
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
}
