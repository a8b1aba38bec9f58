package dev.latte.indexer.firststage;

import dev.latte.core.TokenMatrix;
import dev.latte.indexer.TokenAnnotations;
import java.io.IOException;
import java.util.List;
import org.apache.lucene.document.Document;

/**
 * Turns main-index documents into the documents of one first stage with <em>frozen</em> trained
 * parameters (centroids, projections, vocabulary table) read from the structure's folder. The same
 * deriver writes a structure's documents when it is built and when a live index keeps it in step
 * with writes ({@link LiveFirstStage}), so a document derived live is identical to the one a
 * rebuild with the same parameters would write.
 */
public interface Deriver {
  /** True if {@link #derive} needs every row's word piece ({@link TokenAnnotations}). */
  boolean needsAnnotations();

  /**
   * The derived documents of a batch of source documents, in order, without link fields (the caller
   * adds them). {@code annotations} holds null entries when not {@link #needsAnnotations()}.
   */
  List<Document> derive(List<TokenMatrix> matrices, List<TokenAnnotations> annotations)
      throws IOException;
}
