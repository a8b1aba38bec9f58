package dev.latte.searcher.firststage.warp;

import dev.latte.core.codec.ResidualCodebook;
import java.io.IOException;
import org.apache.lucene.index.DirectoryReader;

/** The main index's own residual codebook, when it is residual-coded (null otherwise). */
final class MainCodebook {
  private MainCodebook() {}

  static ResidualCodebook of(DirectoryReader main) throws IOException {
    return null; // until the main index keeps a codebook of its own
  }
}
