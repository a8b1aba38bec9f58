package dev.latte.datasets.corpus;

import dev.latte.datasets.DatasetException;
import java.util.List;
import java.util.stream.Collectors;

/** The registered input formats; add a new one to {@link #ALL}. */
public final class CorpusFormats {
  public static final List<CorpusFormat> ALL =
      List.of(
          new JsonlFormat(),
          new JsonArrayFormat(),
          DelimitedFormat.TSV,
          DelimitedFormat.CSV,
          new TrecFormat(),
          new TextFileFormat(),
          new NpyFormat());

  private CorpusFormats() {}

  public static CorpusFormat byName(String name) {
    for (CorpusFormat f : ALL) if (f.name().equalsIgnoreCase(name)) return f;
    throw new DatasetException("unknown --format '" + name + "'; known: " + names());
  }

  /** The format a file's name says (its extension before any .gz/.zst), or null. */
  public static CorpusFormat detect(InputFile file) {
    String n = file.plainName();
    for (CorpusFormat f : ALL) for (String e : f.extensions()) if (n.endsWith(e)) return f;
    return null;
  }

  public static String names() {
    return ALL.stream().map(CorpusFormat::name).collect(Collectors.joining(", "));
  }

  /** Every extension, for messages. */
  public static String extensions() {
    return ALL.stream().flatMap(f -> f.extensions().stream()).collect(Collectors.joining(" "))
        + " (each also .gz or .zst)";
  }
}
