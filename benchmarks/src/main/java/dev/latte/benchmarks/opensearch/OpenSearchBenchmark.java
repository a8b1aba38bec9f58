package dev.latte.benchmarks.opensearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.benchmarks.JsonReports;
import dev.latte.core.Percentiles;
import dev.latte.core.TokenMatrix;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.datasets.BeirDataset;
import dev.latte.datasets.Query;
import dev.latte.encoders.BundledModel;
import dev.latte.encoders.OnnxTokenEncoder;
import dev.latte.encoders.TokenEncoder;
import dev.latte.eval.metrics.Qrels;
import dev.latte.eval.metrics.RankedDoc;
import dev.latte.eval.metrics.TrecMetrics;
import dev.latte.indexer.IndexLayout;
import dev.latte.opensearch.LattePlugin;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.LatteSearcher;
import dev.latte.searcher.SearchSettings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.util.BytesRef;
import org.opensearch.analysis.common.CommonAnalysisModulePlugin;
import org.opensearch.painless.PainlessModulePlugin;
import org.opensearch.transport.Netty4ModulePlugin;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Latte standalone against the Latte plugin inside OpenSearch 3.9, one run, same machine, same
 * token matrices (the standalone index's stored bytes are bulk-loaded as they are), same query
 * vectors: per-query latency of BM25 alone and of BM25 + MaxSim rescoring of the top {@code
 * --depth}, and nDCG@10 of both. The node runs in this JVM (single node, real HTTP on loopback);
 * the plugin is timed from the client (HTTP and JSON included) and by OpenSearch's {@code took}.
 *
 * <pre>
 * ./mvnw -q -B -pl benchmarks -am install -DskipTests
 * ./mvnw -q -B -pl benchmarks dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx6g \
 *   -cp benchmarks/target/classes:$(cat benchmarks/target/cp.txt) \
 *   dev.latte.benchmarks.opensearch.OpenSearchBenchmark --index DIR --dataset ../shared/datasets/scifact --home DIR
 * </pre>
 */
@Command(
    name = "OpenSearchBenchmark",
    mixinStandardHelpOptions = true,
    description =
        "Latte standalone vs the Latte OpenSearch plugin: BM25 and BM25 + MaxSim rescoring latency"
            + " and nDCG@10 on a BEIR collection already indexed by ./latte index.")
public final class OpenSearchBenchmark implements Callable<Integer> {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String INDEX = "bench";

  @Option(names = "--index", required = true, description = "A Latte index of the collection.")
  Path index;

  @Option(names = "--dataset", required = true, description = "The BEIR folder (queries, qrels).")
  Path dataset;

  @Option(names = "--split", defaultValue = "test")
  String split;

  @Option(
      names = "--model",
      defaultValue = "default",
      description = "Model folder that encoded the index (default: the bundled model).")
  String model;

  @Option(names = "--home", required = true, description = "An empty folder for the node's data.")
  Path home;

  @Option(names = "--port", defaultValue = "18500", description = "HTTP port (transport: +1).")
  int port;

  @Option(names = "--depth", defaultValue = "100", description = "Candidates rescored.")
  int depth;

  @Option(names = "--shards", defaultValue = "1")
  int shards;

  @Option(names = "--queries", defaultValue = "0", description = "Queries used (0: all).")
  int queryLimit;

  @Option(names = "--json", description = "Write the report here too.")
  Path jsonOut;

  @Option(
      names = "--painless-docs",
      defaultValue = "0",
      description =
          "Also compare with a Painless MaxSim over _source rows on the first N documents"
              + " (0: skip).")
  int painlessDocs;

  @Option(names = "--painless-queries", defaultValue = "20")
  int painlessQueries;

  @Option(names = "--painless-only", description = "Run only the Painless comparison.")
  boolean painlessOnly;

  final ObjectNode report = JSON.createObjectNode();

  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  public static void main(String[] args) {
    System.exit(new CommandLine(new OpenSearchBenchmark()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (Files.exists(home) && Files.list(home).findAny().isPresent()) {
      throw new IllegalArgumentException("--home " + home + " must be empty or absent");
    }
    Files.createDirectories(home);
    BeirDataset data = BeirDataset.open(dataset);
    Qrels qrels = Qrels.of(data.qrels(split));
    List<Query> queries =
        data.queries().values().stream()
            .filter(q -> qrels.judgments().containsKey(q.id()))
            .toList();
    if (queryLimit > 0) queries = queries.subList(0, Math.min(queryLimit, queries.size()));
    TokenEncoder encoder = OnnxTokenEncoder.load(BundledModel.resolve(model));
    LatteIndex latte = LatteIndex.open(index);
    LatteSearcher standalone =
        new LatteSearcher(latte, encoder, VectorKernel.get(), new SearchSettings(depth, 0.9f));
    int dims = latte.metadata().dimension();
    System.out.printf(
        "index %s: %d docs, %d-d, %s; kernel %s; %d queries; depth %d; %d shard(s)%n",
        index,
        latte.reader().numDocs(),
        dims,
        latte.metadata().options().codec().cliName(),
        VectorKernel.get().name(),
        queries.size(),
        depth,
        shards);

    try (EmbeddedNode node =
        new EmbeddedNode(
            home,
            port,
            List.of(
                LattePlugin.class,
                Netty4ModulePlugin.class,
                CommonAnalysisModulePlugin.class,
                PainlessModulePlugin.class))) {
      node.start();
      if (!painlessOnly) {
        createIndex(dims, latte.metadata().options().codec().cliName());
        long t0 = System.nanoTime();
        int loaded = bulkLoad(latte);
        double loadSeconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("bulk-loaded %d documents in %.1f s%n", loaded, loadSeconds);

        Map<String, List<Double>> millis = new LinkedHashMap<>();
        Map<String, List<Double>> ndcg = new LinkedHashMap<>();
        int sameTop10 = 0;
        for (int pass = 0; pass < 2; pass++) { // pass 0 warms both sides up and is not counted
          boolean timed = pass == 1;
          for (Query q : queries) {
            TokenMatrix vectors = encoder.encodeQuery(q.text()).matrix();
            Timed sBm25 = standalone(standalone, "bm25", q, vectors);
            Timed sRescore = standalone(standalone, "bm25+maxsim", q, vectors);
            Timed pBm25 = plugin(q, vectors, false);
            Timed pRescore = plugin(q, vectors, true);
            if (!timed) continue;
            record(millis, "standalone bm25", sBm25.millis);
            record(millis, "standalone bm25+maxsim", sRescore.millis);
            record(millis, "plugin bm25 (client)", pBm25.millis);
            record(millis, "plugin bm25+latte_maxsim (client)", pRescore.millis);
            record(millis, "plugin bm25 (took)", pBm25.took);
            record(millis, "plugin bm25+latte_maxsim (took)", pRescore.took);
            record(ndcg, "standalone bm25+maxsim", ndcg(qrels, q, sRescore.ids));
            record(ndcg, "plugin bm25+latte_maxsim", ndcg(qrels, q, pRescore.ids));
            record(ndcg, "standalone bm25", ndcg(qrels, q, sBm25.ids));
            record(ndcg, "plugin bm25", ndcg(qrels, q, pBm25.ids));
            if (sRescore.ids.equals(pRescore.ids)) sameTop10++;
          }
        }
        report.put("documents", loaded).put("queries", queries.size()).put("depth", depth);
        report.put("shards", shards).put("kernel", VectorKernel.get().name());
        report.put("bulk_load_seconds", loadSeconds).put("same_top10_queries", sameTop10);
        System.out.printf("%n| path | p50 ms | p95 ms | mean ms |%n|---|---|---|---|%n");
        ObjectNode lat = report.putObject("latency_ms");
        for (var e : millis.entrySet()) {
          double[] v = e.getValue().stream().mapToDouble(Double::doubleValue).toArray();
          double p50 = Percentiles.nearestRank(v, 50), p95 = Percentiles.nearestRank(v, 95);
          double mean = java.util.Arrays.stream(v).average().orElseThrow();
          System.out.printf(
              Locale.ROOT, "| %s | %.2f | %.2f | %.2f |%n", e.getKey(), p50, p95, mean);
          lat.putObject(e.getKey()).put("p50", p50).put("p95", p95).put("mean", mean);
        }
        double sRescore =
            mean(millis.get("standalone bm25+maxsim")) - mean(millis.get("standalone bm25"));
        double pRescore =
            mean(millis.get("plugin bm25+latte_maxsim (took)"))
                - mean(millis.get("plugin bm25 (took)"));
        System.out.printf(
            Locale.ROOT,
            "%nrescoring %d candidates, mean per query (with minus without rescore): standalone %.2f"
                + " ms, plugin %.2f ms (took) -> ratio %.2f%n",
            depth,
            sRescore,
            pRescore,
            pRescore / sRescore);
        System.out.printf(
            Locale.ROOT,
            "end to end, mean: plugin (client) / standalone bm25+maxsim = %.2f%n",
            mean(millis.get("plugin bm25+latte_maxsim (client)"))
                / mean(millis.get("standalone bm25+maxsim")));
        report.put("rescore_ms_standalone", sRescore).put("rescore_ms_plugin", pRescore);
        ObjectNode nd = report.putObject("ndcg_at_10");
        System.out.println();
        for (var e : ndcg.entrySet()) {
          System.out.printf(Locale.ROOT, "nDCG@10 %s: %.4f%n", e.getKey(), mean(e.getValue()));
          nd.put(e.getKey(), mean(e.getValue()));
        }
        System.out.printf(
            "same top 10 (ids, in order) for %d of %d queries%n", sameTop10, queries.size());
      }
      if (painlessDocs > 0) {
        PainlessComparison p = new PainlessComparison(this);
        long tp = System.nanoTime();
        p.load(latte, painlessDocs, dims);
        System.out.printf(
            Locale.ROOT,
            "%nloaded %d documents with _source rows in %.1f s%n",
            painlessDocs,
            (System.nanoTime() - tp) / 1e9);
        p.run(queries.subList(0, Math.min(painlessQueries, queries.size())), encoder, depth);
      }
      if (jsonOut != null) JsonReports.write(jsonOut, report);
    } finally {
      standalone.close();
    }
    return 0;
  }

  record Timed(double millis, double took, List<String> ids) {}

  static void record(Map<String, List<Double>> m, String key, double v) {
    m.computeIfAbsent(key, k -> new ArrayList<>()).add(v);
  }

  static double mean(List<Double> v) {
    return v.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
  }

  static double ndcg(Qrels qrels, Query q, List<String> ids) {
    List<RankedDoc> ranking = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) ranking.add(new RankedDoc(ids.get(i), ids.size() - i));
    return TrecMetrics.evaluateQuery(qrels, q.id(), ranking).ndcgCut10();
  }

  /** The top 10 without the query's own id (BEIR convention, as eval does). */
  static List<String> top10(List<String> ids, Query q) {
    return ids.stream().filter(id -> !id.equals(q.id())).limit(10).toList();
  }

  Timed standalone(LatteSearcher s, String method, Query q, TokenMatrix vectors) throws Exception {
    long t = System.nanoTime();
    var r = s.searchVectors(method, q.text(), vectors, 11, null, false);
    double ms = (System.nanoTime() - t) / 1e6;
    return new Timed(ms, ms, top10(r.hits().stream().map(LatteSearcher.Hit::docid).toList(), q));
  }

  Timed plugin(Query q, TokenMatrix vectors, boolean rescore) throws Exception {
    ObjectNode body = JSON.createObjectNode().put("size", 11).put("_source", false);
    body.putObject("query").putObject("match").put("text", q.text());
    if (rescore) {
      ObjectNode r = body.putObject("rescore").put("window_size", depth).putObject("query");
      ObjectNode maxsim = r.putObject("rescore_query").putObject("latte_maxsim");
      maxsim.put("field", "tokens");
      ArrayNode rows = maxsim.putArray("query_vectors");
      for (int i = 0; i < vectors.rows(); i++) {
        ArrayNode row = rows.addArray();
        for (int d = 0; d < vectors.dim(); d++) row.add(vectors.get(i, d));
      }
      r.put("query_weight", 0.0).put("rescore_query_weight", 1.0);
    }
    String json = JSON.writeValueAsString(body);
    long t = System.nanoTime();
    JsonNode resp = call("POST", "/" + INDEX + "/_search", json);
    double ms = (System.nanoTime() - t) / 1e6;
    List<String> ids = new ArrayList<>();
    for (JsonNode h : resp.get("hits").get("hits")) ids.add(h.get("_id").asText());
    return new Timed(ms, resp.get("took").asDouble(), top10(ids, q));
  }

  void createIndex(int dims, String codec) throws Exception {
    ObjectNode body = JSON.createObjectNode();
    ObjectNode settings = body.putObject("settings");
    settings.put("number_of_shards", shards).put("number_of_replicas", 0);
    // Latte's BM25: k1 0.9, b 0.4 (Anserini's BEIR settings), EnglishAnalyzer over title + text.
    settings
        .putObject("similarity")
        .putObject("default")
        .put("type", "BM25")
        .put("k1", IndexLayout.BM25_K1)
        .put("b", IndexLayout.BM25_B);
    ObjectNode props = body.putObject("mappings").putObject("properties");
    props.putObject("text").put("type", "text").put("analyzer", "english");
    props.putObject("tokens").put("type", "latte_tokens").put("dims", dims).put("codec", codec);
    call("PUT", "/" + INDEX, JSON.writeValueAsString(body));
  }

  /** Every document of the Latte index, its stored matrix bytes as base64, 100 per bulk. */
  int bulkLoad(LatteIndex latte) throws Exception {
    StringBuilder bulk = new StringBuilder();
    int n = 0, inBatch = 0;
    Base64.Encoder b64 = Base64.getEncoder();
    for (LeafReaderContext leaf : latte.reader().leaves()) {
      BinaryDocValues values = dev.latte.indexer.lists.DocumentTokens.of(leaf.reader());
      if (values == null) continue;
      var live = leaf.reader().getLiveDocs();
      for (int d = values.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = values.nextDoc()) {
        if (live != null && !live.get(d)) continue;
        LatteIndex.StoredDocument doc = latte.stored(leaf.docBase + d);
        BytesRef v = values.binaryValue();
        ObjectNode action = JSON.createObjectNode();
        action.putObject("index").put("_index", INDEX).put("_id", doc.id());
        ObjectNode source = JSON.createObjectNode();
        source.put("text", doc.title().isEmpty() ? doc.text() : doc.title() + " " + doc.text());
        source.put(
            "tokens",
            b64.encodeToString(
                java.util.Arrays.copyOfRange(v.bytes, v.offset, v.offset + v.length)));
        bulk.append(JSON.writeValueAsString(action)).append('\n');
        bulk.append(JSON.writeValueAsString(source)).append('\n');
        n++;
        if (++inBatch == 100) {
          sendBulk(bulk.toString());
          bulk.setLength(0);
          inBatch = 0;
        }
      }
    }
    if (inBatch > 0) sendBulk(bulk.toString());
    call("POST", "/" + INDEX + "/_refresh", null);
    return n;
  }

  void sendBulk(String body) throws Exception {
    JsonNode r = call("POST", "/_bulk", body);
    if (r.get("errors").asBoolean())
      throw new IllegalStateException("bulk errors: " + r.toString().substring(0, 2000));
  }

  JsonNode call(String method, String path, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofMinutes(5))
            .header("Content-Type", "application/json");
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> resp = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (resp.statusCode() >= 300) {
      throw new IllegalStateException(
          method + " " + path + ": " + resp.statusCode() + " " + resp.body());
    }
    return JSON.readTree(resp.body());
  }
}
