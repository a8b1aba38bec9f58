package dev.latte.web;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.datasets.Document;
import dev.latte.indexer.IndexLayout;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.LatteIndexWriter;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermQuery;

/**
 * The writes of one served index ({@link LiveIndex}): add/replace, delete by id or filter, metadata
 * updates and merges. Each runs under the index's lock on a state refreshed to its last commit and
 * ends in one commit and refresh (durable, then visible); one that fails before its commit is
 * rolled back entirely. A sharded index's writes go through its {@link ShardRouter} to the shards
 * that own the ids.
 */
final class LiveWrites {
  private final LiveIndex index;

  LiveWrites(LiveIndex index) {
    this.index = index;
  }

  @FunctionalInterface
  private interface Change<T> {
    T apply() throws Exception;
  }

  /**
   * Every write: under the write lock, on an index refreshed to its last commit, applies {@code
   * change} to the writer; if it fails, rolls back to the last commit and rethrows; if {@code
   * nothing} says it changed nothing, commits nothing; else ends in {@link
   * LiveIndex#commitAndRefreshLocked}.
   */
  private <T> LiveIndex.Written<T> write(Change<T> change, java.util.function.Predicate<T> nothing)
      throws Exception {
    index.lock.lock();
    try {
      index.requireWritable();
      index.refreshLocked(); // normally a no-op: every write refreshes before it unlocks
      T value;
      try {
        value = change.apply();
      } catch (Exception e) {
        index.discardUncommitted(e);
        throw e;
      }
      if (nothing.test(value)) return new LiveIndex.Written<>(value, null);
      return new LiveIndex.Written<>(value, index.commitAndRefreshLocked());
    } finally {
      index.lock.unlock();
    }
  }

  /**
   * A write to a sharded index: under the lock, {@code change} writes through the shards it touches
   * (each commits before it returns), then the combined snapshot is rebuilt, even when the change
   * failed in a later shard after earlier ones committed.
   */
  private <T> T routed(Change<T> change) throws Exception {
    index.lock.lock();
    try {
      if (index.isClosed()) throw Refusal.notFound("no index named \"" + index.name + "\"");
      try {
        return change.apply();
      } finally {
        index.refreshLocked();
      }
    } finally {
      index.lock.unlock();
    }
  }

  /**
   * Encodes and adds (or replaces, by id) {@code documents}, commits and refreshes; returns how
   * many were written. Nothing is kept if any step before the commit fails.
   */
  LiveIndex.Written<Integer> add(Collection<Document> documents) throws Exception {
    if (index.shards() != null) return routed(() -> index.shards().add(documents));
    return write(
        () -> {
          LatteIndexWriter writer = index.writer();
          index.pipeline().run(documents.stream(), writer::add, IndexProgress.NONE);
          return documents.size();
        },
        n -> false);
  }

  /**
   * Deletes the documents with these ids, commits and refreshes; returns how many existed (absent
   * ids are no-ops; nothing is committed when none existed).
   */
  int delete(Collection<String> ids) throws Exception {
    if (index.shards() != null)
      return routed(() -> index.shards().delete(new java.util.LinkedHashSet<>(ids)));
    Collection<String> distinct = new java.util.LinkedHashSet<>(ids);
    return write(
            () -> {
              var searcher = index.currentLocked().searcher.index().searcher();
              int existing = 0;
              for (String id : distinct) {
                if (searcher.count(new TermQuery(new Term(IndexLayout.ID, id))) > 0) {
                  existing++;
                  index.writer().delete(id);
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
    if (index.shards() != null) return routed(() -> index.shards().deleteMatching(filter));
    return write(
            () -> {
              int matching = index.currentLocked().searcher.index().searcher().count(filter);
              if (matching > 0) index.writer().delete(filter);
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
    if (index.shards() != null) return routed(() -> index.shards().updateMetadata(changes));
    return write(
            () -> {
              DirectoryReader reader = index.currentLocked().reader();
              Map<String, ObjectNode> updated = new LinkedHashMap<>();
              for (Map.Entry<String, UnaryOperator<ObjectNode>> e : changes.entrySet()) {
                ObjectNode[] next = new ObjectNode[1];
                UnaryOperator<ObjectNode> change = old -> next[0] = e.getValue().apply(old);
                if (index.writer().replaceMetadata(reader, e.getKey(), change))
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
    if (index.shards() != null) {
      routed(
          () -> {
            index.shards().merge(maxSegments);
            return maxSegments;
          });
      return;
    }
    write(
        () -> {
          index.writer().forceMerge(maxSegments);
          index.stagesLocked().merge(maxSegments);
          return maxSegments;
        },
        n -> false);
  }
}
