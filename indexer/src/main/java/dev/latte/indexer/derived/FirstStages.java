package dev.latte.indexer.derived;

import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.LatteIndexReaderSupport;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/** The first-stage structures by name, and building them for a committed index. */
public final class FirstStages {
  private FirstStages() {}

  /** Every builder, by the name {@code --first-stage} takes. */
  public static Map<String, DerivedIndexBuilder> builders() {
    return builders(null);
  }

  /**
   * Every builder; {@code modelFolder} (may be null) is where SLIM looks for a trained head ({@link
   * SlimBuilder#trainedHead}).
   */
  public static Map<String, DerivedIndexBuilder> builders(Path modelFolder) {
    Map<String, DerivedIndexBuilder> m = new LinkedHashMap<>();
    for (DerivedIndexBuilder b :
        List.of(
            new XtrBuilder(),
            new CoilBuilder(),
            new SlimBuilder(SlimBuilder.Params.DEFAULT, modelFolder),
            new LuceneStockBuilder())) m.put(b.name(), b);
    return m;
  }

  /** Parses "xtr,coil" or "all" into builder names, failing on an unknown one. */
  public static List<String> parse(String list) {
    Map<String, DerivedIndexBuilder> all = builders();
    List<String> out = new ArrayList<>();
    for (String s : list.split(",")) {
      String n = s.trim();
      if (n.isEmpty()) continue;
      if (n.equals("all")) {
        out.addAll(all.keySet());
      } else if (all.containsKey(n)) {
        out.add(n);
      } else {
        throw new IllegalArgumentException(
            "unknown first stage '"
                + n
                + "'; available: "
                + String.join(", ", all.keySet())
                + ", all");
      }
    }
    return out.stream().distinct().toList();
  }

  /**
   * Builds the named structures for the index at {@code index} (all of them when {@code onlyStale}
   * is false, else only those missing or stale). Prints one line per structure built.
   */
  public static void build(
      Path index,
      List<String> names,
      boolean onlyStale,
      Function<String, IndexProgress> progress,
      PrintStream out)
      throws IOException {
    build(index, names, onlyStale, progress, out, null);
  }

  /** As above, with the model folder where SLIM looks for a trained head. */
  public static void build(
      Path index,
      List<String> names,
      boolean onlyStale,
      Function<String, IndexProgress> progress,
      PrintStream out,
      Path modelFolder)
      throws IOException {
    Path p = index.toAbsolutePath().normalize();
    if (!Files.isDirectory(p))
      throw new dev.latte.indexer.IndexMismatchException("index folder not found: " + p);
    Map<String, DerivedIndexBuilder> all = builders(modelFolder);
    try (Directory dir = FSDirectory.open(p);
        var lock = writeLock(dir, p);
        DirectoryReader reader = DirectoryReader.open(dir)) {
      IndexMetadata m = LatteIndexReaderSupport.metadataOf(reader.getIndexCommit());
      for (String name : names) {
        if (onlyStale && DerivedIndex.isFresh(p, name, reader)) continue;
        long t0 = System.nanoTime();
        all.get(name).build(p, reader, m, progress.apply("First stage " + name));
        out.printf(
            Locale.ROOT,
            "Built first stage %s in %.1f s: %s on disk%n",
            name,
            (System.nanoTime() - t0) / 1e9,
            human(bytes(p, name)));
      }
    }
  }

  /**
   * The main index's write lock, held while its first stages are rebuilt: nobody writes the index
   * meanwhile, and a live server that maintains them (it holds the lock) is not pulled from under.
   */
  private static org.apache.lucene.store.Lock writeLock(Directory dir, Path p) throws IOException {
    try {
      return dir.obtainLock(org.apache.lucene.index.IndexWriter.WRITE_LOCK_NAME);
    } catch (org.apache.lucene.store.LockObtainFailedException e) {
      throw new dev.latte.indexer.IndexMismatchException(
          "index "
              + p
              + " is being written by another process (a ./latte serve --data server, or an"
              + " indexing job): stop it first, or have the server build its first stages with"
              + " POST /v1/indexes/NAME/first-stages");
    }
  }

  /** Bytes on disk of a derived structure (0 if absent). */
  public static long bytes(Path index, String name) throws IOException {
    Path d = DerivedIndex.dir(index, name);
    if (!Files.isDirectory(d)) return 0;
    try (var s = Files.walk(d)) {
      return s.filter(Files::isRegularFile)
          .mapToLong(
              f -> {
                try {
                  return Files.size(f);
                } catch (IOException e) {
                  return 0;
                }
              })
          .sum();
    }
  }

  static String human(long b) {
    if (b >= 1L << 30) return String.format(Locale.ROOT, "%.2f GiB", b / (double) (1L << 30));
    return String.format(Locale.ROOT, "%.1f MiB", b / (double) (1L << 20));
  }
}
