package dev.latte.indexer.derived;

import dev.latte.indexer.IndexMismatchException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexCommit;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * A first-stage structure derived from one commit of a Latte index: a Lucene index of its own in
 * the sub-folder {@code latte-<name>} of the main index (Lucene leaves folders it did not write
 * alone), built from the main index's stored token matrices, never by re-encoding.
 *
 * <p>Every derived document carries {@value #MAIN_DOC} (NumericDocValues), the index-wide doc id of
 * its source document in the main index, and the derived commit records the main commit it was
 * built from ({@value #STAMP_KEY}). A derived index whose stamp differs from the main index's
 * newest commit is stale: searches refuse it with a message saying how to rebuild. Trained
 * parameters (centroids, projections) live in the derived folder as checksummed files.
 */
public final class DerivedIndex {
  public static final String MAIN_DOC = "latte_main_doc";
  public static final String STAMP_KEY = "latte.derived.from";
  public static final String PREFIX = "latte-";

  private DerivedIndex() {}

  public static Path dir(Path mainIndex, String name) {
    return mainIndex.resolve(PREFIX + name);
  }

  /** Identifies a main-index commit: segments file, doc counts. */
  public static String stamp(DirectoryReader main) throws IOException {
    IndexCommit c = main.getIndexCommit();
    return c.getSegmentsFileName() + ";maxDoc=" + main.maxDoc() + ";numDocs=" + main.numDocs();
  }

  /** The doc-values field linking a derived document to its source document. */
  public static NumericDocValuesField mainDoc(int globalDoc) {
    return new NumericDocValuesField(MAIN_DOC, globalDoc);
  }

  /**
   * File-format versions of the derived structures: a structure written by another version is stale
   * (rebuilt by eval, refused with a rebuild hint by searches). Bump on any layout change.
   */
  static final Map<String, Integer> FORMATS =
      Map.of("xtr", 1, "coil", 1, "slim", 2, "lucene-stock", 1);

  static String stamp(DirectoryReader main, String name) throws IOException {
    return stamp(main) + ";format=" + name + "-" + FORMATS.getOrDefault(name, 0);
  }

  /**
   * Records the source commit and the structure's format version; call right before the derived
   * index's final commit.
   */
  public static void stampCommit(IndexWriter writer, DirectoryReader main, String name)
      throws IOException {
    writer.setLiveCommitData(Map.of(STAMP_KEY, stamp(main, name)).entrySet());
  }

  /**
   * Ends a build: merges to one segment (searches walk one set of lists, and derived doc ids stay
   * dense), stamps the source commit and format, and commits.
   */
  public static void finish(IndexWriter writer, DirectoryReader main, String name)
      throws IOException {
    writer.forceMerge(1);
    stampCommit(writer, main, name);
    writer.commit();
  }

  /** True if a derived index named {@code name} exists and was built from {@code main}. */
  public static boolean isFresh(Path mainIndex, String name, DirectoryReader main)
      throws IOException {
    Path d = dir(mainIndex, name);
    if (!Files.isDirectory(d)) return false;
    try (Directory dir = FSDirectory.open(d)) {
      if (!DirectoryReader.indexExists(dir)) return false;
      var commits = DirectoryReader.listCommits(dir);
      return stamp(main, name).equals(commits.getLast().getUserData().get(STAMP_KEY));
    }
  }

  /**
   * Opens a derived index for reading, failing with a rebuild hint when it is missing or was built
   * from another commit of the main index.
   */
  public static DirectoryReader open(Path mainIndex, String name, DirectoryReader main)
      throws IOException {
    if (!isFresh(mainIndex, name, main)) {
      boolean exists = Files.isDirectory(dir(mainIndex, name));
      throw new IndexMismatchException(
          "index "
              + mainIndex
              + (exists
                  ? " changed since its '"
                      + name
                      + "' first stage was built (or that was built by"
                      + " another version)"
                  : " has no '" + name + "' first stage")
              + "; build it with: ./latte index --index "
              + mainIndex
              + " --first-stage "
              + name);
    }
    return DirectoryReader.open(FSDirectory.open(dir(mainIndex, name)));
  }

  /** For each index-wide derived doc id, the main index doc id it stands for. */
  public static int[] mainDocs(DirectoryReader derived) throws IOException {
    int[] out = new int[derived.maxDoc()];
    java.util.Arrays.fill(out, -1);
    for (LeafReaderContext leaf : derived.leaves()) {
      NumericDocValues v = leaf.reader().getNumericDocValues(MAIN_DOC);
      if (v == null) continue;
      for (int d = v.nextDoc(); d != NumericDocValues.NO_MORE_DOCS; d = v.nextDoc())
        out[leaf.docBase + d] = (int) v.longValue();
    }
    return out;
  }

  /** Deletes a derived folder (before a rebuild). */
  public static void delete(Path mainIndex, String name) throws IOException {
    Path d = dir(mainIndex, name);
    if (!Files.isDirectory(d)) return;
    try (var s = Files.walk(d)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
    }
  }
}
