package dev.latte.web;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.datasets.Document;
import dev.latte.encoders.TokenEncoder;
import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.LatteIndexReaderSupport;
import dev.latte.indexer.ShardManifest;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.LatteSearcher;
import dev.latte.searcher.firststage.FirstStages;
import dev.latte.searcher.sharded.ShardFanOut;
import dev.latte.searcher.sharded.ShardedIndex;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.function.UnaryOperator;
import org.apache.lucene.search.Query;
import org.apache.lucene.store.FSDirectory;

/**
 * The live API of a sharded index (the Spark job's output, served with {@code --data}): every shard
 * is a {@link LiveIndex} of its own — its writer, its durable commits and rollback, the first
 * stages it keeps in step — and a write goes to the shard owning each document's id, {@code
 * murmur3(id) mod shards} as the job placed it ({@link ShardManifest#shardOf}), so a replaced
 * document replaces its old version in its own shard. A write returns once every shard it touched
 * has committed (a write over several shards that fails midway keeps what the shards before it
 * committed, and is not acknowledged). Searches run on one snapshot over every shard's current
 * snapshot ({@link ShardedIndex#over}): collection-wide BM25 statistics, shards searched in
 * parallel, exactly as the offline sharded index.
 */
final class ShardRouter implements Closeable {
  private final Path root;
  private final ShardManifest manifest;
  private final List<LiveIndex> shards;
  private final ShardFanOut fanOut = ShardFanOut.of(ShardFanOut.defaultThreads());
  // The shards' snapshots the current combined snapshot was built from (to know when to rebuild).
  private List<IndexSnapshot> builtFrom = List.of();

  private ShardRouter(Path root, ShardManifest manifest, List<LiveIndex> shards) {
    this.root = root;
    this.manifest = manifest;
    this.shards = shards;
  }

