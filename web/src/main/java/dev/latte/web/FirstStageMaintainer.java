package dev.latte.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.latte.indexer.firststage.FirstStageBuilder;
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.indexer.firststage.LiveFirstStage;
import dev.latte.indexer.lists.TokenCompaction;
import dev.latte.searcher.LatteSearcher;
import dev.latte.searcher.firststage.FirstStages;
import dev.latte.searcher.firststage.warp.WarpBuilder;
import dev.latte.web.MaintainedStage.State;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import org.apache.lucene.index.DirectoryReader;

/**
 * The first stages a writable {@link LiveIndex} maintains, one {@link MaintainedStage} each: which
 * stages are configured ({@link FirstStageSettings}), training them in the background once the
 * index holds enough documents (and retraining them when it has grown {@value #RETRAIN_GROWTH}×),
 * and keeping every trained stage in step with each write before the write is answered.
 *
 * <p>Every method but {@link #statuses()}, {@link #remove} and {@link #awaitTraining()} runs with
 * the index's write lock held (the callers in {@link LiveIndex} hold it); training runs aside on
 * the trainer thread and takes the lock only to swap its result in.
 */
final class FirstStageMaintainer {
  private static final System.Logger LOG = System.getLogger(FirstStageMaintainer.class.getName());
  private static final ObjectMapper JSON = FirstStageSettings.JSON;

  /**
   * A stage whose parameters were trained on fewer than 1 / {@value} of the documents the index now
   * holds is retrained (aside; the current version answers meanwhile): the number of XTR centroids
   * follows the token count, and every parameter should see the documents it indexes.
   */
  static final int RETRAIN_GROWTH = 4;

  private final LiveIndex index;
  private final String name;
  private final Path path;
  private final ExecutorService trainer;
  private final Map<String, MaintainedStage> stages = new ConcurrentSkipListMap<>();
  private volatile FirstStageSettings settings = FirstStageSettings.NONE;

  FirstStageMaintainer(LiveIndex index, ExecutorService trainer) {
    this.index = index;
    this.name = index.name;
    this.path = index.path;
    this.trainer = trainer;
  }

  FirstStageSettings settings() {
    return settings;
  }

  /**
   * Reads the settings, drops builds a crash interrupted, opens every maintained first stage (the
   * configured ones and any built in the folder, e.g. by {@code ./latte index --first-stage}) and
   * brings each in step with the last commit (after a crash between the main and a derived commit
   * it lacks that write, or holds none of it).
   */
  void init() throws IOException {
    settings = FirstStageSettings.read(path, JSON);
    LiveFirstStage.deleteUnfinished(path);
    var builders = FirstStages.builders();
    List<String> names = new ArrayList<>(settings.stages());
    for (String n : builders.keySet())
      if (!names.contains(n) && Files.isDirectory(FirstStageIndex.dir(path, n))) names.add(n);
    try (DirectoryReader main = index.writer().openNrtReader()) {
      for (String n : names) {
        if (!Files.isDirectory(FirstStageIndex.dir(path, n))) {
          waiting(n, main.numDocs());
          continue;
        }
        MaintainedStage st = stage(n);
        try {
          LiveFirstStage d = LiveFirstStage.open(path, builders.get(n), index.writer().metadata());
          try {
            d.sync(main);
            d.commit();
          } catch (IOException | RuntimeException e) {
            d.close();
            throw e;
          }
          st.deriver = d;
          st.state = State.READY;
        } catch (IOException | RuntimeException e) {
          String why = DocumentBatch.firstLine(e.getMessage());
          LOG.log(System.Logger.Level.WARNING, "first stage " + n + " of " + name + ": " + why);
          st.state = State.FAILED;
          st.message =
              "the '"
                  + n
                  + "' first stage of index \""
                  + name
                  + "\" cannot be used: "
                  + why
                  + "; rebuild it with POST /v1/indexes/"
                  + name
                  + "/first-stages";
        }
      }
      for (String n : settings.stages()) if (!stages.containsKey(n)) waiting(n, main.numDocs());
    }
  }

