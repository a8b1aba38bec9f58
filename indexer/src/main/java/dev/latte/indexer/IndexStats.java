package dev.latte.indexer;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.latte.core.codec.StoredTokenMatrix;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.store.Directory;
import org.apache.lucene.util.Bits;

/**
 * Size of an index. Token counts are the stored rows (after the skiplist); characters are those of
 * title + text, since token counts of different tokenizers are not comparable.
 *
 * @param documents live documents
 * @param tokens stored token vectors of live documents
 * @param characters characters of the indexed passages
 * @param tokenBytes bytes of the stored token matrices of live documents (payload and headers)
 * @param indexBytes bytes of all files of the Lucene commit on disk (text, BM25 postings, matrices,
 *     deleted documents not yet merged away)
 * @param encodedTokens token vectors the encoder produced for the live documents, before pooling
 *     (the denominator of "bytes per token all in", so that pooling counts as compression)
 * @param passages passages of the live documents: a document indexed whole is one, one cut by
 *     {@code --long-docs windows|late-chunking} has its own count ({@link IndexLayout#PASSAGES})
 */
public record IndexStats(
    long documents,
    long tokens,
    long characters,
    long tokenBytes,
    long indexBytes,
    long encodedTokens,
    long passages) {

  @JsonProperty("tokens_per_document")
  public double tokensPerDocument() {
    return documents == 0 ? 0 : (double) tokens / documents;
  }

  @JsonProperty("bytes_per_document")
  public double bytesPerDocument() {
    return documents == 0 ? 0 : (double) tokenBytes / documents;
  }

  @JsonProperty("bytes_per_token")
  public double bytesPerToken() {
    return tokens == 0 ? 0 : (double) tokenBytes / tokens;
  }

  /** Reads the statistics of an open reader's commit; a scan of two numeric doc-values columns. */
  public static IndexStats compute(DirectoryReader reader, IndexMetadata metadata)
      throws IOException {
    int dimension = metadata.dimension();
    var codec = metadata.options().codec();
    long docs = 0, tokens = 0, chars = 0, tokenBytes = 0, encoded = 0, passages = 0;
    for (LeafReaderContext leaf : reader.leaves()) {
      NumericDocValues tc = leaf.reader().getNumericDocValues(IndexLayout.TOKEN_COUNT);
      NumericDocValues cc = leaf.reader().getNumericDocValues(IndexLayout.CHAR_COUNT);
      NumericDocValues ec = leaf.reader().getNumericDocValues(IndexLayout.ENCODED_TOKEN_COUNT);
      NumericDocValues pc = leaf.reader().getNumericDocValues(IndexLayout.PASSAGE_COUNT);
      Bits live = leaf.reader().getLiveDocs();
      if (tc == null) continue;
      for (int doc = tc.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = tc.nextDoc()) {
        if (live != null && !live.get(doc)) continue;
        long t = tc.longValue();
        docs++;
        tokens += t;
        tokenBytes += StoredTokenMatrix.HEADER_BYTES + codec.payloadBytes((int) t, dimension);
        if (cc != null && cc.advanceExact(doc)) chars += cc.longValue();
        encoded += ec != null && ec.advanceExact(doc) ? ec.longValue() : t;
        passages += pc != null && pc.advanceExact(doc) ? pc.longValue() : 1;
      }
    }
    return new IndexStats(docs, tokens, chars, tokenBytes, commitBytes(reader), encoded, passages);
  }

  /** Bytes of the files of the reader's commit; of every shard's commit when sharded. */
  static long commitBytes(DirectoryReader reader) throws IOException {
    long total = 0;
    for (DirectoryReader r : ShardedCommits.of(reader))
      total += commitBytes(r.directory(), r.getIndexCommit().getSegmentsFileName());
    return total;
  }

  static long commitBytes(Directory dir, String segmentsFile) throws IOException {
    long total = 0;
    for (String f : SegmentInfos.readCommit(dir, segmentsFile).files(true))
      total += dir.fileLength(f);
    return total;
  }

  public void writeTo(Path indexDir) {
    try {
      // Through a temporary file and a rename, so a kill never leaves half a file.
      Path tmp = indexDir.resolve(IndexLayout.STATS_FILE + ".tmp");
      Files.writeString(
          tmp, IndexMetadata.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(this));
      Files.move(
          tmp,
          indexDir.resolve(IndexLayout.STATS_FILE),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + indexDir.resolve(IndexLayout.STATS_FILE), e);
    }
  }

  public String describe() {
    return String.format(
        Locale.ROOT,
        "%,d docs%s, %,d tokens (%.1f per doc; %,d chars), %.1f bytes/token, token matrices %s, index on disk %s",
        documents,
        passages == documents ? "" : String.format(Locale.ROOT, " (%,d passages)", passages),
        tokens,
        tokensPerDocument(),
        characters,
        bytesPerToken(),
        human(tokenBytes),
        human(indexBytes));
  }

  public static String human(long bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    if (bytes < 1024L * 1024 * 1024)
      return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
    return String.format(Locale.ROOT, "%.2f GiB", bytes / (1024.0 * 1024 * 1024));
  }
}
