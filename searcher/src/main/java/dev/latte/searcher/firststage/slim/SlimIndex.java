package dev.latte.searcher.firststage.slim;

import dev.latte.core.TokenMatrix;
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.searcher.Candidates;
import dev.latte.searcher.DocSetQuery;
import dev.latte.searcher.FirstStageParams;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.firststage.xtr.XtrIndex;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.lucene.document.FeatureField;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.util.FixedBitSet;

/**
 * SLIM over the impact index of {@link SlimBuilder}: the query's token vectors are sparsified the
 * same way as the documents'; stage 1 sums them into one sparse query and runs it as a disjunction
 * of {@link FeatureField} linear queries (Lucene's impact-based top-k); stage 2 refines candidates
 * with the exact sparse late interaction Σ_i max_j q_i · d_j over their stored token vectors.
 * Thread-safe.
 */
final class SlimIndex implements Closeable {
  /** Lucene's default clause limit; the largest query weights are kept. */
  static final int MAX_CLAUSES = 1024;

  private final DirectoryReader reader;
  private final IndexSearcher searcher;
  private final int[] mainDocs;
  private final SlimBuilder.Vocabulary vocab;
  private final Map<String, Integer> ids;
  private final int topK;
  private final float[] tableT;

  /** The vocabulary as searches use it: word piece ids, and the table transposed. */
  record Table(SlimBuilder.Vocabulary vocab, Map<String, Integer> ids, float[] transposed) {
    static Table of(SlimBuilder.Vocabulary v) {
      return new Table(
          v,
          v.ids(),
          dev.latte.indexer.firststage.SphericalKMeans.transpose(
              v.table().data(), v.table().rows(), v.table().dim()));
    }
  }

  private SlimIndex(FirstStageIndex.Linked linked, Table table) {
    this.reader = linked.reader();
    this.searcher = new IndexSearcher(reader);
    this.mainDocs = linked.mainDocs();
    this.vocab = table.vocab();
    this.ids = table.ids();
    this.topK = vocab.topK();
    this.tableT = table.transposed();
  }

  static SlimIndex load(LatteIndex index) throws IOException {
    return FirstStageParams.open(
        index,
        SlimBuilder.FORMAT,
        linked ->
            new SlimIndex(
                linked,
                FirstStageParams.of(
                    index,
                    SlimBuilder.NAME,
                    SlimBuilder.VOCAB_FILE,
                    Table.class,
                    dir -> Table.of(SlimBuilder.readVocabulary(dir)))));
  }

  /**
   * The query's sparse token vectors: like the documents' (neighbour rows of the token's own word
   * piece), against the whole table for a trained head or a word piece the corpus never had.
   */
  List<SlimBuilder.Sparse> sparsify(
      TokenMatrix q, String[] tokens, dev.latte.core.kernel.VectorKernel kernel) {
    List<SlimBuilder.Sparse> out = new ArrayList<>(q.rows());
    for (int i = 0; i < q.rows(); i++) {
      Integer id = vocab.trained() ? null : ids.get(tokens[i]);
      out.add(
          id == null
              ? SlimBuilder.sparseFullScan(vocab, q.data(), i * q.dim(), kernel, tableT)
              : SlimBuilder.sparse(vocab, q.data(), i * q.dim(), id, topK, null));
    }
    return out;
  }

  /** Stage 1: derived doc ids and upper-bound scores, best first. */
  TopDocs firstStage(List<SlimBuilder.Sparse> query, int depth) throws IOException {
    return firstStage(query, depth, null);
  }

  /**
   * Stage 1 over the derived documents whose main document is in {@code filter} (null: all): the
   * filter is a FILTER clause of the query, so the top {@code depth} are the best matching
   * documents, not a post-filtered remainder.
   */
  TopDocs firstStage(List<SlimBuilder.Sparse> query, int depth, FixedBitSet filter)
      throws IOException {
    Map<Integer, Float> sum = new HashMap<>();
    for (SlimBuilder.Sparse s : query)
      for (int e = 0; e < s.ids().length; e++) sum.merge(s.ids()[e], s.weights()[e], Float::sum);
    List<Map.Entry<Integer, Float>> entries = new ArrayList<>(sum.entrySet());
    entries.sort((a, b) -> Float.compare(b.getValue(), a.getValue()));
    BooleanQuery.Builder b = new BooleanQuery.Builder();
    for (int i = 0; i < Math.min(MAX_CLAUSES, entries.size()); i++) {
      var e = entries.get(i);
      b.add(
          FeatureField.newLinearQuery(
              SlimBuilder.FEATURES, vocab.terms()[e.getKey()], e.getValue()),
          BooleanClause.Occur.SHOULD);
    }
    Query q = b.build();
    if (filter != null)
      q =
          new BooleanQuery.Builder()
              .add(q, BooleanClause.Occur.MUST)
              .add(
                  new DocSetQuery(DocSetQuery.derived(filter, mainDocs)),
                  BooleanClause.Occur.FILTER)
              .build();
    return searcher.search(q, depth);
  }

  /** Stage 2: exact sparse late interaction of the given derived docs; best first, main ids. */
  Candidates refine(List<SlimBuilder.Sparse> query, ScoreDoc[] hits) throws IOException {
    int nq = query.size();
    Map<Integer, List<float[]>> byId = new HashMap<>(); // vocab id -> (row, weight) pairs
    for (int i = 0; i < nq; i++) {
      SlimBuilder.Sparse s = query.get(i);
      for (int e = 0; e < s.ids().length; e++)
        byId.computeIfAbsent(s.ids()[e], x -> new ArrayList<>())
            .add(new float[] {i, s.weights()[e]});
    }
    int[] docs = new int[hits.length];
    float[] scores = new float[hits.length];
    float[] dot = new float[nq];
    float[] best = new float[nq];
    List<LeafReaderContext> leaves = reader.leaves();
    for (int h = 0; h < hits.length; h++) {
      int global = hits[h].doc;
      LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(global, leaves));
      BinaryDocValues v = leaf.reader().getBinaryDocValues(SlimBuilder.TOKENS);
      Arrays.fill(best, 0f);
      if (v != null && v.advanceExact(global - leaf.docBase)) {
        for (SlimBuilder.Sparse d : SlimBuilder.decodeTokens(v.binaryValue())) {
          Arrays.fill(dot, 0f);
          for (int e = 0; e < d.ids().length; e++) {
            List<float[]> qs = byId.get(d.ids()[e]);
            if (qs == null) continue;
            for (float[] p : qs) dot[(int) p[0]] += p[1] * d.weights()[e];
          }
          for (int i = 0; i < nq; i++) best[i] = Math.max(best[i], dot[i]);
        }
      }
      float total = 0;
      for (float x : best) total += x;
      docs[h] = mainDocs[global];
      scores[h] = total;
    }
    return XtrIndex.sortByScore(docs, scores);
  }

  int mainDoc(int derivedDoc) {
    return mainDocs[derivedDoc];
  }

  @Override
  public void close() throws IOException {
    reader.close();
  }
}
