package dev.latte.searcher;

import dev.latte.indexer.IndexLayout;
import dev.latte.indexer.TokenAnnotations;
import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.util.Bits;

/**
 * In how many live documents of an index each token string (the tokenizer's word piece) occurs,
 * read from the stored token annotations: the collection statistics behind IDF weighting of query
 * tokens (BERTScore's importance weighting). Computed once per opened index ({@link
 * LatteIndex#derived}) by one pass over the annotations.
 */
public final class TokenDocumentFrequencies {
  static final String NAME = "token-document-frequencies";

  private final Map<String, Integer> df;
  private final int documents;

  private TokenDocumentFrequencies(Map<String, Integer> df, int documents) {
    this.df = df;
    this.documents = documents;
  }

  /** The statistics of {@code index}, computed on first use and then kept with it. */
  public static TokenDocumentFrequencies of(LatteIndex index) throws IOException {
    return index.firstStage(NAME, TokenDocumentFrequencies::compute);
  }

  static TokenDocumentFrequencies compute(LatteIndex index) throws IOException {
    Map<String, Integer> df = new HashMap<>();
    int documents = 0;
    boolean annotated = false;
    for (LeafReaderContext leaf : index.reader().leaves()) {
      BinaryDocValues values = leaf.reader().getBinaryDocValues(IndexLayout.TOKEN_INFO);
      if (values == null) continue;
      annotated = true;
      Bits live = leaf.reader().getLiveDocs();
      Set<String> seen = new HashSet<>();
      for (int d = values.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = values.nextDoc()) {
        if (live != null && !live.get(d)) continue;
        seen.clear();
        for (String t : TokenAnnotations.decode(values.binaryValue()).tokens()) seen.add(t);
        for (String t : seen) df.merge(t, 1, Integer::sum);
        documents++;
      }
    }
    if (!annotated && index.reader().numDocs() > 0) {
      throw new IllegalArgumentException(
          "IDF weighting of query tokens needs the token strings of the documents, and index "
              + index.path()
              + " has none (pooled indexes and indexes of layout 1 store no token annotations);"
              + " use a method without IDF weighting or rebuild the index without pooling");
    }
    return new TokenDocumentFrequencies(df, documents);
  }

  /** Live documents that have annotations. */
  public int documents() {
    return documents;
  }

  /** Documents in which {@code token} occurs. */
  public int documentFrequency(String token) {
    return df.getOrDefault(token, 0);
  }

  /** Smoothed inverse document frequency, ln((N + 1) / (df + 1)), as BERTScore weights tokens. */
  public float idf(String token) {
    return (float) Math.log((documents + 1.0) / (documentFrequency(token) + 1.0));
  }
}
