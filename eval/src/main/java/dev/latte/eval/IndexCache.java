package dev.latte.eval;

import dev.latte.core.FileTrees;
import dev.latte.datasets.BeirDataset;
import dev.latte.datasets.DatasetException;
import dev.latte.encoders.TokenEncoder;
import dev.latte.indexer.CorpusSource;
import dev.latte.indexer.IndexLayout;
import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.IndexRecoder;
import dev.latte.indexer.IndexStats;
import dev.latte.indexer.LatteIndexReaderSupport;
import dev.latte.indexer.LatteIndexWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;
import org.apache.lucene.store.FSDirectory;

/**
 * The indexes an evaluation searches: built by encoding a collection once per collection and model
 * (in {@code $LATTE_HOME/indexes}, or a folder the user gave), reused while the corpus file, the
 * model and the storage options are unchanged, and re-coded (never re-encoded) for other storage
 * options.
 */
public final class IndexCache {
  private final TokenEncoder encoder;
  private final PrintStream out;

  public IndexCache(TokenEncoder encoder, PrintStream out) {
    this.encoder = encoder;
    this.out = out;
  }

  /** Latte's cached float32 index of this collection and model. */
  public Path defaultIndexDir(BeirDataset ds) {
    return dev.latte.core.LatteHome.dir()
        .resolve("indexes")
        .resolve(ds.name() + "-" + encoder.config().name() + "-" + encoder.fingerprint());
  }

  /**
   * Returns the index for this dataset and model with the given options, building it by encoding if
   * it is missing or was built from another collection, model or options. An index that does not
   * match is rebuilt only if it lives in Latte's cache; elsewhere it is an error, so user data is
   * never deleted.
   */
  public Path ensureIndex(
      BeirDataset ds,
      Path indexDir,
      boolean ownedByCache,
      IndexOptions options,
      int encodeThreads,
      int batchSize,
      IndexProgress progress)
      throws Exception {
    CorpusSource source = CorpusSource.of(ds.dir());
    if (reusable(indexDir, source, options, ownedByCache)) return indexDir;
    long total = source.count();
    out.println(
        "Indexing "
            + String.format(Locale.ROOT, "%,d", total)
            + " documents of "
            + ds.name()
            + " with "
            + encoder.config().name()
            + " ("
            + options.label()
            + ") into "
            + indexDir);
    long t0 = System.nanoTime();
    IndexStats stats;
    try (LatteIndexWriter w =
            LatteIndexWriter.open(
                indexDir, encoder, source.file().toString(), source.fingerprint(), options);
        Stream<dev.latte.datasets.Document> docs = source.documents().get()) {
      progress.start(total);
      w.addAll(docs, encodeThreads, batchSize, progress);
      progress.close();
      stats = w.commit();
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    out.printf(
        Locale.ROOT,
        "Indexed in %.1f s (%.1f docs/s): %s%n",
        secs,
        stats.documents() / secs,
        stats.describe());
    return indexDir;
  }

  /** Where the cached index with {@code options}, re-coded from {@code base}, lives. */
  static Path recodedDir(Path base, IndexOptions options) {
    return options.equals(IndexOptions.DEFAULT)
        ? base
        : base.resolveSibling(base.getFileName() + "@" + options.label());
  }

  /** A cached index with other options, re-coded from the cached float32 one (no re-encoding). */
  Path ensureRecoded(BeirDataset ds, Path base, IndexOptions options) throws Exception {
    if (options.equals(IndexOptions.DEFAULT)) return base;
    Path target = recodedDir(base, options);
    if (reusable(target, CorpusSource.of(ds.dir()), options, true)) return target;
    long t0 = System.nanoTime();
    IndexStats stats = IndexRecoder.recode(base, target, options, IndexProgress.NONE);
    out.printf(
        Locale.ROOT,
        "Re-coded %s as %s in %.1f s: %s%n",
        base.getFileName(),
        options.label(),
        (System.nanoTime() - t0) / 1e9,
        stats.describe());
    return target;
  }

  private boolean reusable(
      Path indexDir, CorpusSource source, IndexOptions options, boolean ownedByCache)
      throws IOException {
    IndexMetadata existing = null;
    if (Files.isDirectory(indexDir)) {
      try (var dir = FSDirectory.open(indexDir)) {
        existing = LatteIndexReaderSupport.metadataIfPresent(dir);
      } catch (RuntimeException e) {
        if (!ownedByCache) throw e;
      }
    }
    if (existing != null
        && existing.layoutVersion() == IndexLayout.LAYOUT_VERSION
        && existing.modelFingerprint().equals(encoder.fingerprint())
        && existing.sourceFingerprint().equals(source.fingerprint())
        && existing.options().equals(options)
        && (!ownedByCache || !options.codec().isResidual() || codedInCurrentForm(indexDir))) {
      out.println(
          "Reusing the index in "
              + indexDir
              + " (same collection, model and "
              + options.label()
              + ").");
      return true;
    }
    if (existing != null || (Files.isDirectory(indexDir) && hasFiles(indexDir))) {
      if (!ownedByCache) {
        throw new DatasetException(
            "index "
                + indexDir
                + " was built from another collection, model or codec (wanted "
                + options.label()
                + "); give another --index folder or delete it");
      }
      FileTrees.deleteRecursively(indexDir);
    }
    Files.createDirectories(indexDir);
    return false;
  }

  /**
   * Whether a cached residual index codes its tokens as {@code ./latte index} does today ({@link
   * dev.latte.core.codec.ResidualCodebook#currentForm}: per-token scales, tangent residuals at 1
   * bit): one cached by an older build still opens and scores as it did, but is re-coded rather
   * than reused silently, so the cache always measures what {@code ./latte index} builds today.
   */
  private boolean codedInCurrentForm(Path indexDir) throws IOException {
    try (var dir = FSDirectory.open(indexDir)) {
      var book = dev.latte.indexer.ResidualCodebookFile.readIfPresent(dir);
      if (book == null || book.currentForm()) return true;
    }
    out.println(
        "The cached index in "
            + indexDir
            + " was coded by an older residual fit (before per-token scales, or before tangent"
            + " residuals at 1 bit); re-coding it.");
    return false;
  }

  private static boolean hasFiles(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isPresent();
    }
  }
}
