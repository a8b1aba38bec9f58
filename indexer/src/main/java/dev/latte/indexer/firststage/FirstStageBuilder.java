package dev.latte.indexer.firststage;

import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.IndexProgress;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.Directory;

/**
 * One named first stage ({@link FirstStageIndex}): how its parameters are trained from a main
 * index, and how documents are derived with them ({@link Deriver}).
 */
public interface FirstStageBuilder {
  /** The stage's name and file-format version, declared by the stage itself. */
  FirstStageFormat format();

  /** The folder name after {@code latte-}, and what {@code --first-stage} calls it. */
  default String name() {
    return format().name();
  }

  /**
   * True if deriving needs every token row's word piece ({@link
   * dev.latte.indexer.TokenAnnotations}), which an index with a pool factor above 1 does not keep:
   * such a stage cannot be built there. Its {@link Deriver#needsAnnotations()} says the same.
   */
  boolean needsAnnotations();

  /**
   * Trains the structure's parameters on the live documents of {@code main} and writes them as
   * files into {@code dir} (an empty derived folder). Structures without parameters write nothing.
   */
  void train(Directory dir, DirectoryReader main, IndexMetadata metadata) throws IOException;

  /** False for a structure without trained parameters (retraining it changes nothing). */
  default boolean trainsParameters() {
    return true;
  }

  /** A deriver with the parameters {@link #train} wrote into {@code dir}. */
  Deriver deriver(Directory dir, IndexMetadata metadata) throws IOException;

  /**
   * Builds {@link FirstStageIndex#dir(Path, String)} from scratch (replacing an existing one) from
   * the documents of {@code main}: trains, then derives every live document.
   */
  default void build(
      Path mainIndex, DirectoryReader main, IndexMetadata metadata, IndexProgress progress)
      throws IOException {
    buildIn(FirstStageIndex.dir(mainIndex, name()), main, metadata, progress);
  }

  /**
   * Builds the structure from scratch in {@code folder} (its usual folder, or a side folder a live
   * index swaps in later). A stage that writes files of its own besides its Lucene documents (the
   * WARP lists) overrides this; the default trains and derives through {@link
   * FirstStageIndex#build}.
   */
  default void buildIn(
      Path folder, DirectoryReader main, IndexMetadata metadata, IndexProgress progress)
      throws IOException {
    FirstStageIndex.build(this, folder, main, metadata, progress);
  }
}
