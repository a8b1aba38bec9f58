package dev.latte.cli;

import dev.latte.datasets.BeirDataset;
import dev.latte.datasets.BooksBuilder;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "books",
    mixinStandardHelpOptions = true,
    description =
        "Build a long-document benchmark from a BEIR collection of short documents: books of 10-30"
            + " shuffled documents, a book graded for a query by its best document (see"
            + " BooksBuilder; the README's long-document section).")
final class BooksCommand implements Callable<Integer> {
  @Option(names = "--from", required = true, description = "BEIR folder, e.g. SciFact.")
  Path from;

  @Option(names = "--out", required = true, description = "Folder to write the books into.")
  Path out;

  @Option(
      names = "--seed",
      defaultValue = "11",
      description = "Shuffle and book sizes (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--no-paragraphs",
      description =
          "Write every newline as a space (same offsets): books without paragraph breaks, to see"
              + " what --cut paragraphs owes to them.")
  boolean noParagraphs;

  @Override
  public Integer call() {
    BooksBuilder.Summary s = BooksBuilder.build(BeirDataset.open(from), out, seed, noParagraphs);
    System.out.printf(
        Locale.ROOT,
        "Wrote %,d books of %d-%d documents (%,d documents, %,d characters, %,.0f per book) to %s%n",
        s.books(),
        s.smallest(),
        s.largest(),
        s.documents(),
        s.characters(),
        (double) s.characters() / s.books(),
        out);
    return 0;
  }
}
