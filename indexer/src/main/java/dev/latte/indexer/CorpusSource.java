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

  /** Size and modification time of the corpus file: cheap, and changes whenever the file does. */
  public String fingerprint() {
    try {
      return Files.size(file) + "@" + Files.getLastModifiedTime(file).toMillis();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stat " + file, e);
    }
  }
}
