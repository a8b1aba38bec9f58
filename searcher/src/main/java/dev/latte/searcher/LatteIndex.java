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

  /** Opens one derived first-stage structure of this index. */
  @FunctionalInterface
  public interface DerivedLoader<T> {
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
    return new LatteIndex(p);
  }

  /** Fails unless queries encoded by {@code encoder} live in this index's token space. */
  public void requireSameModel(TokenEncoder encoder) {
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

  public IndexStats stats() {
    return stats;
  }

  /** Stored id, title and text of a Lucene document. */
  public StoredDocument stored(int doc) throws IOException {
    StoredFields fields = reader.storedFields();
    Document d = fields.document(doc, STORED);
    return new StoredDocument(
        d.get(IndexLayout.ID), d.get(IndexLayout.TITLE), d.get(IndexLayout.TEXT));
  }

  /** Only the collection id, for run files. */
  public String id(int doc) throws IOException {
    return reader.storedFields().document(doc, Set.of(IndexLayout.ID)).get(IndexLayout.ID);
  }

  /**
   * The derived structure named {@code name}, loaded once per open index and shared by all
   * searching threads ({@code loader} must return a thread-safe object; a {@link Closeable} one is
   * closed with the index).
   */
  @SuppressWarnings("unchecked")
  public <T> T derived(String name, DerivedLoader<T> loader) throws IOException {
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

  @Override
  public void close() throws IOException {
    try {
      for (Object o : derived.values()) if (o instanceof Closeable c) c.close();
      derived.clear();
      reader.close();
    } finally {
      directory.close();
    }
  }

  public record StoredDocument(String id, String title, String text) {}
}