  private MaintainedStage stage(String n) {
    return stages.computeIfAbsent(n, k -> new MaintainedStage(k, State.WAITING));
  }

  private void waiting(String n, int documents) {
    MaintainedStage st = stage(n);
    st.state = State.WAITING;
    st.message =
        "the '"
            + n
            + "' first stage of index \""
            + name
            + "\" is not trained yet: it trains once the index holds "
            + settings.trainAfterDocuments()
            + " documents (it holds "
            + documents
            + "), or now with POST /v1/indexes/"
            + name
            + "/first-stages";
  }

  /** True if a stage failed to follow a write and must be brought in step at the next refresh. */
  boolean anyOutOfStep() {
    for (MaintainedStage st : stages.values()) if (st.outOfStep) return true;
    return false;
  }

  /** True if some stage is trained (so writes must keep it in step). */
  boolean anyTrained() {
    for (MaintainedStage st : stages.values()) if (st.deriver != null) return true;
    return false;
  }

  /** Readers of the stages in step, for a new snapshot (the caller owns them). */
  Map<String, DirectoryReader> openReaders() throws IOException {
    Map<String, DirectoryReader> readers = new LinkedHashMap<>();
    try {
      for (MaintainedStage st : stages.values()) {
        LiveFirstStage d = st.deriver;
        if (d != null && !st.outOfStep) readers.put(st.name, d.openReader());
      }
    } catch (IOException | RuntimeException e) {
      for (DirectoryReader r : readers.values()) r.close();
      throw e;
    }
    return readers;
  }

  /** Per known first stage that cannot answer on a new snapshot: the message its methods give. */
  Map<String, String> unavailable() {
    Map<String, String> why = new LinkedHashMap<>();
    for (MaintainedStage st : stages.values()) if (st.message != null) why.put(st.name, st.message);
    for (String n : FirstStages.builders().keySet()) {
      MaintainedStage st = stages.get(n);
      if ((st == null || st.deriver == null) && !why.containsKey(n))
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
    }
    return why;
  }

  /**
   * After a main-index commit (or at a refresh, for stages out of step): brings every trained stage
   * in step with the writer's newest state. A stage that fails stays out of step, answers 409, and
   * is retried at the next write or refresh; the main write stays acknowledged.
   */
  void sync() throws IOException {
    if (!anyTrained()) return;
    try (DirectoryReader main = index.writer().openNrtReader()) {
      for (MaintainedStage st : stages.values()) {
        LiveFirstStage d = st.deriver;
        if (d == null) continue;
        try {
          d.sync(main);
          d.commit();
          if (st.outOfStep) {
            st.outOfStep = false;
            st.message = null;
            st.state = State.READY;
          }
        } catch (IOException | RuntimeException e) {
          try {
            d.rollback();
          } catch (IOException | RuntimeException r) {
            e.addSuppressed(r);
          }
          LOG.log(System.Logger.Level.ERROR, "first stage " + st.name + " of " + name, e);
          st.outOfStep = true;
          st.state = State.OUT_OF_STEP;
          st.message =
              "the '"
                  + st.name
                  + "' first stage of index \""
                  + name
                  + "\" could not follow the last write ("
                  + DocumentBatch.firstLine(e.getMessage())
                  + "); it is retried at the next write or refresh";
        }
      }
    }
  }

  /** Merges every trained stage down to {@code maxSegments}; a failure leaves it unmerged. */
  void merge(int maxSegments) {
    for (MaintainedStage st : stages.values()) {
      LiveFirstStage d = st.deriver;
      if (d == null) continue;
      try {
        d.forceMerge(maxSegments);
        d.commit();
      } catch (IOException | RuntimeException e) {
        // The first stage stays correct, just unmerged.
        LOG.log(System.Logger.Level.WARNING, "merging first stage " + d.name() + " failed", e);
      }
    }
  }

