package dev.latte.indexer;

import dev.latte.datasets.BeirDataset;
import dev.latte.datasets.DatasetException;
import dev.latte.datasets.Document;
import dev.latte.datasets.JsonlCorpus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * What {@code ./latte index --input} accepts: a BEIR folder (its {@code corpus.jsonl}) or a JSONL
 * file ({@code .jsonl} or {@code .jsonl.gz}) of objects with {@code _id}, {@code title}, {@code
 * text}.
 */
public record CorpusSource(Path file, Supplier<Stream<Document>> documents) {

  public static CorpusSource of(Path input) {
    Path p = input.toAbsolutePath().normalize();
    if (Files.isDirectory(p)) {
      BeirDataset ds = BeirDataset.open(p);
      return new CorpusSource(ds.corpusFile(), ds::corpus);
    }
    if (Files.isRegularFile(p)) {
      String name = p.getFileName().toString();
      if (!name.endsWith(".jsonl") && !name.endsWith(".jsonl.gz") && !name.endsWith(".json")) {
        throw new DatasetException(
            "input " + p + " is not a .jsonl or .jsonl.gz file nor a BEIR folder");
      }
      return new CorpusSource(p, () -> JsonlCorpus.documents(p));
    }
    throw new DatasetException(
        "input not found: " + p + " (give a BEIR folder or a JSONL file with _id, title, text)");
  }

  public long count() {
    return JsonlCorpus.countLines(file);
  }

  /**
   * SHA-256 (first 16 bytes, hex) of the corpus's content, decompressed if the file is gzipped: the
   * same collection gets the same fingerprint wherever it lies and however it is stored (the
   * bundled gzipped SciFact sample and the shared plain copy share one cached index), and any
   * change to its content changes it. Reads the whole file (SciFact: ~50 ms).
   */
  public String fingerprint() {
    try (var raw = Files.newInputStream(file);
        var in =
            file.getFileName().toString().endsWith(".gz")
                ? new java.util.zip.GZIPInputStream(raw, 1 << 16)
                : new java.io.BufferedInputStream(raw, 1 << 16)) {
      java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      for (int n = in.read(buf); n >= 0; n = in.read(buf)) sha.update(buf, 0, n);
      return "sha256:" + java.util.HexFormat.of().formatHex(sha.digest(), 0, 16);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
