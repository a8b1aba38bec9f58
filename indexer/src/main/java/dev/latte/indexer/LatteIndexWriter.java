package dev.latte.indexer;

import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.datasets.Document;
import dev.latte.encoders.EncodedText;
import dev.latte.encoders.TokenEncoder;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.lucene.document.BinaryDocValuesField;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.BytesRef;

/**
 * Writes documents with their token matrices into a Lucene index (layout: {@link IndexLayout}).
 * Opening an existing index appends to it, replacing documents by id, and only if it was built with
 * the same model: an index never mixes token spaces. Nothing is visible to searchers until {@link
 * #commit()}.
 */
public final class LatteIndexWriter implements Closeable {
  private final Path path;
  private final Directory directory;
  private final IndexWriter writer;
  private final TokenEncoder encoder;
  private final IndexMetadata metadata;

  private LatteIndexWriter(Path path, TokenEncoder encoder, String source, String sourceFingerprint) throws IOException {
    this.path = path;
    this.encoder = encoder;
    this.directory = FSDirectory.open(path);
    IndexMetadata existing = LatteIndexReaderSupport.metadataIfPresent(directory);
    if (existing != null && !existing.modelFingerprint().equals(encoder.fingerprint())) {
      directory.close();
      throw new IndexMismatchException(
          "index " + path + " was built with model " + existing.modelName() + " (fingerprint " + existing.modelFingerprint()
              + "), not " + encoder.config().name() + " (" + encoder.fingerprint()
              + "); choose another --index folder or delete this one to rebuild");
    }
    IndexWriterConfig cfg =
        new IndexWriterConfig(IndexLayout.analyzer())
            .setSimilarity(IndexLayout.similarity())
            .setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND)
            .setRAMBufferSizeMB(256);
    this.writer = new IndexWriter(directory, cfg);
    this.metadata =
        new IndexMetadata(
            IndexLayout.LAYOUT_VERSION,
            encoder.config().name(),
            encoder.fingerprint(),
            encoder.dimension(),
            "float32",
            IndexLayout.BM25_K1,
            IndexLayout.BM25_B,
            source,
            sourceFingerprint);
  }

  /**
   * Opens (creating if needed) the index at {@code path}. {@code source} names where the documents
   * come from; {@code sourceFingerprint} identifies its content (see {@link CorpusSource}).
   */
  public static LatteIndexWriter open(Path path, TokenEncoder encoder, String source, String sourceFingerprint) throws IOException {
    return new LatteIndexWriter(path.toAbsolutePath().normalize(), encoder, source, sourceFingerprint);
  }

  public static LatteIndexWriter open(Path path, TokenEncoder encoder, String source) throws IOException {
    return open(path, encoder, source, "");
  }

  /** Encodes and adds (or replaces, by id) every document; returns how many were added. */
  public long addAll(Stream<Document> documents, int threads, int batchSize, IndexProgress progress) throws Exception {
    return new EncodingPipeline(encoder, threads, batchSize).run(documents, this::add, progress);
  }

  /** Adds or replaces one already-encoded document. Thread-safe. */
  public void add(Document d, EncodedText encoded) throws IOException {
    if (encoded.matrix().dim() != metadata.dimension()) {
      throw new IllegalArgumentException(
          "document " + d.id() + " has " + encoded.matrix().dim() + "-d tokens; this index holds " + metadata.dimension() + "-d");
    }
    String contents = d.contents();
    org.apache.lucene.document.Document doc = new org.apache.lucene.document.Document();
    doc.add(new StringField(IndexLayout.ID, d.id(), Field.Store.YES));
    doc.add(new StoredField(IndexLayout.TITLE, d.title()));
    doc.add(new StoredField(IndexLayout.TEXT, d.text()));
    doc.add(new TextField(IndexLayout.BODY, contents, Field.Store.NO));
    doc.add(new BinaryDocValuesField(IndexLayout.TOKENS, new BytesRef(StoredTokenMatrix.encodeFloat32(encoded.matrix()))));
    doc.add(new NumericDocValuesField(IndexLayout.TOKEN_COUNT, encoded.matrix().rows()));
    doc.add(new NumericDocValuesField(IndexLayout.CHAR_COUNT, contents.length()));
    writer.updateDocument(new Term(IndexLayout.ID, d.id()), doc);
  }

  /** Makes everything added so far durable and visible, and writes {@code latte-stats.json}. */
  public IndexStats commit() throws IOException {
    writer.setLiveCommitData(Map.of(IndexLayout.COMMIT_METADATA_KEY, metadata.toJson()).entrySet());
    writer.commit();
    try (DirectoryReader reader = DirectoryReader.open(directory)) {
      IndexStats stats = IndexStats.compute(reader, metadata.dimension());
      stats.writeTo(path);
      return stats;
    }
  }

  public IndexMetadata metadata() {
    return metadata;
  }

  /** Closes without committing what was added since the last commit. */
  @Override
  public void close() throws IOException {
    try {
      writer.rollback();
    } finally {
      directory.close();
    }
  }
}
