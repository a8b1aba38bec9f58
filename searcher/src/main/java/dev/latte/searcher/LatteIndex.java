package dev.latte.searcher;

import dev.latte.encoders.TokenEncoder;
import dev.latte.indexer.IndexLayout;
import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.IndexMismatchException;
import dev.latte.indexer.IndexStats;
import dev.latte.indexer.LatteIndexReaderSupport;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.apache.lucene.document.Document;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * A read-only view of a Latte index at its newest commit: the Lucene reader (memory-mapped), the
 * metadata it was written with, and its statistics.
 */
public final class LatteIndex implements Closeable {
  private static final Set<String> STORED =
      Set.of(IndexLayout.ID, IndexLayout.TITLE, IndexLayout.TEXT);

  private final Path path;
  private final Directory directory;
  private final DirectoryReader reader;
  private final IndexSearcher searcher;
  private final IndexMetadata metadata;
  private final IndexStats stats;
  private final java.util.concurrent.ConcurrentHashMap<String, Object> derived =
      new java.util.concurrent.ConcurrentHashMap<>();
  // First stages a live index keeps in step: their readers (owned), or why one is unavailable.
  private final java.util.Map<String, DirectoryReader> liveDerived;
  private final java.util.Map<String, String> unavailable;
  // A sharded index searches its shards in parallel through it (owned); null otherwise.
  private final dev.latte.searcher.sharded.ShardFanOut fanOut;

  /** Opens one derived first stage of this index. */
  @FunctionalInterface
  public interface FirstStageLoader<T> {
    T load(LatteIndex index) throws IOException;
  }

  private LatteIndex(Path path) throws IOException {
    this.path = path;
    this.directory = FSDirectory.open(path);
    try {
      IndexMetadata m = LatteIndexReaderSupport.metadataIfPresent(directory);
      if (m == null) {
        throw new IndexMismatchException(
            "no index in "
                + path
                + "; build one with: ./latte index --input CORPUS --index "
                + path);
      }
      this.metadata = m;
      this.liveDerived = java.util.Map.of();
      this.unavailable = java.util.Map.of();
      this.fanOut = null;
      this.reader = DirectoryReader.open(directory);
      this.searcher = new IndexSearcher(reader);
      this.searcher.setSimilarity(IndexLayout.similarity());
      this.stats = IndexStats.compute(reader, metadata);
    } catch (IOException | RuntimeException e) {
      directory.close();
      throw e;
    }
  }

  public static LatteIndex open(Path path) throws IOException {
    Path p = path.toAbsolutePath().normalize();
    if (!Files.isDirectory(p)) {
      throw new IndexMismatchException(
          "index folder not found: "
              + p
              + "; build one with: ./latte index --input CORPUS --index "
              + p);
    }
    // A folder of shards written apart (the Spark job) opens as one index over all of them.
    if (dev.latte.indexer.ShardManifest.isSharded(p))
      return dev.latte.searcher.sharded.ShardedIndex.open(p);
    return new LatteIndex(p);
  }

  private LatteIndex(
      Path path,
      DirectoryReader reader,
      IndexMetadata metadata,
      java.util.Map<String, DirectoryReader> liveDerived,
      java.util.Map<String, String> unavailable,
      dev.latte.searcher.sharded.ShardFanOut fanOut)
      throws IOException {
    this.path = path;
    this.directory = null; // the reader's owner keeps the directory
    this.metadata = metadata;
    this.liveDerived = java.util.Map.copyOf(liveDerived);
    this.unavailable = java.util.Map.copyOf(unavailable);
    this.fanOut = fanOut;
    this.reader = reader;
    this.searcher = fanOut == null ? new IndexSearcher(reader) : fanOut.searcher(reader);
    this.searcher.setSimilarity(IndexLayout.similarity());
    this.stats = IndexStats.compute(reader, metadata);
  }

  /**
   * A snapshot of the index at {@code path} over a reader its caller opened, typically a
   * near-real-time reader of a live writer ({@code LatteIndexWriter.openNrtReader()}, reopened with
   * {@code DirectoryReader.openIfChanged}). It does not own the directory: the caller hands over
   * one reference to {@code reader} (incRef it first to keep one), and {@link #close()} releases
   * that reference and the first stages loaded for this snapshot, nothing else. {@code metadata} is
   * the index's (the writer's {@code metadata()}).
   *
   * <p>First-stage structures are opened from their folders and used only while fresh for {@code
   * reader} (see {@code FirstStageIndex}); a live index that keeps them in step passes their
   * readers with the other overload.
   */
  public static LatteIndex of(Path path, DirectoryReader reader, IndexMetadata metadata)
      throws IOException {
    return of(path, reader, metadata, java.util.Map.of(), java.util.Map.of());
  }

