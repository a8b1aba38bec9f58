package dev.latte.opensearch;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.datasets.BeirDataset;
import dev.latte.datasets.BundledSample;
import dev.latte.datasets.Document;
import dev.latte.datasets.Query;
import dev.latte.encoders.TokenEncoder;
import dev.latte.encoders.WordHashEncoder;
import dev.latte.indexer.IndexLayout;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.LatteIndexWriter;
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.searcher.Filters;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.LatteSearcher;
import dev.latte.searcher.firststage.FirstStages;
import dev.latte.searcher.firststage.xtr.XtrBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.util.BytesRef;

/**
 * A SciFact subset indexed by Latte standalone (by default with the model-free {@link
 * WordHashEncoder}, so CI encodes nothing heavy): the reference the plugin's answers must equal.
 * Each document gets a {@code group} (its position mod 3) as metadata, for filters. The token
 * matrices sent to OpenSearch are the ones this index stored, read back from it.
 */
final class StandaloneReference implements AutoCloseable {
  static final int DIM = 48;
  static final ObjectMapper JSON = new ObjectMapper();

  final TokenEncoder encoder;
  final int dim;
  final Path dir;
  final LatteSearcher searcher;

  /** Document id to its stored token matrix, in index order. */
  final Map<String, TokenMatrix> matrices = new LinkedHashMap<>();

  final Map<String, Document> documents = new LinkedHashMap<>();
  final List<Query> queries;

  /** With the model-free test encoder (48 dims). */
  StandaloneReference(Path work, int docs, int queryCount) throws Exception {
    this(work, docs, queryCount, new WordHashEncoder("latte-opensearch-test", DIM), 32);
  }

  /**
   * Indexed with {@code encoder} in batches of {@code batchSize} documents (what {@code ./latte
   * index --batch-size} sets).
   */
  StandaloneReference(Path work, int docs, int queryCount, TokenEncoder encoder, int batchSize)
      throws Exception {
    this(work, docs, queryCount, encoder, batchSize, IndexOptions.DEFAULT);
  }

  /**
   * Stored in {@code options}' codec. For a residual codec (whose stored values need the index's
   * codebook) {@link #matrices} are the encoder's own, which the writer coded.
   */
  StandaloneReference(
      Path work,
      int docs,
      int queryCount,
      TokenEncoder encoder,
      int batchSize,
      IndexOptions options)
      throws Exception {
    this.encoder = encoder;
    this.dim = encoder.dimension();
    Path shared =
        Path.of(System.getProperty("latte.shared.dir", "../../shared"), "datasets", "scifact");
    BeirDataset data =
        Files.isDirectory(shared)
            ? BeirDataset.open(shared)
            : BundledSample.materialize(work.resolve("sample"));
    try (var s = data.corpus()) {
      int[] i = {0};
      s.limit(docs)
          .forEach(
              d -> {
                ObjectNode meta = JSON.createObjectNode().put("group", i[0]++ % 3);
                documents.put(d.id(), new Document(d.id(), d.title(), d.text(), meta));
              });
    }
    queries = data.queries().values().stream().limit(queryCount).toList();
    dir = work.resolve("standalone");
    try (LatteIndexWriter w = LatteIndexWriter.open(dir, encoder, "scifact-subset", "", options)) {
      w.addAll(documents.values().stream(), 1, batchSize, IndexProgress.NONE);
      w.commit();
    }
    LatteIndex index = LatteIndex.open(dir);
    searcher = new LatteSearcher(index, encoder);
    if (options.codec().isResidual()) {
      for (Document d : documents.values()) {
        matrices.put(d.id(), encoder.encodeDocuments(List.of(d.contents())).get(0).matrix());
      }
      return;
    }
    for (LeafReaderContext leaf : index.reader().leaves()) {
      BinaryDocValues values = leaf.reader().getBinaryDocValues(IndexLayout.TOKENS);
      for (int d = values.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = values.nextDoc()) {
        BytesRef v = values.binaryValue();
        matrices.put(
            index.id(leaf.docBase + d), StoredTokenMatrix.decode(v.bytes, v.offset, v.length, dim));
      }
    }
  }

  /**
   * Builds Latte's XTR first stage on this index (centroids trained as {@code ./latte index
   * --first-stage xtr} does) and returns the file holding its frozen centroids.
   */
  Path buildXtr() throws IOException {
    FirstStages.build(dir, List.of(XtrBuilder.NAME), false, n -> IndexProgress.NONE, System.out);
    return FirstStageIndex.dir(dir, XtrBuilder.NAME).resolve(XtrBuilder.CENTROIDS_FILE);
  }

  TokenMatrix queryVectors(Query q) {
    return encoder.encodeQuery(q.text()).matrix();
  }

  /** Latte's answer: method {@code maxsim-exact} or {@code bm25+maxsim}, optional filter JSON. */
  List<Hit> search(String method, Query q, int k, String filterJson) throws IOException {
    var filter = filterJson == null ? null : Filters.parse(filterJson);
    List<Hit> out = new ArrayList<>();
    for (LatteSearcher.Hit h :
        searcher.searchVectors(method, q.text(), queryVectors(q), k, filter, false).hits()) {
      out.add(new Hit(h.docid(), h.score()));
    }
    return out;
  }

  record Hit(String id, float score) {}

  @Override
  public void close() throws IOException {
    searcher.close();
    encoder.close();
  }
}
