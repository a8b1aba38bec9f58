package dev.latte.opensearch;

import dev.latte.core.codec.ResidualCodebook;
import dev.latte.indexer.ResidualCodebookFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The frozen residual codebooks a {@code latte_tokens} field in a residual codec names with {@code
 * residual_codebook}: folders {@code <config>/latte-codebooks/<name>} holding Latte's {@value
 * ResidualCodebookFile#FILE} (the file a residual Latte index keeps in its folder, trained by
 * {@code ./latte index --codec residual-N}; copy it to every node). Read once per node, checksum
 * verified.
 */
final class ResidualCodebooks {
  static final String FOLDER = "latte-codebooks";
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

  /** A codebook and the name the mapping gave it. */
  record Named(String name, ResidualCodebook book) {}

  private final Path root;
  private final Map<String, Named> loaded = new ConcurrentHashMap<>();

  ResidualCodebooks(Path configDir) {
    this.root = configDir.resolve(FOLDER);
  }

  Named get(String name) {
    Named n = loaded.get(name);
    if (n != null) return n;
    if (!NAME.matcher(name).matches() || name.contains("..")) {
      throw new IllegalArgumentException(
          "[residual_codebook] ["
              + name
              + "] is not a folder name: use the name of a folder under "
              + root
              + " (letters, digits, '.', '_', '-')");
    }
    Path dir = root.resolve(name);
    if (!Files.isRegularFile(dir.resolve(ResidualCodebookFile.FILE))) {
      throw new IllegalArgumentException(
          "[residual_codebook] ["
              + name
              + "] is not installed on this node: copy "
              + ResidualCodebookFile.FILE
              + " from a residual Latte index's folder (./latte index --codec residual-N) to "
              + dir
              + " on every node");
    }
    return loaded.computeIfAbsent(
        name,
        k -> {
          try {
            return new Named(k, ResidualCodebookFile.read(dir));
          } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(
                "[residual_codebook] [" + k + "]: cannot read " + dir + ": " + e.getMessage(), e);
          }
        });
  }
}
