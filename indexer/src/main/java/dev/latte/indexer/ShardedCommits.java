package dev.latte.indexer;

import java.io.IOException;
import java.util.List;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.Directory;

/**
 * A reader over several shards' commits (a sharded index's, opened as one reader): its own {@link
 * DirectoryReader#directory()} is only the first shard's, so whatever counts files on disk asks it
 * for every shard's reader instead.
 */
public interface ShardedCommits {
  /** The shards' readers, in shard order. */
  List<DirectoryReader> shardReaders();

  /** The readers whose folders hold {@code reader}'s files: every shard's, or itself. */
  static List<DirectoryReader> of(DirectoryReader reader) {
    return reader instanceof ShardedCommits s ? s.shardReaders() : List.of(reader);
  }

  /**
   * Bytes of every file in the folders of {@code reader} (a first stage's structure: its files are
   * all its own), summed over the shards of a sharded index.
   */
  static long folderBytes(DirectoryReader reader) throws IOException {
    long total = 0;
    for (DirectoryReader r : of(reader)) {
      Directory dir = r.directory();
      for (String f : dir.listAll()) total += dir.fileLength(f);
    }
    return total;
  }
}