  /** Starts the trainings that are due for an index of {@code documents} documents. */
  void startDue(int documents) {
    for (String n : settings.stages()) {
      MaintainedStage st = stages.get(n);
      LiveFirstStage d = st == null ? null : st.deriver;
      boolean training = st != null && st.training != null;
      if (d != null
          && !training
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
        startTraining(n);
        continue;
      }
      if (d != null || training || (st != null && st.state == State.FAILED)) continue;
      if (documents >= settings.trainAfterDocuments() && documents > 0) startTraining(n);
      else waiting(n, documents);
    }
  }

  private void startTraining(String n) {
    MaintainedStage st = stage(n);
    st.state = st.deriver != null ? State.RETRAINING : State.TRAINING;
    if (st.deriver == null)
      st.message =
          "the '"
              + n
              + "' first stage of index \""
              + name
              + "\" is being trained; until then use "
              + String.join(", ", LatteSearcher.methodsWithoutFirstStage());
    // Published before it runs, so that its end (which clears it) always comes after.
    FutureTask<Void> task = new FutureTask<>(() -> train(st), null);
    st.training = task;
    trainer.execute(task);
  }

  /**
   * Trains {@code st} on the current snapshot and derives its documents, aside (searches and writes
   * go on, a maintained version keeps answering); then, under the write lock, swaps it in and
   * derives the writes made meanwhile.
   */
  private void train(MaintainedStage st) {
    Path aside = null;
    String stage = st.name;
    try {
      FirstStageBuilder builder = FirstStages.builders().get(stage);
      IndexSnapshot s = index.acquire();
      long t0 = System.nanoTime();
      try {
        // Only this part (long, and aside) may be interrupted by a close or a removal.
        synchronized (st) {
          if (index.isClosed()) return;
          st.trainingThread = Thread.currentThread();
        }
        try {
          aside =
              LiveFirstStage.buildAside(path, builder, s.reader(), s.searcher.index().metadata());
        } finally {
          synchronized (st) {
            st.trainingThread = null;
            Thread.interrupted(); // an interrupt meant for this training ends with it
          }
        }
      } finally {
        s.release();
      }
      index.lock.lock();
      try {
        if (index.isClosed() || index.writer() == null) return;
        if (stages.get(stage) != st) return; // removed while it was being trained
        LiveFirstStage old = st.deriver;
        st.deriver = null;
        if (old != null) old.close();
        st.outOfStep = false;
        LiveFirstStage.install(path, stage, aside);
        aside = null;
        st.deriver = LiveFirstStage.open(path, builder, index.writer().metadata());
        st.message = null;
        st.state = State.READY;
        sync(); // the writes made while it was built
        index.swapInFreshLocked();
        LOG.log(
            System.Logger.Level.INFO,
            String.format(
                Locale.ROOT,
                "first stage %s of %s trained and in step in %.1f s",
                stage,
                name,
                (System.nanoTime() - t0) / 1e9));
      } finally {
        index.lock.unlock();
      }
      // One copy of the tokens, as ./latte index leaves it: the codes the new lists hold leave the
      // main index (skipped once a removal cancelled this task, or another build replaced it).
      if (stage.equals(WarpBuilder.NAME))
        LiveCompaction.afterBuild(
            index, () -> stages.get(stage) == st && st.deriver != null && !st.cancelled);
    } catch (Throwable e) {
      if (index.isClosed() || st.cancelled) {
        LOG.log(
            System.Logger.Level.INFO,
            "training first stage "
                + stage
                + " of "
                + name
                + " stopped: the index was closed or the stage removed");
      } else {
        LOG.log(System.Logger.Level.ERROR, "training first stage " + stage + " of " + name, e);
        st.state = State.FAILED;
        if (st.deriver == null)
          st.message =
              "training the '"
                  + stage
                  + "' first stage of index \""
                  + name
                  + "\" failed: "
                  + DocumentBatch.firstLine(String.valueOf(e.getMessage()))
                  + "; retry with POST /v1/indexes/"
                  + name
                  + "/first-stages";
      }
    } finally {
      st.cancelled = false;
      st.training = null;
      if (aside != null) {
        try {
          FirstStageIndex.deleteFolder(aside);
        } catch (IOException | RuntimeException e) {
          LOG.log(System.Logger.Level.WARNING, "could not delete " + aside, e);
        }
      }
    }
  }

