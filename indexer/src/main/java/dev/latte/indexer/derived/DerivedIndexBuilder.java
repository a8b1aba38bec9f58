package dev.latte.indexer.derived;

import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.IndexProgress;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.lucene.index.DirectoryReader;

/** Builds one named first-stage structure ({@link DerivedIndex}) from a committed main index. */
public interface DerivedIndexBuilder {
  /** The folder name after {@code latte-}, and what {@code --first-stage} calls it. */
  String name();

  /**
   * Builds {@link DerivedIndex#dir(Path, String)} from scratch (replacing an existing one) from the
   * documents of {@code main}, and stamps it with {@link DerivedIndex#stampCommit}.
   */
  void build(Path mainIndex, DirectoryReader main, IndexMetadata metadata, IndexProgress progress)
      throws IOException;
}
