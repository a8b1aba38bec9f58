package dev.latte.indexer.sink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.TokenCodec;
import dev.latte.datasets.Document;
import dev.latte.datasets.corpus.Corpus;
import dev.latte.datasets.corpus.SourceRecord;
import dev.latte.indexer.EncodingPipeline;
import dev.latte.indexer.IndexProgress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code ./latte index --sink opensearch}: encodes a collection outside the cluster and bulk-loads
 * the token matrices into an OpenSearch index with the Latte plugin ({@code latte_tokens} field,
 * sent as base64 of Latte's float32 stored layout; the field re-codes and pools them as its mapping
 * says). Creates the index when it is missing.
 *
 * <p>Resumable like a local job: the records go in windows; after every window is acknowledged by
 * OpenSearch the position is written to the state file (atomically), so a job killed at any moment
 * continues after its last acknowledged window when the same command runs again. A window sent
 * twice is harmless: documents are indexed by id. A re-run with another input or settings while the
 * job is unfinished is refused; a re-run of a finished job does nothing.
 */
public final class OpenSearchSinkJob {
  static final ObjectMapper JSON = new ObjectMapper();

  /** Bytes of source per bulk request (OpenSearch's default limit is 100 MB). */
  static final int BULK_BYTES = 8 << 20;

  static final int MAX_LISTED_PROBLEMS = 1000;

  /** What a run did; {@code alreadyDone}: the state file says the job had finished. */
  public record Result(
      long read,
      long indexed,
      long rejected,
      long skipped,
      long resumedFrom,
      boolean alreadyDone,
      long retries,
      List<String> problems) {}

  private final Corpus corpus;
  private final EncodingPipeline pipeline;
  private final OpenSearchBulkClient client;
  private final String index;
  private final String field;
  private final TokenCodec codec;
  private final int poolFactor;
  private final Path stateFile;
  private final Map<String, String> settings;

  /**
   * @param settings what defines the job besides the input (model, fields, codec...): a re-run with
   *     other settings is refused while the job is unfinished
   */
  public OpenSearchSinkJob(
      Corpus corpus,
      EncodingPipeline pipeline,
      OpenSearchBulkClient client,
      String index,
      String field,
      TokenCodec codec,
      int poolFactor,
      Path stateFile,
      Map<String, String> settings) {
    this.corpus = corpus;
    this.pipeline = pipeline;
    this.client = client;
    this.index = index;
    this.field = field;
    this.codec = codec;
    this.poolFactor = poolFactor;
    this.stateFile = stateFile;
    this.settings = new TreeMap<>(settings);
    this.settings.put("index", index);
    this.settings.put("field", field);
    this.settings.put("codec", codec.cliName());
    this.settings.put("pool_factor", Integer.toString(poolFactor));
  }

  public Result run(IndexProgress progress) throws Exception {
    ObjectNode state = loadState();
    if (state.path("done").asBoolean()) {
      return new Result(
          state.path("read").asLong(),
          state.path("indexed").asLong(),
          state.path("rejected").asLong(),
          state.path("skipped").asLong(),
          0,
          true,
          0,
          List.of());
    }
    long position = state.path("position").asLong();
    long read = state.path("read").asLong(), indexed = state.path("indexed").asLong();
    long rejected = state.path("rejected").asLong(), skipped = state.path("skipped").asLong();
    List<String> problems = new ArrayList<>();
    state.withArray("problems").forEach(p -> problems.add(p.asText()));
    long resumedFrom = position;
    boolean indexChecked = false;
    Base64.Encoder b64 = Base64.getEncoder();
    try (Corpus.Records records = corpus.records(position)) {
      while (records.hasNext()) {
        List<EncodingPipeline.Item> window = new ArrayList<>();
        long last = position - 1;
        while (window.size() < pipeline.windowSize() && records.hasNext()) {
          SourceRecord r = records.next();
          last = r.ordinal();
          read++;
          if (r.isBad()) {
            skipped++;
            problem(problems, r.location() + ": " + r.problem());
          } else if (r.vectors() == null
              && r.document().title().isBlank()
              && r.document().text().isBlank()) {
            skipped++;
            problem(problems, r.location() + ": empty document " + r.document().id());
          } else {
            window.add(new EncodingPipeline.Item(r.document(), r.vectors(), r.tokens()));
          }
        }
        // By identity: two equal records of one window are still two items.
        Map<EncodingPipeline.Item, TokenMatrix> encoded =
            Collections.synchronizedMap(new IdentityHashMap<>());
        // One window at a time: its encodings are all in before it is sent and acknowledged.
        try (EncodingPipeline.Session s =
            pipeline.start(
                // Items with precomputed vectors come back without an encoding.
                (item, e) -> encoded.put(item, e != null ? e.union().matrix() : item.vectors()),
                progress)) {
          s.submit(window);
          s.drain();
        }
        if (!indexChecked && !window.isEmpty()) {
          ensureIndex(encoded.get(window.getFirst()).dim());
          indexChecked = true;
        }
        List<OpenSearchBulkClient.BulkItem> batch = new ArrayList<>();
        long bytes = 0;
        for (EncodingPipeline.Item item : window) {
          TokenMatrix m = encoded.get(item);
          Document d = item.document();
          ObjectNode source = JSON.createObjectNode();
          source.put("title", d.title()).put("text", d.contents());
          if (d.metadata() != null) source.set("metadata", d.metadata());
          source.put(field, b64.encodeToString(TokenCodec.FLOAT32.encode(m)));
          String json = JSON.writeValueAsString(source);
          batch.add(new OpenSearchBulkClient.BulkItem(d.id(), json));
          bytes += json.length();
          if (bytes >= BULK_BYTES) {
            rejected += send(batch, problems);
            indexed += batch.size();
            batch.clear();
            bytes = 0;
          }
        }
        if (!batch.isEmpty()) {
          rejected += send(batch, problems);
          indexed += batch.size();
        }
        position = last + 1;
        saveState(position, read, indexed, rejected, skipped, problems, false);
      }
    }
    client.send("POST", index + "/_refresh", null);
    saveState(position, read, indexed, rejected, skipped, problems, true);
    return new Result(
        read, indexed, rejected, skipped, resumedFrom, false, client.retries(), problems);
  }

