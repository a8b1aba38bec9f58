package dev.latte.web;

import dev.latte.indexer.firststage.LiveFirstStage;
import java.util.Locale;
import java.util.concurrent.Future;

/**
 * One first stage an index maintains, as {@link FirstStageMaintainer} keeps it: its state, its
 * deriver (the open derived index, null until trained), the training under way, and the message its
 * methods fail with while it cannot answer. Fields change under the index's write lock (the
 * training thread excepted, which owns {@link #trainingThread}); they are volatile so that status
 * reads need no lock.
 */
final class MaintainedStage {
  /** What a first stage is doing; {@link #json()} is the name the API shows. */
  enum State {
    WAITING,
    TRAINING,
    READY,
    RETRAINING,
    OUT_OF_STEP,
    FAILED,
    /** Built offline and older than the index it serves read-only (its methods answer 409). */
    STALE;

    String json() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** A stage's state for the API: trained on how many documents (-1: unknown), and why not. */
  record Status(String stage, State state, int trainedOnDocuments, String message) {}

  final String name;
  volatile State state;

  /** The maintained derived index; null until trained (or after it failed to open). */
  volatile LiveFirstStage deriver;

  /** Set when it failed to follow a write: its reader is left out of snapshots until in step. */
  volatile boolean outOfStep;

  /** Why its methods cannot answer (null: they can). */
  volatile String message;

  /** The training (or retraining) under way, null when none. */
  volatile Future<?> training;

  /** Set when a removal or close cancelled the training, so its failure is not an error. */
  volatile boolean cancelled;

  /**
   * The thread training it right now, guarded by this object, so an interrupt only ever reaches a
   * thread while it trains this stage.
   */
  Thread trainingThread;

  MaintainedStage(String name, State state) {
    this.name = name;
    this.state = state;
  }

  Status status() {
    LiveFirstStage d = deriver;
    return new Status(name, state, d == null ? -1 : d.trainedOn(), message);
  }

  /** Interrupts its training, if one runs; it stops at its next check. */
  void cancelTraining() {
    synchronized (this) {
      if (trainingThread != null) {
        cancelled = true;
        trainingThread.interrupt();
      }
    }
  }
}
