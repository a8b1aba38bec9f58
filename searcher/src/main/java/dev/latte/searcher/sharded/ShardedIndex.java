package dev.latte.searcher.sharded;

import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.IndexMismatchException;
import dev.latte.indexer.LatteIndexReaderSupport;
import dev.latte.indexer.ResidualCodebookFile;
import dev.latte.indexer.ShardManifest;
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.firststage.FirstStage;
import dev.latte.searcher.firststage.FirstStages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * Opens a sharded index ({@link ShardManifest}) as one {@link LatteIndex}: the shards' main readers
 * become one reader ({@link ShardedReader}), and so do the shards' readers of each first stage.
 * Every method then runs over all shards' documents exactly as over one index holding them all:
 * BM25 with collection-wide statistics, first stages with the parameters all shards share (read
 * from the sharded folder's own {@code latte-<stage>} folders) and their links by write sequence
 * number (disjoint per shard), filters, explanations and paging unchanged. Read-only.
 */
public final class ShardedIndex {
  private ShardedIndex() {}

  /**
   * Opens the sharded index in {@code root}, checking that every shard matches the manifest; a
   * query searches its shards on up to {@link ShardFanOut#defaultThreads()} threads.
   */
  public static LatteIndex open(Path root) throws IOException {
    return open(root, ShardFanOut.defaultThreads());
  }

  /** As above, a query searching its shards on up to {@code threads} threads (1: sequentially). */
  public static LatteIndex open(Path root, int threads) throws IOException {
    if (threads < 1)
      throw new IllegalArgumentException("shard search threads must be >= 1, got " + threads);
    ShardManifest manifest = ShardManifest.read(root);
    if (manifest.shards().isEmpty())
      throw new IndexMismatchException("sharded index " + root + " lists no shards");
    DirectoryReader main = null;
    Map<String, DirectoryReader> stages = new LinkedHashMap<>();
    try {
      main = readers(root, manifest, null);
      IndexMetadata meta = LatteIndexReaderSupport.metadataOf(main.getIndexCommit());
      for (DirectoryReader shard : ((ShardedReader) main).shards()) {
        IndexMetadata m = LatteIndexReaderSupport.metadataOf(shard.getIndexCommit());
        if (!m.modelFingerprint().equals(meta.modelFingerprint())
            || !m.options().equals(meta.options())
            || m.dimension() != meta.dimension())
          throw new IndexMismatchException(
              "sharded index "
                  + root
                  + ": shard "
                  + shard.directory()
                  + " holds "
                  + m.modelName()
                  + " "
                  + m.options().label()
                  + " token matrices, the first shard "
                  + meta.modelName()
                  + " "
                  + meta.options().label()
                  + "; shards of one index come from one job");
      }
      checkCodebooks(root, (ShardedReader) main, meta);
      Map<String, String> unavailable = new LinkedHashMap<>();
      for (FirstStage stage : FirstStages.DEFAULT.all()) {
        String name = stage.name();
        ShardManifest.Stage listed = manifest.firstStages().get(name);
        if (listed == null) {
          unavailable.put(
              name,
              "sharded index "
                  + root
                  + " has no '"
                  + name
                  + "' first stage; the job that writes the shards builds it with --first-stage "
                  + name);
        } else if (!listed.format().equals(stage.format().stamp())) {
          unavailable.put(
              name,
              "sharded index "
                  + root
                  + "'s '"
                  + name
                  + "' first stage was written in format "
                  + listed.format()
                  + ", this build reads "
                  + stage.format().stamp()
                  + "; run the job again");
        } else {
          stages.put(name, readers(root, manifest, FirstStageIndex.PREFIX + name));
        }
      }
      int parallel = Math.min(threads, manifest.shards().size());
      return LatteIndex.of(root, main, meta, stages, unavailable, ShardFanOut.of(parallel));
    } catch (IOException | RuntimeException e) {
      // LatteIndex.of released the stage readers if it failed; before it, nothing owns them.
      if (main != null && main.getRefCount() > 0) main.close();
      for (DirectoryReader r : stages.values()) if (r.getRefCount() > 0) r.close();
      throw e;
    }
  }

  /**
   * A snapshot of a live sharded index (each shard served and written on its own, e.g. over HTTP)
   * from its shards' current snapshots: one reader over their readers and, for each first stage the
   * manifest lists that every shard keeps in step, one reader over the shards' readers of it; a
   * stage some shard cannot serve now is unavailable with that shard's reason. It takes one
   * reference of each reader it uses (released when it closes), so the shards' snapshots may be
   * released or replaced meanwhile. {@code fanOut} is borrowed, not closed with it.
   */
  public static LatteIndex over(
      Path root, ShardManifest manifest, List<LatteIndex> shards, ShardFanOut fanOut)
      throws IOException {
    List<DirectoryReader> mains = new ArrayList<>();
    for (LatteIndex s : shards) {
      s.reader().incRef();
      mains.add(s.reader());
    }
    ShardedReader main;
    try {
      main = ShardedReader.sharing(mains);
    } catch (IOException | RuntimeException e) {
      for (DirectoryReader r : mains) r.decRef();
      throw e;
    }
    Map<String, DirectoryReader> stages = new LinkedHashMap<>();
    Map<String, String> unavailable = new LinkedHashMap<>();
    try {
      for (FirstStage stage : FirstStages.DEFAULT.all()) {
        String name = stage.name();
        if (!manifest.firstStages().containsKey(name)) {
          unavailable.put(
              name,
              "sharded index "
                  + root
                  + " has no '"
                  + name
                  + "' first stage; the job that writes the shards builds it with --first-stage "
                  + name);
          continue;
        }
        List<DirectoryReader> readers = new ArrayList<>();
        try {
          for (LatteIndex s : shards) readers.add(s.openDerived(stage.format()).reader());
          stages.put(name, ShardedReader.sharing(readers));
        } catch (IndexMismatchException e) {
          for (DirectoryReader r : readers) r.decRef();
          unavailable.put(
              name,
              "the '"
                  + name
                  + "' first stage of shard "
                  + shards.get(readers.size()).path().getFileName()
                  + " cannot serve now: "
                  + e.getMessage());
        }
      }
      return LatteIndex.of(
          root, main, shards.getFirst().metadata(), stages, unavailable, fanOut.borrowed());
    } catch (IOException | RuntimeException e) {
      if (main.getRefCount() > 0) main.close();
      for (DirectoryReader r : stages.values()) if (r.getRefCount() > 0) r.decRef();
      throw e;
    }
  }

  /**
   * A residual index's shards code their tokens with one codebook, the job's, which lies beside the
   * manifest (where searchers read it): scores of shards coded otherwise would not compare.
   */
  private static void checkCodebooks(Path root, ShardedReader main, IndexMetadata meta)
      throws IOException {
    if (!meta.options().codec().isResidual()) return;
    if (!Files.isRegularFile(root.resolve(ResidualCodebookFile.FILE)))
      throw new IndexMismatchException(
          "sharded index "
              + root
              + " holds residual token matrices but no shared codebook ("
              + ResidualCodebookFile.FILE
              + ") beside its manifest; run the job again");
    String shared = ResidualCodebookFile.read(root).fingerprint();
    for (DirectoryReader shard : main.shards()) {
      var own = ResidualCodebookFile.readIfPresent(shard.directory());
      if (own == null || !own.fingerprint().equals(shared))
        throw new IndexMismatchException(
            "sharded index "
                + root
                + ": shard "
                + shard.directory()
                + " codes its tokens with "
                + (own == null ? "no" : "another")
                + " residual codebook than the one beside the manifest; shards of one index"
                + " share the job's codebook: run the job again");
    }
  }

  /** One reader over every shard's index in {@code sub} (null: the shard's main index). */
  private static ShardedReader readers(Path root, ShardManifest manifest, String sub)
      throws IOException {
    List<DirectoryReader> opened = new ArrayList<>();
    try {
      for (ShardManifest.Shard s : manifest.shards()) {
        Path p = root.resolve(s.name());
        if (sub != null) p = p.resolve(sub);
        if (!Files.isDirectory(p))
          throw new IndexMismatchException(
              "sharded index " + root + " lists " + p + ", which is missing; run the job again");
        Directory dir = FSDirectory.open(p);
        try {
          opened.add(DirectoryReader.open(dir));
        } catch (IOException | RuntimeException e) {
          dir.close();
          throw e;
        }
      }
      return ShardedReader.of(opened);
    } catch (IOException | RuntimeException e) {
      for (DirectoryReader r : opened) {
        r.close();
        r.directory().close();
      }
      throw e;
    }
  }
}