  /** Sends one bulk; returns how many items OpenSearch refused (they are listed as problems). */
  private long send(List<OpenSearchBulkClient.BulkItem> batch, List<String> problems)
      throws IOException {
    List<OpenSearchBulkClient.Rejected> refused = client.bulk(index, batch);
    for (OpenSearchBulkClient.Rejected r : refused) {
      problem(problems, "document " + r.id() + " refused (" + r.status() + "): " + r.reason());
    }
    return refused.size();
  }

  private static void problem(List<String> problems, String p) {
    if (problems.size() < MAX_LISTED_PROBLEMS) problems.add(p);
  }

  /** Creates the index with Latte's mapping, or checks that the existing one fits. */
  private void ensureIndex(int dims) throws IOException {
    OpenSearchBulkClient.Answer a = client.send("GET", index + "/_mapping", null);
    if (a.status() == 404) {
      ObjectNode body = JSON.createObjectNode();
      ObjectNode props = body.putObject("mappings").putObject("properties");
      props.putObject("title").put("type", "text").put("analyzer", "english");
      props.putObject("text").put("type", "text").put("analyzer", "english");
      props.putObject("metadata").put("type", "object");
      props
          .putObject(field)
          .put("type", "latte_tokens")
          .put("dims", dims)
          .put("codec", codec.cliName())
          .put("pool_factor", poolFactor);
      OpenSearchBulkClient.Answer created =
          client.send("PUT", index, JSON.writeValueAsString(body));
      if (created.status() != 200) {
        throw new IOException(
            "could not create index "
                + index
                + " ("
                + created.status()
                + "): "
                + OpenSearchBulkClient.abbreviate(created.body())
                + " (is the Latte plugin installed on the cluster?)");
      }
      return;
    }
    if (a.status() != 200) {
      throw new IOException(
          "GET "
              + index
              + "/_mapping: "
              + a.status()
              + " "
              + OpenSearchBulkClient.abbreviate(a.body()));
    }
    JsonNode f =
        JSON.readTree(a.body()).path(index).path("mappings").path("properties").path(field);
    if (!"latte_tokens".equals(f.path("type").asText()) || f.path("dims").asInt() != dims) {
      throw new IllegalArgumentException(
          "index "
              + index
              + " exists but its field ["
              + field
              + "] is "
              + (f.isMissingNode() ? "missing" : f.toString())
              + ", not a latte_tokens field of dims "
              + dims
              + ": choose another --sink-index or delete that index");
    }
  }

  private ObjectNode loadState() throws IOException {
    ObjectNode fresh = JSON.createObjectNode();
    if (!Files.exists(stateFile)) return fresh;
    ObjectNode s = (ObjectNode) JSON.readTree(stateFile.toFile());
    boolean same =
        s.path("input").asText().equals(corpus.fingerprint())
            && JSON.convertValue(s.path("settings"), Map.class).equals(settings);
    if (!same) {
      if (s.path("done").asBoolean()) return fresh; // a finished job with other input: new job
      throw new IllegalArgumentException(
          "an unfinished sink job with another input or settings is recorded in "
              + stateFile
              + " ("
              + s.path("settings")
              + "); run that command again to finish it, or delete the file to start afresh");
    }
    return s;
  }

  private void saveState(
      long position,
      long read,
      long indexed,
      long rejected,
      long skipped,
      List<String> problems,
      boolean done)
      throws IOException {
    ObjectNode s = JSON.createObjectNode();
    s.put("input", corpus.fingerprint());
    s.set("settings", JSON.valueToTree(settings));
    s.put("position", position).put("read", read).put("indexed", indexed);
    s.put("rejected", rejected).put("skipped", skipped).put("done", done);
    s.set("problems", JSON.valueToTree(problems));
    Files.createDirectories(stateFile.toAbsolutePath().getParent());
    Path tmp = stateFile.resolveSibling(stateFile.getFileName() + ".tmp");
    JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), s);
    Files.move(tmp, stateFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
