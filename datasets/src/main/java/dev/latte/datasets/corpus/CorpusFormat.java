package dev.latte.datasets.corpus;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;

/**
 * One input format. To add a format: implement this (one class) and register it in {@link
 * CorpusFormats#ALL} (one line); {@code --format NAME} and detection by extension then work.
 */
public interface CorpusFormat {
  /** The {@code --format} name. */
  String name();

  /**
   * File name endings (lower case, with the dot, before any {@code .gz}/{@code .zst}) this format
   * is detected by.
   */
  List<String> extensions();

  /**
   * Opens one file of this format. The reader streams: memory is bounded by one record, never by
   * the file's size. {@code file.open()} gives the decompressed bytes.
   */
  Reader open(InputFile file, FieldMapping mapping) throws IOException;

  /** Records of one file, in order. */
  interface Reader extends Closeable {
    /**
     * The next record (possibly a bad one, which the reader has stepped over), or null at the end.
     * An {@link IOException} means the rest of the file cannot be read; the records returned before
     * it stand.
     */
    SourceRecord next() throws IOException;

    /**
     * Steps over up to {@code n} records exactly as {@link #next()} would return them (bad ones
     * included) without building them where the format can; returns how many were skipped (fewer
     * only at the end). A resumed job skips what it committed this way.
     */
    default long skip(long n) throws IOException {
      long done = 0;
      while (done < n && next() != null) done++;
      return done;
    }
  }
}
