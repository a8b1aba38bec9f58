package dev.latte.opensearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.datasets.Document;
import dev.latte.datasets.Query;
import dev.latte.encoders.BundledModel;
import dev.latte.encoders.OnnxTokenEncoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.opensearch.env.Environment;
import org.opensearch.plugins.PluginsService;
import org.opensearch.test.OpenSearchIntegTestCase.ClusterScope;
import org.opensearch.test.OpenSearchIntegTestCase.Scope;

/**
 * Encoding inside the cluster with the bundled model, installed in each node's {@code
 * config/latte-models} from its Maven jar (no downloads): documents ingested as text through the
 * {@code latte_encode} processor, queries sent as {@code query_text} and encoded once per search by
 * the coordinating node — answers equal to Latte standalone indexing and searching the same text
 * with the same model.
 */
@ClusterScope(scope = Scope.SUITE, numDataNodes = 2, numClientNodes = 0)
public class OpenSearchEncodingTest extends ClusterTestBase {
  static final int DOCS = 40;
  static final int QUERIES = 5;
  static final String INDEX = "encoded";
  static StandaloneReference reference;

  @BeforeClass
  public static void standalone() throws Exception {
    Path work = createTempDir();
    OnnxTokenEncoder bundled = OnnxTokenEncoder.load(BundledModel.materialize(work), 1, 1);
    // Batches of one, as the processor encodes: the bundled int8 model quantizes activations per
    // batch, so a document's vectors depend on its batch mates (MaxSim moves by ~1%).
    reference = new StandaloneReference(work, DOCS, QUERIES, bundled, 1);
  }

  @AfterClass
  public static void closeStandalone() throws IOException {
    if (reference != null) reference.close();
    reference = null;
  }

  /** Copies the bundled model into every node's config dir, as an operator would install it. */
  static void installModel() throws IOException {
    for (String node : internalCluster().getNodeNames()) {
      Path config = internalCluster().getInstance(Environment.class, node).configDir();
      BundledModel.materialize(config.resolve(LatteModels.FOLDER));
    }
  }

  /** Query texts encoded so far, summed over the nodes. */
  static long queriesEncoded() {
    long n = 0;
    for (PluginsService p : internalCluster().getInstances(PluginsService.class)) {
      for (LattePlugin plugin : p.filterPlugins(LattePlugin.class)) {
        n += plugin.models().queriesEncoded();
      }
    }
    return n;
  }

  static ObjectNode textQuery(String text) {
    ObjectNode query = StandaloneReference.JSON.createObjectNode();
    query
        .putObject(LatteMaxSimQueryBuilder.NAME)
        .put("field", "tokens")
        .put("query_text", text)
        .put("model", BundledModel.NAME);
    return query;
  }

  public void testTextInTextOutEqualsStandalone() throws Exception {
    installModel();
    String pipeline =
        """
        {"processors": [{"latte_encode": {"model": "%s", "field": "text", "target_field": "tokens"}}]}
        """
            .formatted(BundledModel.NAME);
    call("PUT", "/_ingest/pipeline/latte", pipeline);
    call(
        "PUT",
        "/" + INDEX,
        """
        {"settings": {"number_of_shards": 2, "number_of_replicas": 1, "default_pipeline": "latte"},
         "mappings": {"properties": {
           "text": {"type": "text", "analyzer": "english"},
           "tokens": {"type": "latte_tokens", "dims": %s}}}}
        """
            .formatted(Integer.toString(reference.dim)));
    ensureGreen(INDEX);
    StringBuilder bulk = new StringBuilder();
    for (Document d : reference.documents.values()) {
      ObjectNode action = StandaloneReference.JSON.createObjectNode();
      action.putObject("index").put("_index", INDEX).put("_id", d.id());
      ObjectNode source = StandaloneReference.JSON.createObjectNode().put("text", d.contents());
      bulk.append(json(action)).append('\n').append(json(source)).append('\n');
    }
    JsonNode r = call("POST", "/_bulk", bulk.toString());
    assertFalse("bulk errors: " + r, r.get("errors").asBoolean());
    call("POST", "/" + INDEX + "/_refresh", null);
    assertEquals(DOCS, call("GET", "/" + INDEX + "/_count", null).get("count").asInt());

    for (Query q : reference.queries) {
      long before = queriesEncoded();
      ObjectNode exact = StandaloneReference.JSON.createObjectNode().put("size", K);
      exact.set("query", textQuery(q.text()));
      assertSameRanking(
          "text " + q.id(),
          reference.search("maxsim-exact", q, K, null),
          hits(call("POST", "/" + INDEX + "/_search", json(exact))));
      // Two shards, one encoding: the coordinating node's rewrite, not each shard.
      assertEquals("encodings for one search", 1, queriesEncoded() - before);

      before = queriesEncoded();
      ObjectNode rescore = StandaloneReference.JSON.createObjectNode().put("size", K);
      rescore.putObject("query").putObject("match").put("text", q.text());
      ObjectNode rq = rescore.putObject("rescore").put("window_size", 1000).putObject("query");
      rq.set("rescore_query", textQuery(q.text()));
      rq.put("query_weight", 0.0).put("rescore_query_weight", 1.0);
      assertSameRanking(
          "bm25 + text rescore " + q.id(),
          reference.search("bm25+maxsim", q, K, null),
          hits(call("POST", "/" + INDEX + "/_search", json(rescore))));
      assertEquals("encodings for one rescored search", 1, queriesEncoded() - before);
    }
  }

