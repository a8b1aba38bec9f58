package dev.latte.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.core.TokenMatrix;
import dev.latte.datasets.Document;
import dev.latte.datasets.corpus.SourceRecord;
import dev.latte.encoders.EncodedText;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;

/**
 * A {@link SourceRecord} in a form Spark can shuffle: a document (metadata as JSON text), its
 * precomputed vectors and token strings when it has them, or a bad record with its reason. Encoded
 * training samples also carry their token spans.
 */
record ShardRecord(
    String location,
    String id,
    String title,
    String text,
    String metadata,
    float[] vectors,
    int rows,
    int dim,
    String[] tokens,
    int[] starts,
    int[] ends,
    String problem)
    implements Serializable {
  private static final ObjectMapper JSON = new ObjectMapper();

  static ShardRecord of(SourceRecord r) {
    if (r.isBad())
      return new ShardRecord(
          r.location(), null, null, null, null, null, 0, 0, null, null, null, r.problem());
    Document d = r.document();
    TokenMatrix v = r.vectors();
    return new ShardRecord(
        r.location(),
        d.id(),
        d.title(),
        d.text(),
        d.metadata() == null ? null : d.metadata().toString(),
        v == null ? null : v.data(),
        v == null ? 0 : v.rows(),
        v == null ? 0 : v.dim(),
        r.tokens(),
        null,
        null,
        null);
  }

  /** This document with its encoding (vectors, tokens and spans), for the training sample. */
  ShardRecord encoded(EncodedText e) {
    TokenMatrix m = e.matrix();
    return new ShardRecord(
        location,
        id,
        title,
        text,
        metadata,
        m.data(),
        m.rows(),
        m.dim(),
        e.tokens(),
        e.starts(),
        e.ends(),
        null);
  }

  boolean isBad() {
    return problem != null;
  }

  boolean hasVectors() {
    return vectors != null;
  }

  /** Empty as {@code ./latte index} counts it: neither title nor text. */
  boolean isEmpty() {
    return title.isBlank() && text.isBlank();
  }

  Document document() {
    try {
      ObjectNode md = metadata == null ? null : (ObjectNode) JSON.readTree(metadata);
      return new Document(id, title, text, md);
    } catch (IOException e) {
      throw new UncheckedIOException("metadata of " + id, e);
    }
  }

  TokenMatrix matrix() {
    return vectors == null ? null : new TokenMatrix(vectors, rows, dim);
  }

  /** Back to a record at {@code ordinal} of the shard's input. */
  SourceRecord toSource(long ordinal) {
    if (isBad()) return new SourceRecord(ordinal, location, null, null, null, problem);
    return new SourceRecord(ordinal, location, document(), matrix(), tokens, null);
  }

  /** The stable shard key: the id's hash (a bad record, which has none, by its location). */
  int shard(int shards) {
    return dev.latte.indexer.ShardManifest.shardOf(id != null ? id : location, shards);
  }

  /** A stable value in [0, 1) from the id, for the training sample. */
  double sampleKey() {
    byte[] b = id.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    int h = org.apache.lucene.util.StringHelper.murmurhash3_x86_32(b, 0, b.length, 0x5a3b1e);
    return (h & 0x7fffffffL) / (double) (1L << 31);
  }
}
