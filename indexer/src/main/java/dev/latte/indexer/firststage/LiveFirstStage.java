package dev.latte.indexer.firststage;

import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.IndexMismatchException;
import dev.latte.indexer.IndexProgress;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * A first stage kept in step with a live main index: its own {@link IndexWriter} and the {@link
 * Deriver} of its frozen parameters. After every main-index commit the owner calls {@link #sync}
 * with a reader of that commit and then {@link #commit}; the structure then holds exactly the main
 * index's live document versions (see {@link FirstStageIndex}). If the process dies between the two
 * commits, the next {@link #sync} (on open) derives what is missing and deletes what is gone, so
 * the structure never needs a rebuild to recover. Not thread-safe: the owner serialises calls (the
 * live index's write lock).
 */
public final class LiveFirstStage implements Closeable {
  /** Suffix of the folder a structure is built in before it replaces the maintained one. */
  public static final String BUILDING = ".building";

  private final String name;
  private final FirstStageFormat format;
  private final Path folder;
  private final Directory directory;
  private final Deriver deriver;
  private final int dimension;
  private final int trainedOn;
  private IndexWriter writer;

  private LiveFirstStage(
      FirstStageFormat format,
      Path folder,
      Directory directory,
      Deriver deriver,
      int dim,
      int trainedOn)
      throws IOException {
    this.trainedOn = trainedOn;
    this.name = format.name();
    this.format = format;
    this.folder = folder;
    this.directory = directory;
    this.deriver = deriver;
    this.dimension = dim;
    this.writer = openWriter();
  }

  /**
   * Opens the built structure of {@code builder} beside {@code mainIndex} for maintenance; fails
   * with {@link IndexMismatchException} if it is missing or was written by another format version
   * (it must then be rebuilt).
   */
  public static LiveFirstStage open(
      Path mainIndex, FirstStageBuilder builder, IndexMetadata metadata) throws IOException {
    String name = builder.name();
    Path folder = FirstStageIndex.dir(mainIndex, name);
    if (!Files.isDirectory(folder))
      throw new IndexMismatchException("the '" + name + "' first stage is not built");
    Directory dir = FSDirectory.open(folder);
    try {
      if (!DirectoryReader.indexExists(dir))
        throw new IndexMismatchException("the '" + name + "' first stage is not built");
      var commits = DirectoryReader.listCommits(dir);
      String format = FirstStageIndex.formatOf(commits.getLast().getUserData());
      if (!builder.format().stamp().equals(format))
        throw new IndexMismatchException(
            "the '"
                + name
                + "' first stage was written in format "
                + format
                + ", this version maintains "
                + builder.format().stamp()
                + "; rebuild it");
      String trained = commits.getLast().getUserData().get(FirstStageIndex.TRAINED_ON_KEY);
      return new LiveFirstStage(
          builder.format(),
          folder,
          dir,
          builder.deriver(dir, metadata),
          metadata.dimension(),
          trained == null ? -1 : Integer.parseInt(trained));
    } catch (IOException | RuntimeException e) {
      dir.close();
      throw e;
    }
  }

  private IndexWriter openWriter() throws IOException {
    return new IndexWriter(
        directory,
        new IndexWriterConfig()
            .setOpenMode(IndexWriterConfig.OpenMode.APPEND)
            .setRAMBufferSizeMB(64));
  }

  public String name() {
    return name;
  }

  /** Live main documents its parameters were trained on (-1: not recorded). */
  public int trainedOn() {
    return trainedOn;
  }

  /**
   * Derives the documents of {@code main} this structure lacks and deletes those {@code main} no
   * longer has (uncommitted until {@link #commit}).
   */
  public FirstStageIndex.SyncResult sync(DirectoryReader main) throws IOException {
    try (DirectoryReader current = DirectoryReader.open(writer)) {
      return FirstStageIndex.sync(writer, deriver, current, main, dimension, IndexProgress.NONE);
    }
  }

  /** Makes the synced state durable. */
  public void commit() throws IOException {
    Map<String, String> data = new java.util.HashMap<>();
    data.put(FirstStageIndex.FORMAT_KEY, format.stamp());
    if (trainedOn >= 0) data.put(FirstStageIndex.TRAINED_ON_KEY, Integer.toString(trainedOn));
    writer.setLiveCommitData(data.entrySet());
    writer.commit();
  }

  /** Drops what was synced since the last commit. */
  public void rollback() throws IOException {
    try {
      writer.rollback();
    } finally {
      writer = openWriter();
    }
  }

  /** Merges segments (drops deleted documents); durable after {@link #commit}. */
  public void forceMerge(int maxSegments) throws IOException {
    writer.forceMerge(maxSegments);
  }

  /** A near-real-time reader of the current state; the caller closes it. */
  public DirectoryReader openReader() throws IOException {
    return DirectoryReader.open(writer);
  }

  /**
   * Builds the structure of {@code builder} from {@code main} (training new parameters) in a side
   * folder, leaving a maintained one in place; {@link #install} then swaps it in.
   */
  public static Path buildAside(
      Path mainIndex, FirstStageBuilder builder, DirectoryReader main, IndexMetadata metadata)
      throws IOException {
    Path aside = mainIndex.resolve(FirstStageIndex.PREFIX + builder.name() + BUILDING);
    try {
      builder.buildIn(aside, main, metadata, IndexProgress.NONE);
    } catch (IOException | RuntimeException e) {
      try {
        FirstStageIndex.deleteFolder(aside); // a failed or cancelled build leaves nothing behind
      } catch (IOException | RuntimeException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
    return aside;
  }

  /**
   * Replaces the structure's folder by {@code aside} (from {@link #buildAside}); the caller has
   * closed the {@link LiveFirstStage} of the old one. Readers still open on the old files keep
   * working.
   */
  public static void install(Path mainIndex, String name, Path aside) throws IOException {
    FirstStageIndex.replaceFolder(FirstStageIndex.dir(mainIndex, name), aside);
  }

  /** Deletes side folders of builds a crash interrupted. */
  public static void deleteUnfinished(Path mainIndex) throws IOException {
    try (var s = Files.list(mainIndex)) {
      for (Path p : s.toList()) {
        String f = p.getFileName().toString();
        if (f.startsWith(FirstStageIndex.PREFIX) && f.endsWith(BUILDING) && Files.isDirectory(p))
          FirstStageIndex.deleteFolder(p);
        if (f.startsWith(FirstStageIndex.PREFIX) && f.endsWith(FirstStageIndex.REPLACED))
          FirstStageIndex.restoreInterrupted(
              p.resolveSibling(f.substring(0, f.length() - FirstStageIndex.REPLACED.length())));
      }
    }
  }

  /** Closes without committing (everything synced and committed stays). */
  @Override
  public void close() throws IOException {
    try {
      writer.rollback();
    } finally {
      directory.close();
    }
  }

  @Override
  public String toString() {
    return "LiveFirstStage[" + folder + "]";
  }
}
