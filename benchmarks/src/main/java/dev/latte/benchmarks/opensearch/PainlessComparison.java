package dev.latte.benchmarks.opensearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.datasets.Query;
import dev.latte.encoders.TokenEncoder;
import dev.latte.searcher.LatteIndex;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.util.BytesRef;

/**
 * OpenSearch's own way to late interaction today, rebuilt with stock parts: MaxSim computed by a
 * Painless score script from the token rows in {@code _source} (what the k-NN plugin's {@code
 * lateInteractionScore} does; that plugin does not resolve for 3.9 here), against the plugin's
 * {@code latte_maxsim} on the same documents, the same BM25 window and the same query vectors. On a
 * subset of the collection: {@code _source} rows are ~9 KB of JSON per 384-d token.
 */
final class PainlessComparison {
  static final String INDEX = "painless";

  /**
   * MaxSim in Painless over {@code params._source.rows}. The dot product is written out term by
   * term: Painless stops a script after 1,000,000 loop iterations (not settable per request), and a
   * loop over 384 dimensions would take 2.6 M per document.
   */
  static String script(int dims) {
    StringBuilder dot = new StringBuilder();
    for (int i = 0; i < dims; i++) {
      dot.append(i == 0 ? "" : " + ").append("q[").append(i).append("] * d[").append(i).append(']');
    }
    return """
        def rows = params['_source']['rows'];
        double total = 0;
        for (def q : params.query) {
          double best = Double.NEGATIVE_INFINITY;
          for (def d : rows) {
            double dot = %s;
            if (dot > best) { best = dot; }
          }
          total += best;
        }
        return Math.max(0, total);
        """
        .formatted(dot);
  }

  private final OpenSearchBenchmark bench;

  PainlessComparison(OpenSearchBenchmark bench) {
    this.bench = bench;
  }

  /** Loads the first {@code docs} documents with their rows in {@code _source}, 20 per bulk. */
  void load(LatteIndex latte, int docs, int dims) throws Exception {
    ObjectNode body = OpenSearchBenchmark.JSON.createObjectNode();
    body.putObject("settings").put("number_of_shards", 1).put("number_of_replicas", 0);
    ObjectNode props = body.putObject("mappings").putObject("properties");
    props.putObject("text").put("type", "text").put("analyzer", "english");
    props.putObject("rows").put("type", "object").put("enabled", false);
    props.putObject("tokens").put("type", "latte_tokens").put("dims", dims);
    bench.call("PUT", "/" + INDEX, OpenSearchBenchmark.JSON.writeValueAsString(body));
    StringBuilder bulk = new StringBuilder();
    int n = 0;
    outer:
    for (LeafReaderContext leaf : latte.reader().leaves()) {
      BinaryDocValues values = dev.latte.indexer.lists.DocumentTokens.of(leaf.reader());
      for (int d = values.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = values.nextDoc()) {
        if (n == docs) break outer;
        LatteIndex.StoredDocument doc = latte.stored(leaf.docBase + d);
        BytesRef v = values.binaryValue();
        TokenMatrix m = StoredTokenMatrix.decode(v.bytes, v.offset, v.length, dims);
        ObjectNode action = OpenSearchBenchmark.JSON.createObjectNode();
        action.putObject("index").put("_index", INDEX).put("_id", doc.id());
        ObjectNode source = OpenSearchBenchmark.JSON.createObjectNode();
        source.put("text", doc.title().isEmpty() ? doc.text() : doc.title() + " " + doc.text());
        ArrayNode rows = rows(m);
        source.set("rows", rows);
        source.set("tokens", rows);
        bulk.append(OpenSearchBenchmark.JSON.writeValueAsString(action)).append('\n');
        bulk.append(OpenSearchBenchmark.JSON.writeValueAsString(source)).append('\n');
        if (++n % 20 == 0) {
          bench.sendBulk(bulk.toString());
          bulk.setLength(0);
        }
      }
    }
    if (bulk.length() > 0) bench.sendBulk(bulk.toString());
    bench.call("POST", "/" + INDEX + "/_refresh", null);
  }

  static ArrayNode rows(TokenMatrix m) {
    ArrayNode rows = OpenSearchBenchmark.JSON.createArrayNode();
    for (int i = 0; i < m.rows(); i++) {
      ArrayNode row = rows.addArray();
      for (int d = 0; d < m.dim(); d++) row.add(m.get(i, d));
    }
    return rows;
  }

  /** Per query: the plugin's and Painless's time (took) and whether their top 10s agree. */
  void run(List<Query> queries, TokenEncoder encoder, int depth) throws Exception {
    List<Double> latte = new ArrayList<>(), painless = new ArrayList<>();
    List<Double> window = new ArrayList<>();
    int agree = 0;
    for (int pass = 0; pass < 2; pass++) {
      for (Query q : queries) {
        TokenMatrix vectors = encoder.encodeQuery(q.text()).matrix();
        JsonNode a = search(q, vectors, depth, false);
        JsonNode b = search(q, vectors, depth, true);
        if (pass == 0) continue; // warm-up (compiles the script)
        latte.add(a.get("took").asDouble());
        painless.add(b.get("took").asDouble());
        // Documents rescored: the BM25 matches in the subset, up to the window.
        window.add(Math.min(depth, a.get("hits").get("total").get("value").asDouble()));
        if (ids(a).equals(ids(b))) agree++;
      }
    }
    double ml = OpenSearchBenchmark.mean(latte), mp = OpenSearchBenchmark.mean(painless);
    System.out.printf(
        Locale.ROOT,
        "%nPainless _source MaxSim vs latte_maxsim, BM25 window %d, %d queries (took, mean):"
            + " latte_maxsim %.1f ms, Painless %.1f ms -> Painless / plugin = %.0fx; same top 10"
            + " for %d of %d; %.1f candidates rescored per query (mean)%n",
        depth,
        queries.size(),
        ml,
        mp,
        mp / ml,
        agree,
        queries.size(),
        OpenSearchBenchmark.mean(window));
    bench.report.put("painless_candidates", OpenSearchBenchmark.mean(window));
    bench.report.put("painless_ms", mp).put("painless_latte_ms", ml);
    bench.report.put("painless_same_top10", agree).put("painless_queries", queries.size());
  }

  static List<String> ids(JsonNode r) {
    List<String> ids = new ArrayList<>();
    for (JsonNode h : r.get("hits").get("hits")) ids.add(h.get("_id").asText());
    return ids;
  }

  JsonNode search(Query q, TokenMatrix vectors, int depth, boolean painless) throws Exception {
    ObjectNode body = OpenSearchBenchmark.JSON.createObjectNode().put("size", 10);
    body.put("_source", false);
    body.putObject("query").putObject("match").put("text", q.text());
    ObjectNode r = body.putObject("rescore").put("window_size", depth).putObject("query");
    ObjectNode rq = r.putObject("rescore_query");
    if (painless) {
      ObjectNode ss = rq.putObject("script_score");
      ss.putObject("query").putObject("match_all");
      ObjectNode script = ss.putObject("script").put("source", script(vectors.dim()));
      script.putObject("params").set("query", rows(vectors));
    } else {
      ObjectNode m = rq.putObject("latte_maxsim").put("field", "tokens");
      m.set("query_vectors", rows(vectors));
    }
    r.put("query_weight", 0.0).put("rescore_query_weight", 1.0);
    return bench.call(
        "POST", "/" + INDEX + "/_search", OpenSearchBenchmark.JSON.writeValueAsString(body));
  }
}
