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
import dev.latte.indexer.derived.DerivedIndex;
import dev.latte.indexer.derived.DerivedIndexBuilder;
import dev.latte.indexer.derived.LiveDerived;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.LatteSearcher;
import dev.latte.searcher.firststage.FirstStages;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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

  private final java.util.concurrent.ExecutorService trainer;

  // Guarded by lock.
  private LatteIndexWriter writer;
  private Directory readOnlyDirectory;
  private volatile String readOnlyReason;
  private volatile boolean closed;
  private FirstStageSettings settings = FirstStageSettings.NONE;
  private final Map<String, LiveDerived> derived = new LinkedHashMap<>();
  private final java.util.Set<String> outOfStep = new java.util.HashSet<>();
  // First stages that cannot answer, with the message their methods fail with; and states.
  private final Map<String, String> unavailable = new ConcurrentHashMap<>();
  private final Map<String, String> state = new ConcurrentHashMap<>();
  private final Map<String, java.util.concurrent.Future<?>> training = new ConcurrentHashMap<>();
  // The threads training a stage right now; guarded by itself, so an interrupt only ever reaches a
  // thread while it trains a stage of this index.
  private final Map<String, Thread> trainingThreads = new java.util.HashMap<>();
  private final java.util.Set<String> cancelled = ConcurrentHashMap.newKeySet();

  private volatile Snapshot current;

  private LiveIndex(
      String name,
      Path path,
      TokenEncoder encoder,
      int encodeThreads,
      int encodeBatch,
      String src,
      java.util.concurrent.ExecutorService trainer) {
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
      java.util.concurrent.ExecutorService trainer)
      throws IOException {
    LiveIndex li = new LiveIndex(name, path, encoder, encodeThreads, encodeBatch, "http", trainer);
    li.writer = LatteIndexWriter.open(path, encoder, li.source, "", options);
    try {
      li.writer.commit();
      firstStages.write(path, JSON);
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
      java.util.concurrent.ExecutorService trainer)
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
      java.util.concurrent.ExecutorService trainer,
      String readOnly)
      throws IOException {
    LiveIndex li =
        new LiveIndex(name, path, encoder, encodeThreads, encodeBatch, existing.source(), trainer);
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
      initFirstStages();
    } finally {
      lock.unlock();
    }
    current = snapshot(writer.openNrtReader());
    startDueTraining();
  }

  /** Opens a snapshot over {@code reader}, taking over its reference (released on failure). */
  private Snapshot snapshot(DirectoryReader reader) throws IOException {
    LatteIndex index = null;
    try {
      IndexMetadata m =
          writer != null
              ? writer.metadata()
              : LatteIndexReaderSupport.metadataOf(reader.getIndexCommit());
      Map<String, DirectoryReader> readers = new LinkedHashMap<>();
      try {
        if (writer != null)
          for (LiveDerived d : derived.values())
            if (!outOfStep.contains(d.name())) readers.put(d.name(), d.openReader());
      } catch (IOException | RuntimeException e) {
        for (DirectoryReader r : readers.values()) r.close();
        throw e;
      }
      Map<String, String> why = new LinkedHashMap<>(unavailable);
      if (writer != null)
        for (String n : FirstStages.builders().keySet())
          if (!derived.containsKey(n) && !why.containsKey(n))
            why.put(
                n,
                "index \""
                    + name
                    + "\" does not maintain the '"
                    + n
                    + "' first stage; add it with POST /v1/indexes/"
                    + name
                    + "/first-stages {\"first_stages\": [\""
                    + n
                    + "\"]}");
      index = LatteIndex.of(path, reader, m, readers, why);
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
    if (writer != null && !outOfStep.isEmpty()) {
      syncFirstStagesLocked();
      swap(snapshot(writer.openNrtReader()));
      return true;
    }
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

  /** What a write returned, and the milliseconds it spent keeping the first stages in step. */
  record Written<T>(T value, Double firstStageMillis) {}

  @FunctionalInterface
  private interface Change<T> {
    T apply() throws Exception;
  }

  /**
   * Every write: under the write lock, on an index refreshed to its last commit, applies {@code
   * change} to the writer; if it fails, rolls back to the last commit and rethrows; if {@code
   * nothing} says it changed nothing, commits nothing; else ends in {@link
   * #commitAndRefreshLocked}.
   */
  private <T> Written<T> write(Change<T> change, java.util.function.Predicate<T> nothing)
      throws Exception {
    lock.lock();
    try {
      requireWritable();
      refreshLocked(); // normally a no-op: every write refreshes before it unlocks
      T value;
      try {
        value = change.apply();
      } catch (Exception e) {
        discardUncommitted(e);
        throw e;
      }
      if (nothing.test(value)) return new Written<>(value, null);
      return new Written<>(value, commitAndRefreshLocked());
    } finally {
      lock.unlock();
    }
  }

  /**
   * Encodes and adds (or replaces, by id) {@code documents}, commits and refreshes; returns how
   * many were written. Nothing is kept if any step before the commit fails.
   */
  Written<Integer> add(Collection<Document> documents) throws Exception {
    return write(
        () -> {
          new EncodingPipeline(encoder, encodeThreads, encodeBatch)
              .run(documents.stream(), writer::add, IndexProgress.NONE);
          return documents.size();
        },
        n -> false);
  }

  /**
   * Deletes the documents with these ids, commits and refreshes; returns how many existed (absent
   * ids are no-ops; nothing is committed when none existed).
   */
  int delete(Collection<String> ids) throws Exception {
    Collection<String> distinct = new java.util.LinkedHashSet<>(ids);
    return write(
            () -> {
              var searcher = current.searcher.index().searcher();
              int existing = 0;
              for (String id : distinct) {
                if (searcher.count(new TermQuery(new Term(IndexLayout.ID, id))) > 0) {
                  existing++;
                  writer.delete(id);
                }
              }
              return existing;
            },
            n -> n == 0)
        .value();
  }

  /**
   * Deletes every document {@code filter} matches (a metadata filter, {@link
   * dev.latte.searcher.Filters}), commits and refreshes; returns how many matched (nothing is
   * committed when none did).
   */
  int deleteMatching(Query filter) throws Exception {
    return write(
            () -> {
              int matching = current.searcher.index().searcher().count(filter);
              if (matching > 0) writer.delete(filter);
              return matching;
            },
            n -> n == 0)
        .value();
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
      throws Exception {
    return write(
            () -> {
              DirectoryReader reader = current.reader();
              Map<String, ObjectNode> updated = new LinkedHashMap<>();
              for (Map.Entry<String, UnaryOperator<ObjectNode>> e : changes.entrySet()) {
                ObjectNode[] next = new ObjectNode[1];
                UnaryOperator<ObjectNode> change = old -> next[0] = e.getValue().apply(old);
                if (writer.replaceMetadata(reader, e.getKey(), change))
                  updated.put(e.getKey(), next[0]);
              }
              return updated;
            },
            Map::isEmpty)
        .value();
  }

  /**
   * Merges down to at most {@code maxSegments} segments, which drops deleted and replaced documents
   * (they count in BM25's statistics until merged away), then commits and refreshes.
   */
  void merge(int maxSegments) throws Exception {
    write(
        () -> {
          writer.forceMerge(maxSegments);
          for (LiveDerived d : derived.values()) {
            try {
              d.forceMerge(maxSegments);
              d.commit();
            } catch (IOException | RuntimeException e) {
              // The first stage stays correct, just unmerged.
              LOG.log(
                  System.Logger.Level.WARNING, "merging first stage " + d.name() + " failed", e);
            }
          }
          return maxSegments;
        },
        n -> false);
  }

  // ---- first stages kept in step with writes

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  /**
   * Reads the settings, drops builds a crash interrupted, opens every maintained first stage (the
   * configured ones and any built in the folder, e.g. by {@code ./latte index --first-stage}) and
   * brings each in step with the last commit (after a crash between the main and a derived commit
   * it lacks that write, or holds none of it), and starts training what is due.
   */
  private void initFirstStages() throws IOException {
    settings = FirstStageSettings.read(path, JSON);
    LiveDerived.deleteUnfinished(path);
    var builders = FirstStages.builders();
    java.util.List<String> names = new java.util.ArrayList<>(settings.stages());
    for (String n : builders.keySet())
      if (!names.contains(n) && Files.isDirectory(DerivedIndex.dir(path, n))) names.add(n);
    try (DirectoryReader main = writer.openNrtReader()) {
      for (String n : names) {
        if (!Files.isDirectory(DerivedIndex.dir(path, n))) {
          waiting(n, main.numDocs());
          continue;
        }
        try {
          LiveDerived d = LiveDerived.open(path, builders.get(n), writer.metadata());
          try {
            d.sync(main);
            d.commit();
          } catch (IOException | RuntimeException e) {
            d.close();
            throw e;
          }
          derived.put(n, d);
          state.put(n, "ready");
        } catch (IOException | RuntimeException e) {
          String why = DocumentBatch.firstLine(e.getMessage());
          LOG.log(System.Logger.Level.WARNING, "first stage " + n + " of " + name + ": " + why);
          state.put(n, "failed");
          unavailable.put(
              n,
              "the '"
                  + n
                  + "' first stage of index \""
                  + name
                  + "\" cannot be used: "
                  + why
                  + "; rebuild it with POST /v1/indexes/"
                  + name
                  + "/first-stages");
        }
      }
      for (String n : settings.stages())
        if (!derived.containsKey(n) && !state.containsKey(n)) waiting(n, main.numDocs());
    }
  }

  /** Starts training what is due, once the first snapshot is in place (training reads it). */
  private void startDueTraining() {
    lock.lock();
    try {
      maybeTrainLocked(current.reader().numDocs());
    } finally {
      lock.unlock();
    }
  }

  private void waiting(String stage, int documents) {
    state.put(stage, "waiting");
    unavailable.put(
        stage,
        "the '"
            + stage
            + "' first stage of index \""
            + name
            + "\" is not trained yet: it trains once the index holds "
            + settings.trainAfterDocuments()
            + " documents (it holds "
            + documents
            + "), or now with POST /v1/indexes/"
            + name
            + "/first-stages");
  }

  /**
   * After a main-index commit: brings the maintained first stages in step with it (a stage that
   * fails stays out of step, answers 409, and is retried at the next write or refresh; the main
   * write stays acknowledged), swaps in a new snapshot, and starts training what is due. Returns
   * the milliseconds spent keeping the first stages in step (null when there are none).
   */
  private Double afterCommitLocked() throws IOException {
    long t0 = System.nanoTime();
    syncFirstStagesLocked();
    Double millis = derived.isEmpty() ? null : (System.nanoTime() - t0) / 1e6;
    refreshLocked();
    maybeTrainLocked(current.reader().numDocs());
    return millis;
  }

  private void syncFirstStagesLocked() throws IOException {
    if (derived.isEmpty()) return;
    try (DirectoryReader main = writer.openNrtReader()) {
      for (LiveDerived d : derived.values()) {
        try {
          d.sync(main);
          d.commit();
          if (outOfStep.remove(d.name())) {
            unavailable.remove(d.name());
            state.put(d.name(), "ready");
          }
        } catch (IOException | RuntimeException e) {
          try {
            d.rollback();
          } catch (IOException | RuntimeException r) {
            e.addSuppressed(r);
          }
          LOG.log(System.Logger.Level.ERROR, "first stage " + d.name() + " of " + name, e);
          outOfStep.add(d.name());
          state.put(d.name(), "out_of_step");
          unavailable.put(
              d.name(),
              "the '"
                  + d.name()
                  + "' first stage of index \""
                  + name
                  + "\" could not follow the last write ("
                  + DocumentBatch.firstLine(e.getMessage())
                  + "); it is retried at the next write or refresh");
        }
      }
    }
  }

  /**
   * A stage whose parameters were trained on fewer than 1 / {@value} of the documents the index now
   * holds is retrained (aside; the current version answers meanwhile): the number of XTR centroids
   * follows the token count, and every parameter should see the documents it indexes.
   */
  static final int RETRAIN_GROWTH = 4;

  private void maybeTrainLocked(int documents) {
    for (String n : settings.stages()) {
      LiveDerived d = derived.get(n);
      if (d != null
          && !training.containsKey(n)
          && d.trainedOn() > 0
          && documents >= (long) RETRAIN_GROWTH * d.trainedOn()
          && FirstStages.builders().get(n).trainsParameters()) {
        LOG.log(
            System.Logger.Level.INFO,
            "retraining first stage "
                + n
                + " of "
                + name
                + ": trained on "
                + d.trainedOn()
                + " documents, the index holds "
                + documents);
        startTrainingLocked(n);
        continue;
      }
      if (derived.containsKey(n) || training.containsKey(n) || "failed".equals(state.get(n)))
        continue;
      if (documents >= settings.trainAfterDocuments() && documents > 0) startTrainingLocked(n);
      else waiting(n, documents);
    }
  }

  private void startTrainingLocked(String stage) {
    state.put(stage, derived.containsKey(stage) ? "retraining" : "training");
    if (!derived.containsKey(stage))
      unavailable.put(
          stage,
          "the '"
              + stage
              + "' first stage of index \""
              + name
              + "\" is being trained; until then use "
              + String.join(", ", LatteSearcher.methodsWithoutFirstStage()));
    training.put(stage, trainer.submit(() -> train(stage)));
  }

  /**
   * Trains {@code stage} on the current snapshot and derives its documents, aside (searches and
   * writes go on, a maintained version keeps answering); then, under the write lock, swaps it in
   * and derives the writes made meanwhile.
   */
  private void train(String stage) {
    Path aside = null;
    try {
      DerivedIndexBuilder builder = FirstStages.builders().get(stage);
      Snapshot s = acquire();
      long t0 = System.nanoTime();
      try {
        // Only this part (long, and aside) may be interrupted by a close or a removal.
        synchronized (trainingThreads) {
          if (closed) return;
          trainingThreads.put(stage, Thread.currentThread());
        }
        try {
          aside = LiveDerived.buildAside(path, builder, s.reader(), s.searcher.index().metadata());
        } finally {
          synchronized (trainingThreads) {
            trainingThreads.remove(stage);
            Thread.interrupted(); // an interrupt meant for this training ends with it
          }
        }
      } finally {
        s.release();
      }
      lock.lock();
      try {
        if (closed || writer == null) return;
        if (!settings.stages().contains(stage) && !derived.containsKey(stage))
          return; // removed while it was being trained
        LiveDerived old = derived.remove(stage);
        if (old != null) old.close();
        outOfStep.remove(stage);
        LiveDerived.install(path, stage, aside);
        aside = null;
        LiveDerived d = LiveDerived.open(path, builder, writer.metadata());
        derived.put(stage, d);
        unavailable.remove(stage);
        state.put(stage, "ready");
        syncFirstStagesLocked(); // the writes made while it was built
        swap(snapshot(writer.openNrtReader()));
        LOG.log(
            System.Logger.Level.INFO,
            String.format(
                java.util.Locale.ROOT,
                "first stage %s of %s trained and in step in %.1f s",
                stage,
                name,
                (System.nanoTime() - t0) / 1e9));
      } finally {
        lock.unlock();
      }
    } catch (Throwable e) {
      if (closed || cancelled.contains(stage)) {
        LOG.log(
            System.Logger.Level.INFO,
            "training first stage "
                + stage
                + " of "
                + name
                + " stopped: the index was closed or the stage removed");
      } else {
        LOG.log(System.Logger.Level.ERROR, "training first stage " + stage + " of " + name, e);
        state.put(stage, "failed");
        if (!derived.containsKey(stage))
          unavailable.put(
              stage,
              "training the '"
                  + stage
                  + "' first stage of index \""
                  + name
                  + "\" failed: "
                  + DocumentBatch.firstLine(String.valueOf(e.getMessage()))
                  + "; retry with POST /v1/indexes/"
                  + name
                  + "/first-stages");
      }
    } finally {
      cancelled.remove(stage);
      training.remove(stage);
      if (aside != null) {
        try {
          DerivedIndex.deleteFolder(aside);
        } catch (IOException | RuntimeException e) {
          LOG.log(System.Logger.Level.WARNING, "could not delete " + aside, e);
        }
      }
    }
  }

  /**
   * Adds {@code settings}' stages to those maintained (and takes its training threshold), and
   * (re)trains {@code retrain} now on the current documents; a maintained version of a stage keeps
   * answering until the new one is in step. 409 while one is being trained or the index is empty.
   */
  Map<String, Object> configureFirstStages(FirstStageSettings next, java.util.List<String> retrain)
      throws IOException {
    lock.lock();
    try {
      requireWritable();
      for (String n : retrain)
        if (training.containsKey(n))
          throw ApiException.conflict(
              "training", "the '" + n + "' first stage of index \"" + name + "\" is training");
      int documents = current.reader().numDocs();
      if (!retrain.isEmpty() && documents == 0)
        throw ApiException.conflict(
            "empty_index",
            "index \"" + name + "\" has no documents to train first stages on; add some first");
      next.with(retrain).write(path, JSON);
      settings = next.with(retrain);
      for (String n : retrain) startTrainingLocked(n);
      maybeTrainLocked(documents);
      return firstStageStates();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Stops maintaining {@code stage} and deletes it; false if it was neither configured nor built.
   */
  boolean removeFirstStage(String stage) throws IOException {
    java.util.concurrent.Future<?> running;
    lock.lock();
    try {
      requireWritable();
      running = training.get(stage);
    } finally {
      lock.unlock();
    }
    if (running != null) {
      cancelTraining(stage);
      try {
        running.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      } catch (java.util.concurrent.ExecutionException e) {
        // its failure is recorded; removing it anyway
      }
    }
    lock.lock();
    try {
      requireWritable();
      boolean known =
          settings.stages().contains(stage) || Files.isDirectory(DerivedIndex.dir(path, stage));
      if (!known) return false;
      settings = settings.without(stage);
      settings.write(path, JSON);
      LiveDerived d = derived.remove(stage);
      if (d != null) d.close();
      outOfStep.remove(stage);
      state.remove(stage);
      unavailable.remove(stage);
      DerivedIndex.delete(path, stage);
      swap(snapshot(writer.openNrtReader()));
      return true;
    } finally {
      lock.unlock();
    }
  }

  int poolFactor() {
    Snapshot s = acquire();
    try {
      return s.searcher.index().metadata().poolFactor();
    } finally {
      s.release();
    }
  }

  FirstStageSettings firstStageSettings() {
    lock.lock();
    try {
      return settings;
    } finally {
      lock.unlock();
    }
  }

  /** Per first stage: its state (ready, training, waiting, out_of_step, failed) and message. */
  Map<String, Object> firstStageStates() {
    Map<String, Object> out = new LinkedHashMap<>();
    for (var e : new java.util.TreeMap<>(state).entrySet()) {
      Map<String, Object> one = new LinkedHashMap<>();
      one.put("state", e.getValue());
      LiveDerived d = derived.get(e.getKey());
      if (d != null && d.trainedOn() >= 0) one.put("trained_on_documents", d.trainedOn());
      String why = unavailable.get(e.getKey());
      if (why != null) one.put("message", why);
      out.put(e.getKey(), one);
    }
    return out;
  }

  /** Interrupts the training of {@code stage} (all stages if null); it stops at its next check. */
  private void cancelTraining(String stage) {
    synchronized (trainingThreads) {
      for (var e : trainingThreads.entrySet()) {
        if (stage == null || stage.equals(e.getKey())) {
          cancelled.add(e.getKey());
          e.getValue().interrupt();
        }
      }
    }
  }

  /** Waits until no first stage is training (tests and orderly shutdown). */
  void awaitTraining() throws InterruptedException {
    for (var f : training.values()) {
      try {
        f.get();
      } catch (java.util.concurrent.ExecutionException
          | java.util.concurrent.CancellationException e) {
        // recorded by the task
      }
    }
  }

  /**
   * Ends every write, with the lock held: commits what the write changed (durable; if the commit
   * fails the writer is rolled back to the last commit and the failure rethrown), brings the
   * maintained first stages in step with it ({@link #afterCommitLocked}), then refreshes (visible
   * to every search that starts afterwards, first stages included). The one place where writes
   * become durable and visible: every write method ends here.
   */
  private Double commitAndRefreshLocked() throws IOException {
    try {
      writer.commit();
    } catch (IOException | RuntimeException e) {
      discardUncommitted(e);
      throw e;
    }
    return afterCommitLocked();
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
      if (writer != null) {
        out.put("first_stages", firstStageStates());
        out.put("train_after_documents", settings.trainAfterDocuments());
      } else {
        out.put("first_stages", offlineFirstStages(index.reader()));
      }
      return out;
    } finally {
      s.release();
    }
  }

  /**
   * A read-only index's first stages: those built offline ({@code ./latte index --first-stage}),
   * "ready" when in step with {@code reader}, else "stale" (their methods answer 409 naming the
   * rebuild command).
   */
  private Map<String, Object> offlineFirstStages(DirectoryReader reader) throws IOException {
    OfflineStates known = offlineStates;
    if (known != null && known.reader() == reader) return known.states();
    Map<String, Object> out = new LinkedHashMap<>();
    for (String n : new java.util.TreeSet<>(FirstStages.builders().keySet())) {
      if (!Files.isDirectory(DerivedIndex.dir(path, n))) continue;
      out.put(
          n,
          Map.of(
              "state",
              DerivedIndex.isFresh(path, FirstStages.builders().get(n).format(), reader)
                  ? "ready"
                  : "stale"));
    }
    offlineStates = new OfflineStates(reader, out); // checked once per snapshot, not per request
    return out;
  }

  private record OfflineStates(DirectoryReader reader, Map<String, Object> states) {}

  private volatile OfflineStates offlineStates;

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
    } finally {
      lock.unlock();
    }
    // A training in progress is interrupted (it stops at its next check: a k-means iteration, a few
    // hundred documents) and discards its work; waiting for it keeps it from writing into a folder
    // that is deleted next.
    cancelTraining(null);
    try {
      awaitTraining();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    lock.lock();
    try {
      swap(null);
      try {
        for (LiveDerived d : derived.values()) d.close();
        derived.clear();
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
