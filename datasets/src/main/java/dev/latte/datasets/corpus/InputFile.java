package dev.latte.datasets.corpus;

import io.airlift.compress.v3.zstd.ZstdInputStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/**
 * One file of an input: its path, the name it is known by in the collection (relative to the input
 * folder, with {@code /}), and its content decompressed by its suffix: {@code .gz} (gzip) or {@code
 * .zst}/{@code .zstd} (Zstandard, pure Java).
 */
public record InputFile(Path path, String name) {

  public static InputFile of(Path path) {
    return new InputFile(path, path.getFileName().toString());
  }

  public InputStream open() throws IOException {
    InputStream raw = new BufferedInputStream(Files.newInputStream(path), 1 << 16);
    String n = path.getFileName().toString().toLowerCase(Locale.ROOT);
    try {
      if (n.endsWith(".gz")) return new GZIPInputStream(raw, 1 << 16);
      if (n.endsWith(".zst") || n.endsWith(".zstd"))
        return new BufferedInputStream(new ZstdInputStream(raw), 1 << 16);
      return raw;
    } catch (IOException | RuntimeException e) {
      raw.close();
      throw e;
    }
  }

  /** The file name without its compression suffix, lower case: what formats are detected by. */
  public String plainName() {
    return stripCompression(path.getFileName().toString().toLowerCase(Locale.ROOT));
  }

  /** The collection name without its compression suffix (for ids of one-document files). */
  public String plainCollectionName() {
    String lower = name.toLowerCase(Locale.ROOT);
    return name.substring(0, stripCompression(lower).length());
  }

  static String stripCompression(String lowerName) {
    for (String s : new String[] {".gz", ".zst", ".zstd"})
      if (lowerName.endsWith(s)) return lowerName.substring(0, lowerName.length() - s.length());
    return lowerName;
  }

  @Override
  public String toString() {
    return path.toString();
  }
}
