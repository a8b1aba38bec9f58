package dev.latte.opensearch;

import dev.latte.core.TokenMatrix;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.indexer.firststage.PayloadTokenStream;
import dev.latte.indexer.firststage.SphericalKMeans;
import dev.latte.searcher.firststage.xtr.XtrBuilder;
import dev.latte.searcher.firststage.xtr.XtrIndex;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.apache.lucene.document.Field;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.BytesRef;

/**
 * The frozen XTR centroids a {@code latte_tokens} field names with {@code xtr_centroids}: folders
 * {@code <config>/latte-centroids/<name>} holding Latte's {@value XtrBuilder#CENTROIDS_FILE} (the
 * file {@code ./latte index --first-stage xtr} trains into {@code <index>/latte-xtr}; copy it to
 * every node). With them each document's tokens are assigned to their nearest centroid at indexing,
 * as Latte's XTR builder does, and written as per-shard lists inside the shard's segments (field
 * {@code <field>}{@value #SUFFIX}: one term per centroid, each position's payload the token's int8
 * code); {@code latte_xtr} retrieves from them with Latte's {@link
 * dev.latte.searcher.firststage.xtr.XtrIndex#over}.
 */
final class XtrLists {
  static final String FOLDER = "latte-centroids";
  static final String SUFFIX = "._latte_xtr";
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

  /** One trained set of centroids: rows for assignment, transposed with terms for retrieval. */
  record Trained(String name, TokenMatrix centroids, XtrIndex.Centroids lists) {
    /** The XTR postings field of one document's stored matrix (decoded). */
    Field postings(String field, TokenMatrix m) {
      int dim = centroids.dim();
      int n = m.rows();
      int[] assign = new int[n];
      new SphericalKMeans(VectorKernel.get(), 1)
          .assign(m.data(), n, dim, centroids.data(), centroids.rows(), assign, new float[n]);
      String[] terms = new String[n];
      BytesRef[] payloads = new BytesRef[n];
      for (int j = 0; j < n; j++) {
        terms[j] = XtrBuilder.term(assign[j]);
        payloads[j] = XtrBuilder.code(m.data(), j * dim, dim);
      }
      return PayloadTokenStream.field(field + SUFFIX, terms, payloads);
    }
  }

  private final Path root;
  private final Map<String, Trained> loaded = new ConcurrentHashMap<>();

  XtrLists(Path configDir) {
    this.root = configDir.resolve(FOLDER);
  }

  /**
   * The centroids named {@code name}, read once per node (checksum verified); an {@link
   * IllegalArgumentException} saying what to install where otherwise.
   */
  Trained get(String name) {
    Trained t = loaded.get(name);
    if (t != null) return t;
    if (!NAME.matcher(name).matches() || name.contains("..")) {
      throw new IllegalArgumentException(
          "[xtr_centroids] ["
              + name
              + "] is not a folder name: use the name of a folder under "
              + root
              + " (letters, digits, '.', '_', '-')");
    }
    Path dir = root.resolve(name);
    if (!Files.isRegularFile(dir.resolve(XtrBuilder.CENTROIDS_FILE))) {
      throw new IllegalArgumentException(
          "[xtr_centroids] ["
              + name
              + "] is not installed on this node: copy "
              + XtrBuilder.CENTROIDS_FILE
              + " from a Latte index's latte-xtr folder (./latte index --first-stage xtr) to "
              + dir
              + " on every node");
    }
    return loaded.computeIfAbsent(
        name,
        n -> {
          try (Directory d = FSDirectory.open(dir)) {
            TokenMatrix c = XtrBuilder.readCentroids(d);
            return new Trained(n, c, XtrIndex.Centroids.of(c));
          } catch (IOException e) {
            throw new IllegalArgumentException(
                "[xtr_centroids] [" + n + "]: cannot read " + dir + ": " + e.getMessage(), e);
          }
        });
  }
}
