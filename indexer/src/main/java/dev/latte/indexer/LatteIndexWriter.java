package dev.latte.indexer;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.core.codec.TokenCodec;
import dev.latte.datasets.Document;
import dev.latte.encoders.EncodedPassages;
import dev.latte.encoders.EncodedText;
import dev.latte.encoders.PassagePolicy;
import dev.latte.encoders.TokenEncoder;
import dev.latte.indexer.lists.TokenCompaction;
import dev.latte.indexer.pooling.TokenPooler;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.apache.lucene.document.BinaryDocValuesField;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.TieredMergePolicy;
import org.apache.lucene.search.Query;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.BytesRef;

/**
 * Writes documents with their token matrices into a Lucene index (layout: {@link IndexLayout}),
 * pooled and coded as its {@link IndexOptions} say. Opening an existing index appends to it,
 * replacing documents by id, and only with the same model and options: an index never mixes token
 * spaces or codecs. Nothing is visible to searchers until {@link #commit()}.
 */
public final class LatteIndexWriter implements Closeable {
  private final Path path;
  private final Directory directory;
  private final IndexWriter writer;
  private final TokenEncoder encoder;
  private final IndexMetadata metadata;
  private final TokenCodec codec;
  private final TokenPooler pooler;

  /** The residual codec's codebook or its training window (null for the other codecs). */
  private final ResidualCoding residual;

  private final java.util.concurrent.atomic.AtomicLong nextSeq;
  private final Map<String, String> lastCommitData = new java.util.LinkedHashMap<>();
  private final boolean hadDocuments;
  private PassagePolicy passagePolicy;

  /**
   * Lucene's indexing buffer: 256 MB, or a quarter of the heap when that is smaller, so that {@code
   * -Xmx512m} leaves room for the documents in flight and the encoder.
   */
  static double ramBufferMb() {
    long heapMb = Runtime.getRuntime().maxMemory() / (1024 * 1024);
    return Math.max(16, Math.min(256, heapMb / 4));
  }

