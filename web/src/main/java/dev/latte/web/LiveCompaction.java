package dev.latte.web;

import dev.latte.indexer.LatteIndexWriter;
import dev.latte.indexer.lists.TokenCompaction;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;

/**
 * One copy of the tokens on a served index: after the server has (re)built the WARP stage and
 * swapped it in, the codes the new lists hold leave the main index, as {@code ./latte index} does
 * ({@link TokenCompaction}), without stopping searches or writes for longer than a swap.
 *
 * <ol>
 *   <li>Plan, without the lock, on the snapshot the new lists were swapped in with: every live
 *       document whose codes the lists hold byte for byte ({@link TokenCompaction#plan}; the slow
 *       part: every document's codes are read twice).
 *   <li>Under the write lock: keep the moves still valid in the writer's newest state (same id,
 *       same version; {@link TokenCompaction#stillValid}), store those documents' header and
 *       centroid ids only, and commit once, marking the index; swap in a fresh snapshot. A document
 *       written or replaced after the lists' snapshot keeps its codes in the main index until the
 *       next build.
 *   <li>Without the lock: merge the main index to one segment, which writes the moved codes' bytes
 *       out of its files (writes go on meanwhile); then commit and swap in under the lock.
 * </ol>
 *
 * <p>Crash-safe by order, as the CLI's: the lists and refs were complete and renamed into place
 * before step 1, and step 2 is one Lucene commit, so a kill at any point leaves each document's
 * codes in the main index, in the lists, or in both. A failure leaves the index correct (codes
 * still in the main index, or moved but not yet merged away) and is logged; the next build retries.
 */
final class LiveCompaction {
  private static final System.Logger LOG = System.getLogger(LiveCompaction.class.getName());

  /** Runs between the plan and the moves (tests: a write landing while the server compacts). */
  static volatile Runnable afterPlan = () -> {};

  private LiveCompaction() {}

  /**
   * Moves the codes of {@code index}'s documents into its freshly installed WARP lists; {@code
   * installed} tells, with the lock held, whether those lists are still the index's (not removed or
   * replaced meanwhile). Called by the trainer thread without the lock.
   */
  static void afterBuild(LiveIndex index, BooleanSupplier installed) {
    long t0 = System.nanoTime();
    try {
      TokenCompaction.Plan plan;
      IndexSnapshot s = index.acquire();
      try {
        plan = TokenCompaction.plan(s.reader(), index.path);
      } finally {
        s.release();
      }
      if (plan.moves().isEmpty()) return;
      afterPlan.run();
      LatteIndexWriter writer;
      int moved;
      index.lock.lock();
      try {
        writer = index.writer();
        if (index.isClosed() || writer == null || !installed.getAsBoolean()) return;
        List<TokenCompaction.Move> valid;
        try (var current = writer.openNrtReader()) {
          valid = TokenCompaction.stillValid(current, plan.moves());
        }
        if (valid.isEmpty()) return;
        try {
          for (TokenCompaction.Move m : valid) writer.moveCodesToLists(m);
        } catch (IOException | RuntimeException e) {
          index.discardUncommitted(e);
          throw e;
        }
        index.commitAndRefreshLocked();
        moved = valid.size();
      } finally {
        index.lock.unlock();
      }
      // The merge runs beside writes; a write that rolls the writer back aborts it (logged below).
      writer.forceMerge(1);
      index.lock.lock();
      try {
        if (!index.isClosed() && index.writer() == writer) index.commitAndRefreshLocked();
      } finally {
        index.lock.unlock();
      }
      LOG.log(
          System.Logger.Level.INFO,
          String.format(
              Locale.ROOT,
              "index %s: moved the residual codes of %d documents into the WARP lists (one copy;"
                  + " %d keep theirs in the main index) in %.1f s",
              index.name,
              moved,
              plan.kept() + plan.moves().size() - moved,
              (System.nanoTime() - t0) / 1e9));
    } catch (IOException | RuntimeException e) {
      if (index.isClosed()) return;
      LOG.log(
          System.Logger.Level.WARNING,
          "index "
              + index.name
              + ": moving residual codes into the WARP lists failed (they stay in the main index"
              + " until the next build)",
          e);
    }
  }
}