  /**
   * Adds {@code next}'s stages to those maintained (and takes its training threshold), and
   * (re)trains {@code retrain} now on the index's {@code documents}; a maintained version of a
   * stage keeps answering until the new one is in step. Refused while one is being trained or the
   * index is empty.
   */
  List<MaintainedStage.Status> configure(
      FirstStageSettings next, List<String> retrain, int documents) throws IOException {
    for (String n : retrain) {
      MaintainedStage st = stages.get(n);
      if (st != null && st.training != null)
        throw Refusal.conflict(
            "training", "the '" + n + "' first stage of index \"" + name + "\" is training");
    }
    if (!retrain.isEmpty() && documents == 0)
      throw Refusal.conflict(
          "empty_index",
          "index \"" + name + "\" has no documents to train first stages on; add some first");
    next.with(retrain).write(path, JSON);
    settings = next.with(retrain);
    for (String n : retrain) startTraining(n);
    startDue(documents);
    return statuses();
  }

  /**
   * Stops maintaining {@code stage} and deletes it (a training under way is cancelled first); false
   * if it was neither configured nor built. Takes the write lock itself.
   */
  boolean remove(String stage) throws IOException {
    Future<?> running;
    index.lock.lock();
    try {
      index.requireWritable();
      MaintainedStage st = stages.get(stage);
      running = st == null ? null : st.training;
      if (running != null) st.cancelTraining();
    } finally {
      index.lock.unlock();
    }
    if (running != null) {
      try {
        running.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      } catch (ExecutionException | CancellationException e) {
        // its failure is recorded; removing it anyway
      }
    }
    index.lock.lock();
    try {
      index.requireWritable();
      boolean known =
          settings.stages().contains(stage) || Files.isDirectory(FirstStageIndex.dir(path, stage));
      if (!known) return false;
      if (stage.equals(WarpBuilder.NAME)
          && TokenCompaction.keepsCodesInLists(index.writer().lastCommitData()))
        throw Refusal.conflict(
            "only_copy",
            "the '"
                + stage
                + "' first stage of index \""
                + name
                + "\" holds the only copy of its documents' residual codes (one-copy layout), so"
                + " it cannot be removed; rebuild it instead with POST /v1/indexes/"
                + name
                + "/first-stages {\"first_stages\": [\"warp\"]}");
      settings = settings.without(stage);
      settings.write(path, JSON);
      MaintainedStage st = stages.remove(stage);
      if (st != null && st.deriver != null) st.deriver.close();
      FirstStageIndex.delete(path, stage);
      index.swapInFreshLocked();
      return true;
    } finally {
      index.lock.unlock();
    }
  }

  /** Every stage's state, by name. */
  List<MaintainedStage.Status> statuses() {
    List<MaintainedStage.Status> out = new ArrayList<>();
    for (MaintainedStage st : stages.values()) out.add(st.status());
    return out;
  }

  /** Interrupts every training; each stops at its next check. */
  void cancelTraining() {
    for (MaintainedStage st : stages.values()) st.cancelTraining();
  }

  /** Waits until no first stage is training (tests and orderly shutdown). */
  void awaitTraining() throws InterruptedException {
    for (MaintainedStage st : stages.values()) {
      Future<?> f = st.training;
      if (f == null) continue;
      try {
        f.get();
      } catch (ExecutionException | CancellationException e) {
        // recorded by the task
      }
    }
  }

  /** Closes every stage's derived index (with the lock held, at the index's close). */
  void close() throws IOException {
    IOException failure = null;
    for (MaintainedStage st : stages.values()) {
      LiveFirstStage d = st.deriver;
      st.deriver = null;
      if (d == null) continue;
      try {
        d.close();
      } catch (IOException e) {
        if (failure == null) failure = e;
        else failure.addSuppressed(e);
      }
    }
    stages.clear();
    if (failure != null) throw failure;
  }
}
