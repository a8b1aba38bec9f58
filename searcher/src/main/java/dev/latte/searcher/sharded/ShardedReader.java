package dev.latte.searcher.sharded;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexCommit;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.LeafReaderContext;

/**
 * The segments of several shards' readers as one reader: every leaf of every shard, in shard order.
 * Lucene computes collection statistics (BM25's document counts, frequencies and lengths) over all
 * leaves of a reader, so a query over this reader scores as over one index holding every shard's
 * documents. Point-in-time and read-only: it never reopens (a sharded index is written apart and
 * published whole). It owns the shard readers: closing it closes them.
 *
 * <p>It closes the shards' directories too (they are opened for it alone), unless it was made
 * {@link #sharing} readers that others own (a live shard's near-real-time snapshot): then closing
 * it releases the one reference it took of each. Its directory and commit are the first shard's;
 * they are only read for that shard's Latte metadata, which every shard shares.
 */
final class ShardedReader extends DirectoryReader implements dev.latte.indexer.ShardedCommits {
  private final List<DirectoryReader> shards;
  private final boolean owned; // false: the readers are others', one reference each is ours

  private ShardedReader(List<DirectoryReader> shards, LeafReader[] leaves, boolean owned)
      throws IOException {
    super(shards.getFirst().directory(), leaves, null);
    this.shards = List.copyOf(shards);
    this.owned = owned;
  }

  /** One reader over {@code shards} (at least one), which it then owns. */
  static ShardedReader of(List<DirectoryReader> shards) throws IOException {
    return of(shards, true);
  }

  /**
   * One reader over {@code shards}, each handed over with one reference (incRef'd by the caller),
   * which closing this reader releases; their directories stay their owners'.
   */
  static ShardedReader sharing(List<DirectoryReader> shards) throws IOException {
    return of(shards, false);
  }

  private static ShardedReader of(List<DirectoryReader> shards, boolean owned) throws IOException {
    if (shards.isEmpty()) throw new IllegalArgumentException("no shards");
    List<LeafReader> leaves = new ArrayList<>();
    for (DirectoryReader r : shards) for (LeafReaderContext c : r.leaves()) leaves.add(c.reader());
    return new ShardedReader(shards, leaves.toArray(LeafReader[]::new), owned);
  }

  List<DirectoryReader> shards() {
    return shards;
  }

  @Override
  public List<DirectoryReader> shardReaders() {
    return shards;
  }

  @Override
  protected DirectoryReader doOpenIfChanged() {
    return null;
  }

  @Override
  protected DirectoryReader doOpenIfChanged(java.util.concurrent.ExecutorService executor) {
    return null;
  }

  @Override
  protected DirectoryReader doOpenIfChanged(IndexCommit commit) {
    return null;
  }

  @Override
  protected DirectoryReader doOpenIfChanged(
      IndexCommit commit, java.util.concurrent.ExecutorService executor) {
    return null;
  }

  @Override
  protected DirectoryReader doOpenIfChanged(IndexWriter writer, boolean applyAllDeletes) {
    return null;
  }

  @Override
  protected DirectoryReader doOpenIfChanged(
      IndexWriter writer, boolean applyAllDeletes, java.util.concurrent.ExecutorService executor) {
    return null;
  }

  @Override
  public long getVersion() {
    long v = 0;
    for (DirectoryReader r : shards) v = 31 * v + r.getVersion();
    return v;
  }

  @Override
  public boolean isCurrent() throws IOException {
    for (DirectoryReader r : shards) if (!r.isCurrent()) return false;
    return true;
  }

  @Override
  public IndexCommit getIndexCommit() throws IOException {
    return shards.getFirst().getIndexCommit();
  }

  @Override
  protected void doClose() throws IOException {
    IOException first = null;
    for (DirectoryReader r : shards) {
      try {
        if (!owned) {
          r.decRef();
          continue;
        }
        r.close();
        r.directory().close(); // opened for this reader alone (ShardedIndex)
      } catch (IOException e) {
        if (first == null) first = e;
      }
    }
    if (first != null) throw first;
  }

  @Override
  public CacheHelper getReaderCacheHelper() {
    return null;
  }
}
