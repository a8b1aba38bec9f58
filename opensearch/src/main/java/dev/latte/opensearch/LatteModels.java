package dev.latte.opensearch;

import dev.latte.core.TokenMatrix;
import dev.latte.encoders.ModelConfig;
import dev.latte.encoders.OnnxTokenEncoder;
import dev.latte.encoders.TokenEncoder;
import java.io.Closeable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The Latte model folders installed on this node, under {@code <config>/latte-models/<name>} (the
 * folder {@code ./latte} uses: {@code model.onnx}, {@code tokenizer.json}, {@code
 * latte-model.json}). Each is loaded on first use and kept for the node's life; the ingest
 * processor encodes documents with it, the coordinating node encodes {@code query_text} with it.
 * Models are never downloaded: a name that is not installed is an error saying where to put it.
 */
public final class LatteModels implements Closeable {
  static final String FOLDER = "latte-models";
  private static final Logger LOG = LogManager.getLogger(LatteModels.class);
  // A folder name, not a path: no separators, no "..".
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

  private final Path root;
  private final Map<String, TokenEncoder> loaded = new ConcurrentHashMap<>();
  private final AtomicLong queriesEncoded = new AtomicLong();
  private final AtomicLong documentsEncoded = new AtomicLong();

  LatteModels(Path configDir) {
    this.root = configDir.resolve(FOLDER);
  }

  /**
   * Checks that {@code name} is an installed model folder (cheap: no loading); throws an {@link
   * IllegalArgumentException} naming the folder to create otherwise.
   */
  Path folder(String name) {
    if (name == null || !NAME.matcher(name).matches() || name.contains("..")) {
      throw new IllegalArgumentException(
          "model ["
              + name
              + "] is not a model folder name: use the name of a folder under "
              + root
              + " (letters, digits, '.', '_', '-')");
    }
    Path dir = root.resolve(name);
    if (!Files.isRegularFile(dir.resolve(ModelConfig.FILE_NAME))) {
      throw new IllegalArgumentException(
          "model ["
              + name
              + "] is not installed on this node: copy the Latte model folder (model.onnx,"
              + " tokenizer.json, "
              + ModelConfig.FILE_NAME
              + ") to "
              + dir
              + " on every node");
    }
    return dir;
  }

  /** The encoder of an installed model, loaded on first use. */
  TokenEncoder encoder(String name) {
    TokenEncoder e = loaded.get(name);
    if (e != null) return e;
    Path dir = folder(name);
    return loaded.computeIfAbsent(
        name,
        n -> {
          TokenEncoder enc = OnnxTokenEncoder.load(dir);
          LOG.info("loaded Latte model [{}] from {} ({} dims)", n, dir, enc.dimension());
          return enc;
        });
  }

  /** Encodes a search's query text (on the coordinating node, once per search). */
  TokenMatrix encodeQuery(String model, String text) {
    TokenMatrix m = encoder(model).encodeQuery(text).matrix();
    queriesEncoded.incrementAndGet();
    return m;
  }

  /** Encodes one document's text as Latte's index writer does (one passage). */
  TokenMatrix encodeDocument(String model, String text) {
    TokenMatrix m = encoder(model).encodeDocuments(List.of(text)).get(0).matrix();
    documentsEncoded.incrementAndGet();
    return m;
  }

  /** Query texts this node has encoded since it started (tests check "once per search"). */
  public long queriesEncoded() {
    return queriesEncoded.get();
  }

  public long documentsEncoded() {
    return documentsEncoded.get();
  }

  @Override
  public void close() {
    loaded.values().forEach(TokenEncoder::close);
    loaded.clear();
  }
}
