package dev.latte.indexer;

import java.io.IOException;
import java.util.List;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexCommit;
import org.apache.lucene.store.Directory;

/** Reads the Latte metadata of the newest commit in a directory. */
public final class LatteIndexReaderSupport {
  private LatteIndexReaderSupport() {}

  /** The metadata of the newest commit, or null if the directory holds no index. */
  public static IndexMetadata metadataIfPresent(Directory dir) throws IOException {
    if (!DirectoryReader.indexExists(dir)) return null;
    List<IndexCommit> commits = DirectoryReader.listCommits(dir);
    return metadataOf(commits.getLast());
  }

  public static IndexMetadata metadataOf(IndexCommit commit) throws IOException {
    String json = commit.getUserData().get(IndexLayout.COMMIT_METADATA_KEY);
    if (json == null) {
      throw new IndexMismatchException(
          "the Lucene index in "
              + commit.getDirectory()
              + " has no Latte metadata: it was not written by Latte");
    }
    IndexMetadata m = IndexMetadata.fromJson(json);
    if (m.layoutVersion() < IndexLayout.OLDEST_READABLE_LAYOUT
        || m.layoutVersion() > IndexLayout.LAYOUT_VERSION) {
      throw new IndexMismatchException(
          "index layout version "
              + m.layoutVersion()
              + " is not readable by this build (reads "
              + IndexLayout.OLDEST_READABLE_LAYOUT
              + " to "
              + IndexLayout.LAYOUT_VERSION
              + "); rebuild the index");
    }
    return m;
  }
}