  /** Opens every shard of the sharded index at {@code root} for writing. */
  static ShardRouter open(
      String name,
      Path root,
      TokenEncoder encoder,
      int encodeThreads,
      int encodeBatch,
      ExecutorService trainer)
      throws IOException {
    ShardManifest manifest = ShardManifest.read(root);
    List<LiveIndex> opened = new ArrayList<>();
    try {
      for (ShardManifest.Shard s : manifest.shards()) {
        Path p = root.resolve(s.name());
        IndexMetadata m;
        try (var dir = FSDirectory.open(p)) {
          m = LatteIndexReaderSupport.metadataIfPresent(dir);
        }
        if (m == null)
          throw new dev.latte.indexer.IndexMismatchException(
              "sharded index "
                  + root
                  + " lists "
                  + p
                  + ", which holds no index; run the job again");
        opened.add(
            LiveIndex.open(
                name + "/" + s.name(), p, encoder, encodeThreads, encodeBatch, m, trainer));
      }
    } catch (IOException | RuntimeException e) {
      for (LiveIndex li : opened) {
        try {
          li.close();
        } catch (IOException | RuntimeException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
    return new ShardRouter(root, manifest, List.copyOf(opened));
  }

  private int shardOf(String id) {
    return ShardManifest.shardOf(id, shards.size());
  }

  /** Adds or replaces each document in its shard; the count written and first-stage time. */
  LiveIndex.Written<Integer> add(Collection<Document> documents) throws Exception {
    Map<Integer, List<Document>> byShard = new java.util.TreeMap<>();
    for (Document d : documents)
      byShard.computeIfAbsent(shardOf(d.id()), k -> new ArrayList<>()).add(d);
    int written = 0;
    Double millis = null;
    for (var e : byShard.entrySet()) {
      LiveIndex.Written<Integer> w = shards.get(e.getKey()).writes().add(e.getValue());
      written += w.value();
      if (w.firstStageMillis() != null)
        millis = (millis == null ? 0 : millis) + w.firstStageMillis();
    }
    return new LiveIndex.Written<>(written, millis);
  }

  /** Deletes these ids from their shards; how many existed. */
  int delete(Collection<String> ids) throws Exception {
    Map<Integer, List<String>> byShard = new java.util.TreeMap<>();
    for (String id : ids) byShard.computeIfAbsent(shardOf(id), k -> new ArrayList<>()).add(id);
    int deleted = 0;
    for (var e : byShard.entrySet())
      deleted += shards.get(e.getKey()).writes().delete(e.getValue());
    return deleted;
  }

  /** Deletes what {@code filter} matches, in every shard; how many matched. */
  int deleteMatching(Query filter) throws Exception {
    int deleted = 0;
    for (LiveIndex s : shards) deleted += s.writes().deleteMatching(filter);
    return deleted;
  }

  /** Metadata updates, each in its document's shard; the new metadata in the order asked. */
  Map<String, ObjectNode> updateMetadata(Map<String, UnaryOperator<ObjectNode>> changes)
      throws Exception {
    Map<Integer, Map<String, UnaryOperator<ObjectNode>>> byShard = new java.util.TreeMap<>();
    for (var e : changes.entrySet())
      byShard
          .computeIfAbsent(shardOf(e.getKey()), k -> new LinkedHashMap<>())
          .put(e.getKey(), e.getValue());
    Map<String, ObjectNode> found = new java.util.HashMap<>();
    for (var e : byShard.entrySet())
      found.putAll(shards.get(e.getKey()).writes().updateMetadata(e.getValue()));
    Map<String, ObjectNode> out = new LinkedHashMap<>();
    for (String id : changes.keySet()) if (found.containsKey(id)) out.put(id, found.get(id));
    return out;
  }

  /** Merges every shard down to at most {@code maxSegments} segments. */
  void merge(int maxSegments) throws Exception {
    for (LiveIndex s : shards) s.writes().merge(maxSegments);
  }

  /**
   * Refreshes every shard ({@code wait}: even while one is being written) and returns a new
   * combined snapshot if any shard's changed since the current one was built, else null.
   */
  IndexSnapshot refreshed(boolean wait) throws IOException {
    for (LiveIndex s : shards) s.refresh(wait);
    List<IndexSnapshot> now = new ArrayList<>();
    try {
      for (LiveIndex s : shards) now.add(s.acquire());
      boolean same = now.size() == builtFrom.size();
      for (int i = 0; same && i < now.size(); i++) same = now.get(i) == builtFrom.get(i);
      if (same) return null;
      List<LatteIndex> indexes = new ArrayList<>();
      for (IndexSnapshot s : now) indexes.add(s.searcher.index());
      LatteIndex combined = ShardedIndex.over(root, manifest, indexes, fanOut);
      TokenEncoder encoder = now.getFirst().searcher.encoder();
      IndexSnapshot next;
      try {
        next = new IndexSnapshot(new LatteSearcher(combined, encoder), null);
      } catch (RuntimeException e) {
        combined.close();
        throw e;
      }
      builtFrom = List.copyOf(now); // identities only: the combined snapshot holds its own refs
      return next;
    } finally {
      for (IndexSnapshot s : now) s.release();
    }
  }

  /** The first stages of the current combined snapshot: ready where every shard serves them. */
  List<MaintainedStage.Status> firstStages(IndexSnapshot combined) throws IOException {
    List<MaintainedStage.Status> out = new ArrayList<>();
    for (String n : manifest.firstStages().keySet()) {
      boolean ready = combined.searcher.index().isFresh(FirstStages.get(n).format());
      out.add(
          new MaintainedStage.Status(
              n, ready ? MaintainedStage.State.READY : MaintainedStage.State.STALE, -1, null));
    }
    return out;
  }

  /** Waits until no shard trains a first stage (tests and orderly shutdown). */
  void awaitTraining() throws InterruptedException {
    for (LiveIndex s : shards) s.awaitTraining();
  }

  @Override
  public void close() throws IOException {
    IOException first = null;
    for (LiveIndex s : shards) {
      try {
        s.close();
      } catch (IOException e) {
        if (first == null) first = e;
      }
    }
    fanOut.close();
    if (first != null) throw first;
  }
}
