package dev.latte.searcher.firststage.coil;

import dev.latte.core.TokenMatrix;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.indexer.firststage.SphericalKMeans;
import dev.latte.searcher.Candidates;
import dev.latte.searcher.FirstStageParams;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.PayloadCodes;
import dev.latte.searcher.firststage.xtr.XtrIndex;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.FixedBitSet;

/**
 * COIL retrieval over the lists of {@link CoilBuilder}: each query token meets only the postings of
 * its own vocabulary token; per document, the best dot product (reduced vectors) over that term's
 * occurrences, summed over the query tokens the document shares (COIL-tok; the bundled model's
 * documents keep no [CLS] vector, so there is no dense CLS term). Documents sharing no query token
 * are not retrieved. Thread-safe.
 */
final class CoilIndex implements Closeable {
  private final DirectoryReader reader;
  private final int[] mainDocs;
  private final float[] projectionT;
  private final int reduced;
  private final int dim;

  /** The projection as searches use it: transposed. */
  record Projection(int reduced, int dim, float[] transposed) {
    static Projection of(TokenMatrix p) {
      return new Projection(
          p.rows(), p.dim(), SphericalKMeans.transpose(p.data(), p.rows(), p.dim()));
    }
  }

  private CoilIndex(FirstStageIndex.Linked linked, Projection projection) {
    this.reader = linked.reader();
    this.mainDocs = linked.mainDocs();
    this.reduced = projection.reduced();
    this.dim = projection.dim();
    this.projectionT = projection.transposed();
  }

  static CoilIndex load(LatteIndex index) throws IOException {
    return FirstStageParams.open(
        index,
        CoilBuilder.FORMAT,
        linked ->
            new CoilIndex(
                linked,
                FirstStageParams.of(
                    index,
                    CoilBuilder.NAME,
                    CoilBuilder.PROJECTION_FILE,
                    Projection.class,
                    dir -> Projection.of(CoilBuilder.readProjection(dir)))));
  }

  /** Retrieved documents (main-index ids) with their COIL scores, best first. */
  Candidates search(TokenMatrix query, String[] tokens, VectorKernel kernel) throws IOException {
    return search(query, tokens, kernel, null);
  }

  /**
   * As {@link #search(TokenMatrix, String[], VectorKernel)}, over the main documents in {@code
   * filter} only (null: all); postings of other documents are skipped before scoring.
   */
  Candidates search(TokenMatrix query, String[] tokens, VectorKernel kernel, FixedBitSet filter)
      throws IOException {
    int nq = query.rows();
    if (nq == 0) return new Candidates(new int[0], new float[0]);
    float[] q = new float[nq * reduced];
    kernel.dotMatrix(query.data(), 0, nq, projectionT, reduced, dim, q);
    Map<String, List<Integer>> rowsByToken = new LinkedHashMap<>();
    for (int i = 0; i < nq; i++)
      rowsByToken.computeIfAbsent(tokens[i], t -> new ArrayList<>()).add(i);
    float[] acc = new float[reader.maxDoc()];
    boolean[] hit = new boolean[reader.maxDoc()];
    int[] touched = new int[reader.maxDoc()];
    int nTouched = 0;
    byte[] buf = new byte[64 * (reduced + 4)];
    float[] dots = new float[64];
    for (LeafReaderContext leaf : reader.leaves()) {
      Terms terms = leaf.reader().terms(CoilBuilder.FIELD);
      if (terms == null) continue;
      TermsEnum te = terms.iterator();
      Bits live = leaf.reader().getLiveDocs();
      PostingsEnum pe = null;
      for (var e : rowsByToken.entrySet()) {
        if (!te.seekExact(new BytesRef(e.getKey()))) continue;
        int[] rows = e.getValue().stream().mapToInt(Integer::intValue).toArray();
        pe = te.postings(pe, PostingsEnum.PAYLOADS);
        for (int doc = pe.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = pe.nextDoc()) {
          if (live != null && !live.get(doc)) continue;
          if (filter != null && !filter.get(mainDocs[leaf.docBase + doc])) continue;
          int n = pe.freq();
          buf = PayloadCodes.gather(pe, n, reduced, buf);
          if (dots.length < n * rows.length) dots = new float[n * rows.length * 2];
          kernel.dotsInt8(q, reduced, rows, rows.length, buf, 0, n, dots);
          float sum = 0;
          for (int k = 0; k < rows.length; k++) {
            float best = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) best = Math.max(best, dots[j * rows.length + k]);
            sum += best;
          }
          int global = leaf.docBase + doc;
          if (!hit[global]) {
            hit[global] = true;
            touched[nTouched++] = global;
          }
          acc[global] += sum;
        }
      }
    }
    int[] docs = new int[nTouched];
    float[] scores = new float[nTouched];
    for (int i = 0; i < nTouched; i++) {
      docs[i] = mainDocs[touched[i]];
      scores[i] = acc[touched[i]];
    }
    return XtrIndex.sortByScore(docs, scores);
  }

  long bytes() throws IOException {
    return dev.latte.indexer.ShardedCommits.folderBytes(reader); // every shard's, when sharded
  }

  @Override
  public void close() throws IOException {
    reader.close();
  }
}
