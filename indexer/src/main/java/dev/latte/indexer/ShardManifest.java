package dev.latte.indexer;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The manifest of a sharded index: a folder holding one complete Latte index per shard ({@code
 * shard-00000}, ...), written apart (e.g. by the Spark job) and searched as one collection. It
 * lists the shards with their documents, tokens and the range of write sequence numbers each
 * numbered its documents from (disjoint, so first stages link by number across shards), the model,
 * and the first stages whose trained parameters all shards share; those parameter files also lie in
 * the folder's own {@code latte-<stage>} folders, where searchers read them.
 *
 * <p>Written last and atomically ({@value #FILE}): a folder without it is no (finished) sharded
 * index.
 *
 * @param layoutVersion {@link #LAYOUT_VERSION}
 * @param job what identifies the job that wrote it (input fingerprint and settings): a re-run with
 *     the same one has nothing to do
 * @param index the metadata every shard's index carries (model, dimension, codec, pooling)
 * @param shards the shards, in order
 * @param firstStages per first stage, its format stamp and the SHA-256 of each parameter file
 * @param trainedOn documents the shared parameters were trained on (a sample of the collection)
 * @param counters the job's counters, summed over the shards
 * @param residualCodebook for a residual codec, the SHA-256 (hex) of the codebook every shard codes
 *     with ({@link ResidualCodebookFile#FILE}, also beside the manifest); null for the other codecs
 */
public record ShardManifest(
    int layoutVersion,
    String job,
    IndexMetadata index,
    List<Shard> shards,
    Map<String, Stage> firstStages,
    long trainedOn,
    JobState.Counters counters,
    @com.fasterxml.jackson.annotation.JsonInclude(
            com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
        String residualCodebook) {
  /** A manifest of shards without a residual codebook. */
  public ShardManifest(
      int layoutVersion,
      String job,
      IndexMetadata index,
      List<Shard> shards,
      Map<String, Stage> firstStages,
      long trainedOn,
      JobState.Counters counters) {
    this(layoutVersion, job, index, shards, firstStages, trainedOn, counters, null);
  }

  /**
   * 2: a shard's WARP stage may be packed lists holding the only copy of its residual codes (its
   * main index keeps centroid ids: one copy, as {@code ./latte index} leaves an index), and a shard
   * may name the codebook beside the manifest ({@link ResidualCodebookFile#REFERENCE_FILE}) instead
   * of holding a copy; 1: every shard keeps its codes in its main index (WARP as derived documents,
   * a second copy). This build reads both; one that reads only 1 must refuse a 2 rather than meet
   * codeless documents.
   */
  public static final int LAYOUT_VERSION = 2;

  /** The oldest layout this build reads. */
  public static final int OLDEST_READABLE_LAYOUT = 1;

  /** What a layout version means, for messages. */
  public static String layoutDescription(int version) {
    return switch (version) {
      case 1 -> "every shard keeps its token codes in its main index, WARP as derived documents";
      case 2 ->
          "WARP packed per shard, the residual codes only in its lists (one copy), the codebook"
              + " once beside the manifest";
      default -> "unknown";
    };
  }

  public static final String FILE = "latte-shards.json";

  /** Shard {@code i}'s numbers start here: shards never share a write sequence number. */
  public static long firstSeq(int shard) {
    return ((long) shard << 40) + 1;
  }

  /**
   * The shard of a document: a stable hash of its id (murmur3 of the UTF-8 bytes) modulo {@code
   * shards}, the same in every process and run, so a re-run or an update lands in the same shard.
   */
  public static int shardOf(String id, int shards) {
    byte[] b = id.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    int h = org.apache.lucene.util.StringHelper.murmurhash3_x86_32(b, 0, b.length, 0x1a77e);
    return Math.floorMod(h, shards);
  }

  /** The folder name of shard {@code i}. */
  public static String shardName(int shard) {
    return String.format(java.util.Locale.ROOT, "shard-%05d", shard);
  }

  /**
   * @param name folder name inside the sharded index
   * @param firstSeq the write sequence number its first document got
   */
  public record Shard(String name, long documents, long tokens, long firstSeq) {}

  /**
   * @param format the stage's format stamp
   * @param files parameter file name to its SHA-256 (hex)
   */
  public record Stage(String format, Map<String, String> files) {}

  private static final ObjectMapper MAPPER =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  public String toJson() {
    try {
      return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(this);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static ShardManifest fromJson(String json) {
    try {
      return MAPPER.readValue(json, ShardManifest.class);
    } catch (IOException e) {
      throw new IndexMismatchException("unreadable " + FILE + ": " + e.getMessage());
    }
  }

  /** True if {@code folder} holds a sharded index. */
  public static boolean isSharded(Path folder) {
    return Files.isRegularFile(folder.resolve(FILE));
  }

  /** Reads the manifest of the sharded index in {@code folder}, checking its layout version. */
  public static ShardManifest read(Path folder) throws IOException {
    ShardManifest m = fromJson(Files.readString(folder.resolve(FILE)));
    if (m.layoutVersion() < OLDEST_READABLE_LAYOUT || m.layoutVersion() > LAYOUT_VERSION)
      throw new IndexMismatchException(
          "sharded index "
              + folder
              + " has layout version "
              + m.layoutVersion()
              + "; this build reads "
              + OLDEST_READABLE_LAYOUT
              + " to "
              + LAYOUT_VERSION
              + " (rebuild it with this build's job, or search it with the build that wrote it)");
    return m;
  }

  public long documents() {
    return shards.stream().mapToLong(Shard::documents).sum();
  }
}
