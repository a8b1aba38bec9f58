package dev.latte.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.latte.datasets.Document;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.ShardManifest;
import dev.latte.indexer.lists.TokenCompaction;
import java.nio.file.Path;
import java.util.List;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.FSDirectory;

/**
 * The live API on shards laid out as the Spark job writes them now: residual-2 with one codebook,
 * each shard's WARP packed and its codes only in the lists (one copy). Every write, delete,
 * replacement (of documents whose codes the lists alone hold), metadata update and restart of
 * {@link ServeShardedLiveTest} works on them too.
 */
class ServeCompactShardsLiveTest extends ServeShardedLiveTest {
  @Override
  void writeShards(List<Document> docs, Path one, Path sharded, String source) throws Exception {
    ServeShardedIndexTest.writeShards(
        docs,
        one,
        sharded,
        SHARDS,
        source,
        new IndexOptions(dev.latte.core.codec.TokenCodec.RESIDUAL_2, 1),
        true);
    for (int i = 0; i < SHARDS; i++)
      try (var dir = FSDirectory.open(sharded.resolve(ShardManifest.shardName(i)));
          DirectoryReader r = DirectoryReader.open(dir)) {
        assertTrue(TokenCompaction.keepsCodesInLists(r.getIndexCommit().getUserData()), "" + i);
        assertEquals(
            0, TokenCompaction.plan(r, sharded.resolve(ShardManifest.shardName(i))).kept());
      }
  }
}