  /**
   * As above, with the readers of the first stages a live index keeps in step with {@code reader}
   * (handed over like {@code reader}: {@link #close()} releases them), and for first stages it
   * maintains but cannot serve yet, why (the message their methods fail with).
   */
  public static LatteIndex of(
      Path path,
      DirectoryReader reader,
      IndexMetadata metadata,
      java.util.Map<String, DirectoryReader> liveDerived,
      java.util.Map<String, String> unavailable)
      throws IOException {
    return of(path, reader, metadata, liveDerived, unavailable, null);
  }

  /**
   * As above, for a sharded index: {@code fanOut} (handed over, closed with the index) searches its
   * shards in parallel ({@link dev.latte.searcher.sharded.ShardFanOut}).
   */
  public static LatteIndex of(
      Path path,
      DirectoryReader reader,
      IndexMetadata metadata,
      java.util.Map<String, DirectoryReader> liveDerived,
      java.util.Map<String, String> unavailable,
      dev.latte.searcher.sharded.ShardFanOut fanOut)
      throws IOException {
    if (reader == null || metadata == null)
      throw new IllegalArgumentException("a reader and the index metadata are required");
    try {
      return new LatteIndex(
          path.toAbsolutePath().normalize(), reader, metadata, liveDerived, unavailable, fanOut);
    } catch (IOException | RuntimeException e) {
      for (DirectoryReader r : liveDerived.values()) r.decRef();
      if (fanOut != null) fanOut.close();
      throw e;
    }
  }

  /** How a sharded index searches its shards in parallel; null for one index (one thread). */
  public dev.latte.searcher.sharded.ShardFanOut fanOut() {
    return fanOut;
  }

  /**
   * Opens the first stage {@code name} linked to this snapshot: the reader a live index passed (one
   * more reference, which the caller closes), else the structure's folder; fails with {@link
   * IndexMismatchException} saying why when it is missing, stale or unavailable.
   */
  public dev.latte.indexer.firststage.FirstStageIndex.Linked openDerived(
      dev.latte.indexer.firststage.FirstStageFormat format) throws IOException {
    String name = format.name();
    String why = unavailable.get(name);
    if (why != null) throw new IndexMismatchException(why);
    DirectoryReader live = liveDerived.get(name);
    if (live == null)
      return dev.latte.indexer.firststage.FirstStageIndex.open(path, format, reader);
    live.incRef();
    try {
      return dev.latte.indexer.firststage.FirstStageIndex.linked(live, reader, format);
    } catch (IOException | RuntimeException e) {
      live.decRef();
      throw e;
    }
  }

  /**
   * True if the first stage of {@code format} can serve this snapshot: the reader a live or sharded
   * index passed is in step with it, or else the structure's folder exists and is fresh.
   */
  public boolean isFresh(dev.latte.indexer.firststage.FirstStageFormat format) throws IOException {
    String name = format.name();
    if (unavailable.containsKey(name)) return false;
    DirectoryReader live = liveDerived.get(name);
    if (live == null)
      return dev.latte.indexer.firststage.FirstStageIndex.isFresh(path, format, reader);
    return dev.latte.indexer.firststage.FirstStageIndex.link(live, reader, format).fresh();
  }

  /** Fails unless queries encoded by {@code encoder} live in this index's token space. */
  public void requireSameModel(TokenEncoder encoder) {
    if (!metadata.hasModel())
      throw new IndexMismatchException(
          "index "
              + path
              + " holds precomputed vectors ("
              + metadata.modelName()
              + ", "
              + metadata.dimension()
              + "-d) indexed without a model; "
              + encoder.config().name()
              + " cannot encode queries for it: search it with query vectors");
    if (!metadata.modelFingerprint().equals(encoder.fingerprint())) {
      throw new IndexMismatchException(
          "index "
              + path
              + " was built with model "
              + metadata.modelName()
              + " (fingerprint "
              + metadata.modelFingerprint()
              + ") but queries would be encoded with "
              + encoder.config().name()
              + " ("
              + encoder.fingerprint()
              + "); pass the same --model that built the index");
    }
  }

