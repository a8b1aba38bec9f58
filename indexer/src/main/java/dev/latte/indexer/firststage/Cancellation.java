package dev.latte.indexer.firststage;

import java.util.concurrent.CancellationException;

/**
 * Where long first-stage work (k-means, PCA, passes over every document) stops when its thread is
 * interrupted: a live index being closed or deleted interrupts the background training of its first
 * stages instead of waiting minutes for it. The work is aside, so stopping loses nothing.
 */
public final class Cancellation {
  private Cancellation() {}

  /** Throws if the current thread was interrupted (the flag stays set for the caller to see). */
  public static void check() {
    if (Thread.currentThread().isInterrupted())
      throw new CancellationException("first-stage work cancelled (its thread was interrupted)");
  }
}