  private LatteIndexWriter(
      Path path,
      ModelIdentity model,
      String source,
      String sourceFingerprint,
      IndexOptions options,
      dev.latte.core.codec.ResidualCodebook supplied)
      throws IOException {
    this.path = path;
    this.encoder = model.encoder();
    this.directory = FSDirectory.open(path);
    IndexMetadata existing;
    try {
      existing = LatteIndexReaderSupport.metadataIfPresent(directory);
    } catch (RuntimeException e) {
      directory.close();
      throw e;
    }
    if (existing != null && !existing.modelFingerprint().equals(model.fingerprint())) {
      directory.close();
      throw new IndexMismatchException(
          "index "
              + path
              + " was built with model "
              + existing.modelName()
              + " (fingerprint "
              + existing.modelFingerprint()
              + "), not "
              + model.name()
              + " ("
              + model.fingerprint()
              + "); choose another --index folder or delete this one to rebuild");
    }
    if (existing != null && existing.layoutVersion() != IndexLayout.LAYOUT_VERSION) {
      directory.close();
      throw new IndexMismatchException(
          "index "
              + path
              + " has layout version "
              + existing.layoutVersion()
              + "; this build appends only to layout "
              + IndexLayout.LAYOUT_VERSION
              + " (it can still search it); delete the folder and index again to append");
    }
    if (existing != null && !existing.options().equals(options)) {
      directory.close();
      throw new IndexMismatchException(
          "index "
              + path
              + " stores "
              + existing.options().label()
              + " token matrices, not "
              + options.label()
              + "; choose another --index folder or delete this one to rebuild");
    }
    this.codec = options.codec();
    try {
      this.residual =
          codec.isResidual()
              ? new ResidualCoding(
                  directory,
                  codec,
                  model.dimension(),
                  ResidualCodebookFile.frozen(directory, path, codec, model.dimension(), supplied),
                  this::write)
              : null;
    } catch (IOException | RuntimeException e) {
      directory.close();
      throw e;
    }
    // Row 0 is protected from pooling when it is a [CLS] or marker token (ColBERT models keep it).
    this.pooler =
        options.poolFactor() > 1
            ? new TokenPooler(options.poolFactor(), model.firstRowIsSpecial())
            : null;
    IndexWriterConfig cfg =
        new IndexWriterConfig(IndexLayout.analyzer())
            .setSimilarity(IndexLayout.similarity())
            .setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND)
            .setMergePolicy(new TokenCompaction.RewriteOnForce(new TieredMergePolicy()))
            .setRAMBufferSizeMB(ramBufferMb());
    this.writer = new IndexWriter(directory, cfg);
    long seq = 1;
    var live = writer.getLiveCommitData();
    if (live != null)
      for (var e : live) {
        lastCommitData.put(e.getKey(), e.getValue());
        if (e.getKey().equals(IndexLayout.COMMIT_SEQ_KEY)) seq = Long.parseLong(e.getValue());
      }
    this.nextSeq = new java.util.concurrent.atomic.AtomicLong(seq);
    this.hadDocuments = existing != null;
    String recorded = lastCommitData.get(IndexLayout.COMMIT_PASSAGES_KEY);
    this.passagePolicy = recorded == null ? null : PassagePolicy.fromJson(recorded);
    this.metadata =
        new IndexMetadata(
            IndexLayout.LAYOUT_VERSION,
            model.name(),
            model.fingerprint(),
            model.dimension(),
            model.firstRowIsSpecial(),
            options.codec().cliName(),
            options.poolFactor(),
            IndexLayout.BM25_K1,
            IndexLayout.BM25_B,
            source,
            sourceFingerprint);
  }

  /** Whether this writer will train a residual codebook (at its window or its first commit). */
  public boolean codebookPending() {
    return residual != null && residual.pending();
  }

  /** The residual codebook this writer codes with (null: not residual, or not trained yet). */
  public dev.latte.core.codec.ResidualCodebook codebook() {
    return residual == null ? null : residual.codebook();
  }

  /**
   * For a new residual index: how many tokens the whole collection will have, if known, so that the
   * codebook trained on the first documents gets the centroid count the collection needs ({@link
   * ResidualTraining#centroids}).
   */
  public void expectTokens(long tokens) {
    if (residual != null) residual.expectTokens(tokens);
  }

  /**
   * As {@link #expectTokens}, from the number of documents the collection will have (tokens are
   * estimated from the training window's tokens per document).
   */
  public void expectDocuments(long documents) {
    if (residual != null && documents > 0) residual.expectDocuments(documents);
  }

  /**
   * Opens (creating if needed) the index at {@code path}. {@code source} names where the documents
   * come from; {@code sourceFingerprint} identifies its content (see {@link CorpusSource}).
   */
  public static LatteIndexWriter open(
      Path path,
      TokenEncoder encoder,
      String source,
      String sourceFingerprint,
      IndexOptions options)
      throws IOException {
    return new LatteIndexWriter(
        path.toAbsolutePath().normalize(),
        ModelIdentity.of(encoder),
        source,
        sourceFingerprint,
        options,
        null);
  }

  public static LatteIndexWriter open(
      Path path, TokenEncoder encoder, String source, String sourceFingerprint) throws IOException {
    return open(path, encoder, source, sourceFingerprint, IndexOptions.DEFAULT);
  }

  public static LatteIndexWriter open(Path path, TokenEncoder encoder, String source)
      throws IOException {
    return open(path, encoder, source, "");
  }

  /**
   * Opens an index for documents that are already encoded (no encoder at hand), e.g. when re-coding
   * the matrices of another index: {@code model} names the model that encoded them.
   */
  public static LatteIndexWriter openForEncoded(
      Path path, ModelIdentity model, String source, String sourceFingerprint, IndexOptions options)
      throws IOException {
    return openForEncoded(path, model, source, sourceFingerprint, options, null);
  }

  /**
   * As {@link #openForEncoded(Path, ModelIdentity, String, String, IndexOptions)}, coding residual
   * tokens with {@code codebook} (stored in a new index; an existing index must already use it).
   */
  public static LatteIndexWriter openForEncoded(
      Path path,
      ModelIdentity model,
      String source,
      String sourceFingerprint,
      IndexOptions options,
      dev.latte.core.codec.ResidualCodebook codebook)
      throws IOException {
    return new LatteIndexWriter(
        path.toAbsolutePath().normalize(), model, source, sourceFingerprint, options, codebook);
  }

  /**
   * How this index cuts long documents into passages: as recorded in it, or as {@link #usePassages}
   * set; null for one truncated passage per document.
   */
  public PassagePolicy passagePolicy() {
    return passagePolicy;
  }

  /**
   * Makes this index one of passages cut by {@code policy} (recorded at the next commit; null or a
   * truncating policy: one passage per document). An index keeps the policy it was built with: a
   * different one is refused, like another codec.
   */
  public void usePassages(PassagePolicy policy) {
    PassagePolicy p = policy == null || policy.singlePassage() ? null : policy;
    if (java.util.Objects.equals(p, passagePolicy)) return;
    if (hadDocuments)
      throw new IndexMismatchException(
          "index "
              + path
              + " holds documents "
              + (passagePolicy == null
                  ? "as single truncated passages"
                  : "cut by --long-docs " + passagePolicy.label())
              + ", not "
              + (p == null ? "single truncated passages" : "cut by --long-docs " + p.label())
              + "; give the same --long-docs settings, or choose another --index folder");
    passagePolicy = p;
  }

  /** Encodes and adds (or replaces, by id) every document; returns how many were added. */
  public long addAll(Stream<Document> documents, int threads, int batchSize, IndexProgress progress)
      throws Exception {
    if (encoder == null)
      throw new IllegalStateException("this writer was opened for encoded documents only");
    return new EncodingPipeline(encoder, threads, batchSize)
        .withPassages(passagePolicy)
        .run(documents, this::add, progress);
  }

  /** Adds or replaces one encoded document. Thread-safe. */
  public void add(Document d, EncodedText encoded) throws IOException {
    add(d, encoded.matrix(), TokenAnnotations.of(encoded));
  }

  /**
   * Adds or replaces one document encoded as passages: its token matrix is the union of the
   * passages' rows (each passage pooled on its own when the index pools), with the passages' row
   * ranges and character spans beside it ({@link Passages}). One passage is stored as a plain
   * document. Thread-safe.
   */
  public void add(Document d, EncodedPassages p) throws IOException {
    add(d, p, -1);
  }

  /**
   * As {@link #add(Document, EncodedPassages)}, with the document's position in the input (0, 1,
   * 2...; -1 unknown): a new residual index trains its codebook on the first documents by position,
   * not by arrival ({@link ResidualTraining}).
   */
  public void add(Document d, EncodedPassages p, long position) throws IOException {
    if (p.passages() == 1) {
      add(d, p.union().matrix(), TokenAnnotations.of(p.union()), position);
      return;
    }
    TokenMatrix matrix = p.union().matrix();
    checkDimension(d, matrix);
    Passages passages = Passages.of(p);
    TokenMatrix stored = matrix;
    BytesRef info = null;
    if (pooler == null) {
      info = new BytesRef(TokenAnnotations.of(p.union()).encode());
    } else {
      int[] rows = new int[p.passages()];
      java.util.List<TokenMatrix> pooled = new java.util.ArrayList<>(p.passages());
      int total = 0;
      for (int i = 0; i < p.passages(); i++) {
        pooled.add(pooler.pool(p.passage(i).matrix()));
        rows[i] = pooled.get(i).rows();
        total += rows[i];
      }
      float[] data = new float[total * matrix.dim()];
      int w = 0;
      for (TokenMatrix m : pooled) {
        System.arraycopy(m.data(), 0, data, w, m.data().length);
        w += m.data().length;
      }
      stored = new TokenMatrix(data, total, matrix.dim());
      passages = passages.withRows(rows);
    }
    if (codec.isResidual()) {
      // One codebook per index: every passage's rows are coded with it like any document's.
      residual.add(d, stored, info, passages, matrix.rows(), position);
      return;
    }
    write(
        d,
        new BytesRef(StoredTokenMatrix.encode(stored, codec)),
        stored.rows(),
        info,
        passages,
        matrix.rows());
  }

  private void checkDimension(Document d, TokenMatrix matrix) {
    if (matrix.dim() != metadata.dimension()) {
      throw new IllegalArgumentException(
          "document "
              + d.id()
              + " has "
              + matrix.dim()
              + "-d tokens; this index holds "
              + metadata.dimension()
              + "-d");
    }
  }

  /** Adds or replaces one document given its full-precision token matrix, without annotations. */
  public void add(Document d, TokenMatrix matrix) throws IOException {
    add(d, matrix, null);
  }

  /**
   * Adds or replaces one document given its full-precision token matrix; pooling and the index's
   * codec are applied here; {@code annotations} (row tokens and spans, may be null) are kept only
   * when rows are not pooled; the document's metadata, if any, is stored and indexed for filters
   * ({@link MetadataFields}). Thread-safe.
   */
  public void add(Document d, TokenMatrix matrix, TokenAnnotations annotations) throws IOException {
    add(d, matrix, annotations, -1);
  }

  /** As {@link #add(Document, TokenMatrix, TokenAnnotations)}, with the input position. */
  public void add(Document d, TokenMatrix matrix, TokenAnnotations annotations, long position)
      throws IOException {
    checkDimension(d, matrix);
    TokenMatrix stored = pooler == null ? matrix : pooler.pool(matrix);
    BytesRef info = null;
    if (annotations != null && pooler == null) {
      if (annotations.rows() != matrix.rows())
        throw new IllegalArgumentException(
            "document " + d.id() + ": annotations do not match " + matrix.rows() + " rows");
      info = new BytesRef(annotations.encode());
    }
    if (codec.isResidual()) {
      residual.add(d, stored, info, null, matrix.rows(), position);
      return;
    }
    write(
        d,
        new BytesRef(StoredTokenMatrix.encode(stored, codec)),
        stored.rows(),
        info,
        matrix.rows());
  }

  /**
   * Adds or replaces one document whose token matrix is already in this index's stored form: {@code
   * matrix} is a value of {@link IndexLayout#TOKENS} (header and payload, in this index's codec and
   * dimension, pooled if the index pools) and {@code tokenInfo} one of {@link
   * IndexLayout#TOKEN_INFO} (null: none). Both are written byte for byte, never decoded or
   * re-encoded; title, text and metadata come from {@code d} as in {@link #add}. Thread-safe.
   */
  public void addStored(Document d, BytesRef matrix, BytesRef tokenInfo) throws IOException {
    addStored(d, matrix, tokenInfo, null, -1);
  }

  /**
   * As {@link #addStored(Document, BytesRef, BytesRef)}, recording {@code encodedTokens} as the
   * document's token count before pooling (negative: its stored rows).
   */
  public void addStored(Document d, BytesRef matrix, BytesRef tokenInfo, long encodedTokens)
      throws IOException {
    addStored(d, matrix, tokenInfo, null, encodedTokens);
  }

  /**
   * As {@link #addStored(Document, BytesRef, BytesRef, long)}, with the document's {@link
   * IndexLayout#PASSAGES} value (null: one passage), also copied byte for byte.
   */
  public void addStored(
      Document d, BytesRef matrix, BytesRef tokenInfo, BytesRef passages, long encodedTokens)
      throws IOException {
    StoredTokenMatrix.Header h =
        StoredTokenMatrix.header(matrix.bytes, matrix.offset, matrix.length, metadata.dimension());
    if (h.codec() != codec)
      throw new IllegalArgumentException(
          "document "
              + d.id()
              + ": its matrix is stored as "
              + h.codec().cliName()
              + ", this index stores "
              + codec.cliName());
    if (tokenInfo != null) {
      if (pooler != null)
        throw new IllegalArgumentException(
            "document " + d.id() + ": a pooled index keeps no token annotations");
      int rows = TokenAnnotations.decode(tokenInfo).rows();
      if (rows != h.tokens())
        throw new IllegalArgumentException(
            "document " + d.id() + ": annotations of " + rows + " rows, matrix of " + h.tokens());
    }
    Passages p = null;
    if (passages != null) {
      p = Passages.decode(passages);
      if (p.totalRows() != h.tokens())
        throw new IllegalArgumentException(
            "document "
                + d.id()
                + ": passages of "
                + p.totalRows()
                + " rows, matrix of "
                + h.tokens());
    }
    write(
        d,
        BytesRef.deepCopyOf(matrix),
        h.tokens(),
        tokenInfo == null ? null : BytesRef.deepCopyOf(tokenInfo),
        p,
        encodedTokens >= 0 ? encodedTokens : h.tokens());
  }

  /**
   * Replaces the metadata of document {@code id} without re-encoding it: the document is re-added
   * (replaced by id) as {@code reader} holds it — stored title and text, token matrix bytes and
   * token annotations copied unchanged ({@link #addStored}) — with the metadata {@code change}
   * returns for its stored metadata (null when it has none; returning null or an empty object
   * removes it). The new metadata is indexed for filters ({@link MetadataFields}). {@code reader}
   * must be a reader of this index, e.g. from {@link #openNrtReader()}; like {@link #add}, the
   * change is visible after {@link #commit()}. Returns false, calling nothing, when {@code reader}
   * holds no live document with that id.
   *
   * <p>In Lucene terms this is a replacement, so like any replaced document the old version counts
   * in BM25's statistics until merged away; MaxSim scores of the document stay bit-identical.
   */
  public boolean replaceMetadata(IndexReader reader, String id, UnaryOperator<ObjectNode> change)
      throws IOException {
    return MetadataReplacement.replace(this, reader, id, change);
  }

  /** The Lucene document of {@link IndexLayout}, replacing any with the same id. */
  private void write(Document d, BytesRef matrix, int rows, BytesRef tokenInfo, long encodedRows)
      throws IOException {
    write(d, matrix, rows, tokenInfo, null, encodedRows);
  }

  private void write(
      Document d,
      BytesRef matrix,
      int rows,
      BytesRef tokenInfo,
      Passages passages,
      long encodedRows)
      throws IOException {
    String contents = d.contents();
    org.apache.lucene.document.Document doc = new org.apache.lucene.document.Document();
    doc.add(new StringField(IndexLayout.ID, d.id(), Field.Store.YES));
    doc.add(new StoredField(IndexLayout.TITLE, d.title()));
    doc.add(new StoredField(IndexLayout.TEXT, d.text()));
    doc.add(new TextField(IndexLayout.BODY, contents, Field.Store.NO));
    doc.add(new BinaryDocValuesField(IndexLayout.TOKENS, matrix));
    doc.add(new NumericDocValuesField(IndexLayout.TOKEN_COUNT, rows));
    doc.add(new NumericDocValuesField(IndexLayout.ENCODED_TOKEN_COUNT, encodedRows));
    doc.add(new NumericDocValuesField(IndexLayout.CHAR_COUNT, contents.length()));
    doc.add(new NumericDocValuesField(IndexLayout.SEQ, nextSeq.getAndIncrement()));
    if (tokenInfo != null) doc.add(new BinaryDocValuesField(IndexLayout.TOKEN_INFO, tokenInfo));
    if (passages != null) {
      doc.add(new BinaryDocValuesField(IndexLayout.PASSAGES, new BytesRef(passages.encode())));
      doc.add(new NumericDocValuesField(IndexLayout.PASSAGE_COUNT, passages.count()));
    }
    for (var f : MetadataFields.of(d.metadata())) doc.add(f);
    writer.updateDocument(new Term(IndexLayout.ID, d.id()), doc);
  }

  /** Makes everything added so far durable and visible, and writes {@code latte-stats.json}. */
  public IndexStats commit() throws IOException {
    return commit(Map.of());
  }

  /**
   * As {@link #commit()}, with {@code extra} stored in the same commit's user data, atomically with
   * the documents (a job's resume position, {@link IndexJob}). Keys of earlier commits that are not
   * Latte's own stay unless {@code extra} replaces them.
   */
  public IndexStats commit(Map<String, String> extra) throws IOException {
    if (residual != null) residual.trainOnHeld();
    Map<String, String> data = new java.util.LinkedHashMap<>(lastCommitData);
    data.putAll(extra);
    data.put(IndexLayout.COMMIT_METADATA_KEY, metadata.toJson());
    data.put(IndexLayout.COMMIT_SEQ_KEY, Long.toString(nextSeq.get()));
    if (passagePolicy != null) data.put(IndexLayout.COMMIT_PASSAGES_KEY, passagePolicy.toJson());
    writer.setLiveCommitData(data.entrySet());
    writer.commit();
    lastCommitData.clear();
    lastCommitData.putAll(data);
    try (DirectoryReader reader = DirectoryReader.open(directory)) {
      IndexStats stats = IndexStats.compute(reader, metadata);
      stats.writeTo(path);
      return stats;
    }
  }

  public IndexMetadata metadata() {
    return metadata;
  }

  /** The user data of the last commit (as opened, then as last committed here). */
  public Map<String, String> lastCommitData() {
    return java.util.Collections.unmodifiableMap(lastCommitData);
  }

  /**
   * Starts this new, empty index's write sequence numbers at {@code first} instead of 1, so that
   * the shards of one collection, written apart, number their documents in disjoint ranges and a
   * searcher over all shards links first stages by number as in one index. Fails once anything was
   * written or committed.
   */
  public void startSequencesAt(long first) {
    if (first < 1) throw new IllegalArgumentException("sequence numbers start at 1 or later");
    if (writer.getDocStats().maxDoc > 0
        || lastCommitData.containsKey(IndexLayout.COMMIT_SEQ_KEY)
        || nextSeq.get() != 1)
      throw new IllegalStateException(
          "index " + path + " already holds documents: its sequence numbers are set");
    nextSeq.set(first);
  }

  /** The write sequence number the next added document gets ({@link IndexLayout#SEQ}). */
  public long nextSeq() {
    return nextSeq.get();
  }

  /**
   * Deletes the document with collection id {@code id}, if there is one (a no-op otherwise); like
   * {@link #add}, visible to searchers after {@link #commit()} or in the next {@link
   * #openNrtReader()}. Thread-safe.
   */
  public void delete(String id) throws IOException {
    writer.deleteDocuments(new Term(IndexLayout.ID, id));
  }

  /**
   * Deletes every document {@code query} matches (e.g. a metadata filter); like {@link
   * #delete(String)}, visible after {@link #commit()} or in the next {@link #openNrtReader()}.
   * Thread-safe.
   */
  public void delete(Query query) throws IOException {
    writer.deleteDocuments(query);
  }

  /**
   * A near-real-time reader over everything added and deleted so far, committed or not ({@code
   * DirectoryReader.open} on this writer; reopen it with {@code DirectoryReader.openIfChanged}).
   * The caller closes it; it stays usable after this writer is closed. Its {@code getIndexCommit()}
   * names the last commit, so first stages built from that commit count as fresh only while nothing
   * uncommitted is in it.
   */
  public DirectoryReader openNrtReader() throws IOException {
    return DirectoryReader.open(writer);
  }

  /**
   * Merges segments until at most {@code maxSegments} remain, which also drops deleted and replaced
   * documents, whose postings still count in BM25's document frequencies and lengths until merged
   * away. Expensive on a large index; visible after {@link #commit()}.
   */
  public void forceMerge(int maxSegments) throws IOException {
    writer.forceMerge(maxSegments);
  }

  /**
   * Keeps only the header and centroid ids of a document whose codes the WARP lists hold ({@link
   * TokenCompaction#stillValid}); the next commit marks the index. The caller serialises writes.
   */
  public void moveCodesToLists(TokenCompaction.Move m) throws IOException {
    lastCommitData.put(TokenCompaction.CODES_IN_LISTS_KEY, "true");
    writer.updateBinaryDocValue(
        new Term(IndexLayout.ID, m.id()), IndexLayout.TOKENS, new BytesRef(m.listed()));
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
