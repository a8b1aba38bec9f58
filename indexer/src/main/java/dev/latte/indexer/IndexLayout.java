package dev.latte.indexer;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.search.similarities.Similarity;

/**
 * How a Latte index lays documents out in a Lucene index (layout version 2).
 *
 * <h2>Per document</h2>
 *
 * <table>
 *   <tr><th>field</th><th>Lucene type</th><th>content</th></tr>
 *   <tr><td>{@code id}</td><td>StringField, stored</td><td>the collection's document id; unique (adds replace)</td></tr>
 *   <tr><td>{@code title}, {@code text}</td><td>StoredField</td><td>the original strings, returned with hits</td></tr>
 *   <tr><td>{@code body}</td><td>TextField, not stored</td><td>title + " " + text through {@link EnglishAnalyzer}, for BM25</td></tr>
 *   <tr><td>{@code latte_tokens}</td><td>BinaryDocValues</td><td>the token matrix, in the byte layout of
 *       {@link dev.latte.core.codec.StoredTokenMatrix} (versioned header + payload)</td></tr>
 *   <tr><td>{@code latte_token_count}</td><td>NumericDocValues</td><td>rows of the token matrix, for statistics without decoding</td></tr>
 *   <tr><td>{@code latte_char_count}</td><td>NumericDocValues</td><td>characters of title + " " + text</td></tr>
 *   <tr><td>{@code latte_token_info}</td><td>BinaryDocValues</td><td>unpooled indexes only: per row the token
 *       string and its character span, see {@link TokenAnnotations} (new in layout 2)</td></tr>
 *   <tr><td>{@code metadata}</td><td>StoredField</td><td>the document's metadata object as compact JSON;
 *       absent when it has none (so in every index written before metadata existed)</td></tr>
 *   <tr><td>{@code m.<path>}</td><td>StringField, not stored</td><td>each string leaf of the metadata
 *       under its dotted path (e.g. {@code m.a.b}), the exact value as one keyword; booleans as
 *       "true" / "false"; array elements as further values of the same path</td></tr>
 *   <tr><td>{@code m.<path>}</td><td>DoublePoint</td><td>each number leaf (integral or not) as a double:
 *       exact for integers up to 2<sup>53</sup>, larger ones rounded (filter bounds round the same
 *       way); -0.0 as 0.0</td></tr>
 *   <tr><td>{@code m._exists}</td><td>StringField, not stored</td><td>every path, leaf or parent object,
 *       under which some value was indexed (null, [] and {} index nothing), for {@code exists}</td></tr>
 * </table>
 *
 * <p>Metadata fields are optional and do not change the layout version: an index without them
 * simply has no metadata to filter on. See {@link MetadataFields} for the details.
 *
 * <h2>Per index</h2>
 *
 * The commit user data holds {@code latte.index} = the JSON of {@link IndexMetadata} (layout
 * version, model name and fingerprint, dimension, codec, BM25 parameters, source), written
 * atomically with every commit. {@code latte-stats.json} beside the segment files holds the {@link
 * IndexStats} of the last commit for people; Lucene ignores files that do not look like its own.
 *
 * <p>Doc values keep token matrices column-stride and memory-mapped, apart from stored fields, so a
 * scan for MaxSim never touches the text, and later codecs (quantised, binary, pooled) are further
 * codec ids in the same field.
 */
public final class IndexLayout {
  public static final int LAYOUT_VERSION = 2;

  /** Layouts this build reads: 1 lacks only {@link #TOKEN_INFO} (no COIL, SLIM or spans). */
  public static final int OLDEST_READABLE_LAYOUT = 1;

  public static final String ID = "id";
  public static final String TITLE = "title";
  public static final String TEXT = "text";
  public static final String BODY = "body";
  public static final String TOKENS = "latte_tokens";
  public static final String TOKEN_COUNT = "latte_token_count";

  /**
   * Token vectors the encoder produced for the document, before pooling (numeric doc values;
   * documents written before it existed count their stored rows).
   */
  public static final String ENCODED_TOKEN_COUNT = "latte_encoded_token_count";

  public static final String CHAR_COUNT = "latte_char_count";
  public static final String TOKEN_INFO = "latte_token_info";

  /** Stored JSON of the document's metadata. */
  public static final String METADATA = "metadata";

  /** Prefix of the indexed metadata fields: {@code m.<dotted path>}. */
  public static final String METADATA_PREFIX = "m.";

  /**
   * The metadata path reserved for the exists field (a top-level key of this name is not indexed).
   */
  public static final String METADATA_EXISTS_PATH = "_exists";

  /** Keyword field listing every present metadata path. */
  public static final String METADATA_EXISTS = METADATA_PREFIX + METADATA_EXISTS_PATH;

  /**
   * Write sequence number of the document (NumericDocValues): unique per write of a document in
   * this index, never reused, so it identifies one version of one document. First-stage structures
   * derived from the index link their documents to it by this number ({@code
   * dev.latte.indexer.firststage.FirstStageIndex}). Documents written before it existed have none.
   */
  public static final String SEQ = "latte_seq";

  /** Commit user data: the next write sequence number ({@link #SEQ}). */
  public static final String COMMIT_SEQ_KEY = "latte.seq";

  public static final String COMMIT_METADATA_KEY = "latte.index";
  public static final String STATS_FILE = "latte-stats.json";

  /** Anserini's BEIR "flat" settings. */
  public static final float BM25_K1 = 0.9f;

  public static final float BM25_B = 0.4f;

  private IndexLayout() {}

  public static Analyzer analyzer() {
    return new EnglishAnalyzer();
  }

  public static Similarity similarity() {
    return new BM25Similarity(BM25_K1, BM25_B);
  }
}
