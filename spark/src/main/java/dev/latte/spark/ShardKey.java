package dev.latte.spark;

import java.io.Serializable;
import java.util.Comparator;
import org.apache.spark.Partitioner;

/**
 * Where a record goes and in which order: its shard, then its position in the input ({@code file}
 * and {@code index} within it), so a shard sees its records in input order (the first of two with
 * one id is the one kept, as in {@code ./latte index}).
 */
record ShardKey(int shard, long file, long index) implements Serializable {
  static final Comparator<ShardKey> INPUT_ORDER = new InputOrder();

  private static final class InputOrder implements Comparator<ShardKey>, Serializable {
    @Override
    public int compare(ShardKey a, ShardKey b) {
      int c = Integer.compare(a.shard, b.shard);
      if (c != 0) return c;
      c = Long.compare(a.file, b.file);
      return c != 0 ? c : Long.compare(a.index, b.index);
    }
  }

  /** Partition = shard. */
  static final class ByShard extends Partitioner {
    private final int shards;

    ByShard(int shards) {
      this.shards = shards;
    }

    @Override
    public int numPartitions() {
      return shards;
    }

    @Override
    public int getPartition(Object key) {
      return ((ShardKey) key).shard();
    }
  }
}
