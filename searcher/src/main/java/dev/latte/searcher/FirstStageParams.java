package dev.latte.searcher;

import java.io.IOException;
import java.lang.ref.SoftReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The trained parameters of first stages (XTR centroids, the COIL projection, the SLIM table), read
 * from their files once per version of the file and shared: a live index opens a new snapshot after
 * every write, and without this each snapshot's first search would re-read and re-transpose them
 * (the SLIM table of SciFact is 38 MB). A version is the file's path, identity (inode), size and
 * modification time, so a retrained structure (new files) is read anew. Values are softly held:
 * under memory pressure they are dropped and read again.
 */
public final class FirstStageParams {
  private static final ConcurrentHashMap<String, SoftReference<Object>> CACHE =
      new ConcurrentHashMap<>();

  private FirstStageParams() {}

  @FunctionalInterface
  interface Loader<T> {
    T load() throws IOException;
  }

  static <T> T get(Path file, Class<T> type, Loader<T> loader) throws IOException {
    Path p = file.toAbsolutePath().normalize();
    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
    String prefix = p + "|";
    String key = prefix + a.fileKey() + "|" + a.size() + "|" + a.lastModifiedTime();
    SoftReference<Object> ref = CACHE.get(key);
    Object cached = ref == null ? null : ref.get();
    if (type.isInstance(cached)) return type.cast(cached);
    T loaded = loader.load();
    CACHE.keySet().removeIf(k -> k.startsWith(prefix) && !k.equals(key)); // older versions
    CACHE.put(key, new SoftReference<>(loaded));
    return loaded;
  }

  /** Reads parameters from a structure's folder. */
  @FunctionalInterface
  public interface Reader<T> {
    T read(org.apache.lucene.store.Directory dir) throws IOException;
  }

  /** The parameters in file {@code file} of {@code index}'s first stage {@code stage}, shared. */
  public static <T> T of(
      LatteIndex index, String stage, String file, Class<T> type, Reader<T> reader)
      throws IOException {
    Path folder = dev.latte.indexer.firststage.FirstStageIndex.dir(index.path(), stage);
    return get(
        folder.resolve(file),
        type,
        () -> {
          try (var dir = org.apache.lucene.store.FSDirectory.open(folder)) {
            return reader.read(dir);
          }
        });
  }

  /** Builds a searchable structure over a linked reader. */
  @FunctionalInterface
  public interface Opener<T> {
    T open(dev.latte.indexer.firststage.FirstStageIndex.Linked linked) throws IOException;
  }

  /**
   * Opens first stage {@code stage} of {@code index} linked to its snapshot and builds the
   * structure searches use over it, releasing the reader if that fails.
   */
  public static <T> T open(
      LatteIndex index, dev.latte.indexer.firststage.FirstStageFormat stage, Opener<T> opener)
      throws IOException {
    var linked = index.openDerived(stage);
    try {
      return opener.open(linked);
    } catch (IOException | RuntimeException e) {
      linked.reader().close();
      throw e;
    }
  }

  /** Entries held (tests). */
  static int size() {
    return CACHE.size();
  }
}
