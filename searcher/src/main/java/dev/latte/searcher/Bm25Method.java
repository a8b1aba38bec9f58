package dev.latte.searcher;

import dev.latte.indexer.IndexLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;

/**
 * BM25 (k1 0.9, b 0.4) over title + text with Lucene's EnglishAnalyzer: Anserini's bag-of-words
 * query, one SHOULD clause per distinct analysed term, boosted by its count in the query.
 */
public final class Bm25Method implements SearchMethod {
  public static final String NAME = "bm25";
  private final Analyzer analyzer = IndexLayout.analyzer();

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public boolean needsQueryMatrix() {
    return false;
  }

  @Override
  public MethodResult search(LatteIndex index, QueryContext query, int k) throws IOException {
    long t0 = System.nanoTime();
    TopDocs top = top(index, query, k);
    List<ScoredDoc> docs = new ArrayList<>(top.scoreDocs.length);
    for (ScoreDoc sd : top.scoreDocs) docs.add(new ScoredDoc(sd.doc, sd.score));
    return new MethodResult(docs, 0, (System.nanoTime() - t0) / 1e6, 0);
  }

  /** Lucene's top {@code k} of the query's bag of words among the filter's documents. */
  TopDocs top(LatteIndex index, QueryContext query, int k) throws IOException {
    Query q = bagOfWords(query.text());
    Query filter = query.filter();
    if (filter != null) {
      // The filter as a non-scoring FILTER clause beside the (required) bag of words: BM25 scores
      // are unchanged and the top k is taken among matching documents only.
      q =
          new BooleanQuery.Builder()
              .add(q, BooleanClause.Occur.MUST)
              .add(filter, BooleanClause.Occur.FILTER)
              .build();
    }
    return index.searcher().search(q, k);
  }

  /** The analysed terms of the text with their counts; at most Lucene's clause limit of them. */
  Query bagOfWords(String text) {
    Map<String, Integer> counts = new LinkedHashMap<>();
    try (TokenStream ts = analyzer.tokenStream(IndexLayout.BODY, text)) {
      CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
      ts.reset();
      while (ts.incrementToken()) counts.merge(term.toString(), 1, Integer::sum);
      ts.end();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    BooleanQuery.Builder b = new BooleanQuery.Builder();
    int clauses = 0;
    for (var e : counts.entrySet()) {
      if (clauses++ == IndexSearcher.getMaxClauseCount()) break;
      Query tq = new TermQuery(new Term(IndexLayout.BODY, e.getKey()));
      b.add(e.getValue() == 1 ? tq : new BoostQuery(tq, e.getValue()), BooleanClause.Occur.SHOULD);
    }
    return b.build();
  }
}