  public Path path() {
    return path;
  }

  public DirectoryReader reader() {
    return reader;
  }

  public IndexSearcher searcher() {
    return searcher;
  }

  public IndexMetadata metadata() {
    return metadata;
  }

  /**
   * True for an index of documents cut into passages ({@code --long-docs windows|late-chunking}).
   */
  public boolean hasPassages() {
    return passagePolicy() != null;
  }

  private volatile java.util.Optional<dev.latte.encoders.PassagePolicy> passagePolicy;

  /** The passage settings the index was built with, or null (one passage per document). */
  public dev.latte.encoders.PassagePolicy passagePolicy() {
    if (passagePolicy == null) {
      try {
        String json =
            reader
                .getIndexCommit()
                .getUserData()
                .get(dev.latte.indexer.IndexLayout.COMMIT_PASSAGES_KEY);
        passagePolicy =
            java.util.Optional.ofNullable(
                json == null ? null : dev.latte.encoders.PassagePolicy.fromJson(json));
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    return passagePolicy.orElse(null);
  }

  public IndexStats stats() {
    return stats;
  }

  private volatile dev.latte.core.codec.ResidualCodebook codebook;

  /**
   * The frozen codebook of a residual index ({@code latte_residual_codebook.bin}), read once; null
   * for the other codecs.
   */
  public dev.latte.core.codec.ResidualCodebook residualCodebook() throws IOException {
    if (!metadata.options().codec().isResidual()) return null;
    var book = codebook;
    // A new residual index that has not trained its codebook yet holds no token matrices: the
    // writer stores the codebook before the first one.
    if (book == null && dev.latte.indexer.ResidualCodebookFile.exists(path))
      codebook = book = dev.latte.indexer.ResidualCodebookFile.read(path);
    return book;
  }

  /** Stored id, title and text of a Lucene document. */
  public StoredDocument stored(int doc) throws IOException {
    StoredFields fields = reader.storedFields();
    Document d = fields.document(doc, STORED);
    return new StoredDocument(
        d.get(IndexLayout.ID), d.get(IndexLayout.TITLE), d.get(IndexLayout.TEXT));
  }

  /**
   * The stored metadata JSON object of a Lucene document (compact JSON text), or null when it has
   * none; not to be confused with {@link #metadata()}, the index's own metadata.
   */
  public String metadata(int doc) throws IOException {
    return reader
        .storedFields()
        .document(doc, Set.of(IndexLayout.METADATA))
        .get(IndexLayout.METADATA);
  }

  /** The stored metadata JSON of the live document with collection id {@code id}, or null. */
  public String metadataById(String id) throws IOException {
    var top =
        searcher.search(
            new org.apache.lucene.search.TermQuery(
                new org.apache.lucene.index.Term(IndexLayout.ID, id)),
            1);
    return top.scoreDocs.length == 0 ? null : metadata(top.scoreDocs[0].doc);
  }

  /** Only the collection id, for run files. */
  public String id(int doc) throws IOException {
    return reader.storedFields().document(doc, Set.of(IndexLayout.ID)).get(IndexLayout.ID);
  }

  /**
   * The first stage named {@code name}, loaded once per open index and shared by all searching
   * threads ({@code loader} must return a thread-safe object; a {@link Closeable} one is closed
   * with the index).
   */
  @SuppressWarnings("unchecked")
  public <T> T firstStage(String name, FirstStageLoader<T> loader) throws IOException {
    Object o = derived.get(name);
    if (o != null) return (T) o;
    synchronized (derived) {
      o = derived.get(name);
      if (o == null) {
        o = loader.load(this);
        derived.put(name, o);
      }
      return (T) o;
    }
  }

  private boolean closed;

  /** Closes the index once; closing it again (e.g. by its searcher and its owner) does nothing. */
  @Override
  public synchronized void close() throws IOException {
    if (closed) return;
    closed = true;
    try {
      for (Object o : derived.values()) if (o instanceof Closeable c) c.close();
      derived.clear();
      for (DirectoryReader r : liveDerived.values()) r.decRef();
      reader.close();
      if (fanOut != null) fanOut.close();
    } finally {
      if (directory != null) directory.close();
    }
  }

  public record StoredDocument(String id, String title, String text) {}
}