  public void testXtrWithQueryTextEqualsStandalone() throws Exception {
    installModel();
    // Centroids trained by standalone Latte on its index of the same texts, installed on the nodes.
    Path centroids = reference.buildXtr();
    for (String node : internalCluster().getNodeNames()) {
      Path dir =
          internalCluster()
              .getInstance(Environment.class, node)
              .configDir()
              .resolve(XtrLists.FOLDER)
              .resolve("encoded-xtr");
      Files.createDirectories(dir);
      Files.copy(
          centroids, dir.resolve(centroids.getFileName()), StandardCopyOption.REPLACE_EXISTING);
    }
    call(
        "PUT",
        "/_ingest/pipeline/latte-xtr",
        """
        {"processors": [{"latte_encode": {"model": "%s", "field": "text", "target_field": "tokens"}}]}
        """
            .formatted(BundledModel.NAME));
    call(
        "PUT",
        "/xtr",
        """
        {"settings": {"number_of_shards": 1, "number_of_replicas": 1, "default_pipeline": "latte-xtr"},
         "mappings": {"properties": {
           "text": {"type": "text", "analyzer": "english"},
           "tokens": {"type": "latte_tokens", "dims": %s, "xtr_centroids": "encoded-xtr"}}}}
        """
            .formatted(Integer.toString(reference.dim)));
    ensureGreen("xtr");
    StringBuilder bulk = new StringBuilder();
    for (Document d : reference.documents.values()) {
      ObjectNode action = StandaloneReference.JSON.createObjectNode();
      action.putObject("index").put("_index", "xtr").put("_id", d.id());
      ObjectNode source = StandaloneReference.JSON.createObjectNode().put("text", d.contents());
      bulk.append(json(action)).append('\n').append(json(source)).append('\n');
    }
    assertFalse(call("POST", "/_bulk?refresh=true", bulk.toString()).get("errors").asBoolean());
    for (Query q : reference.queries) {
      long before = queriesEncoded();
      ObjectNode body = StandaloneReference.JSON.createObjectNode().put("size", K);
      body.putObject("query")
          .putObject(LatteXtrQueryBuilder.NAME)
          .put("field", "tokens")
          .put("query_text", q.text())
          .put("model", BundledModel.NAME);
      assertSameRanking(
          "xtr+maxsim from text " + q.id(),
          reference.search("xtr+maxsim", q, K, null),
          hits(call("POST", "/xtr/_search", json(body))));
      assertEquals("encodings for one latte_xtr search", 1, queriesEncoded() - before);
    }
  }

  public void testUninstalledModelsAndIncompleteQueriesAreBadRequests() throws Exception {
    installModel();
    assertEquals(
        400,
        status(
            "PUT",
            "/_ingest/pipeline/nope",
            "{\"processors\": [{\"latte_encode\": {\"model\": \"not-installed\", \"field\": \"t\","
                + " \"target_field\": \"v\"}}]}"));
    assertEquals(
        400,
        status(
            "PUT",
            "/_ingest/pipeline/escape",
            "{\"processors\": [{\"latte_encode\": {\"model\": \"../x\", \"field\": \"t\","
                + " \"target_field\": \"v\"}}]}"));
    assertEquals(
        200,
        status(
            "PUT",
            "/q",
            "{\"mappings\": {\"properties\": {\"tokens\": {\"type\": \"latte_tokens\", \"dims\": "
                + reference.dim
                + "}}}}"));
    String q = "{\"query\": {\"latte_maxsim\": {\"field\": \"tokens\", %s}}}";
    for (String bad :
        List.of(
            "\"query_text\": \"statins\"", // no model
            "\"query_text\": \"statins\", \"model\": \"not-installed\"",
            "\"query_text\": \"\", \"model\": \"" + BundledModel.NAME + "\"",
            "\"query_text\": \"statins\", \"model\": \""
                + BundledModel.NAME
                + "\", \"query_vectors\": [[1]]")) {
      assertEquals(bad, 400, status("POST", "/q/_search", q.formatted(bad)));
    }
    assertEquals(
        200,
        status(
            "POST",
            "/q/_search",
            q.formatted("\"query_text\": \"statins\", \"model\": \"" + BundledModel.NAME + "\"")));
  }
}
