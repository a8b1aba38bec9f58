package dev.latte.opensearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.latte.core.TokenMatrix;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.hc.core5.http.HttpHost;
import org.junit.After;
import org.opensearch.action.admin.cluster.node.info.NodeInfo;
import org.opensearch.analysis.common.CommonAnalysisModulePlugin;
import org.opensearch.client.Request;
import org.opensearch.client.Response;
import org.opensearch.client.ResponseException;
import org.opensearch.client.RestClient;
import org.opensearch.common.network.NetworkAddress;
import org.opensearch.common.settings.Settings;
import org.opensearch.core.common.transport.TransportAddress;
import org.opensearch.http.HttpInfo;
import org.opensearch.plugins.Plugin;
import org.opensearch.test.OpenSearchIntegTestCase;
import org.opensearch.transport.Netty4ModulePlugin;

/**
 * What the cluster tests share: the nodes' plugins (Latte, Netty HTTP, the analyzers), a client
 * over real HTTP to the nodes as they are now, and comparing a response's hits with Latte
 * standalone's.
 */
public abstract class ClusterTestBase extends OpenSearchIntegTestCase {
  static final int K = 10;

  @Override
  protected Collection<Class<? extends Plugin>> nodePlugins() {
    return List.of(LattePlugin.class, Netty4ModulePlugin.class, CommonAnalysisModulePlugin.class);
  }

  @Override
  protected boolean addMockHttpTransport() {
    return false; // real HTTP through Netty
  }

  @Override
  protected Settings nodeSettings(int nodeOrdinal) {
    return Settings.builder()
        .put(super.nodeSettings(nodeOrdinal))
        .put("http.type", Netty4ModulePlugin.NETTY_HTTP_TRANSPORT_NAME)
        .build();
  }

  // ---------------------------------------------------------------- HTTP helpers

  static RestClient http;

  /**
   * A client to every node's HTTP address as the cluster is now (the framework's own client keeps
   * the addresses of the first nodes, which a restart changes).
   */
  static RestClient http() {
    if (http == null) {
      List<HttpHost> hosts = new ArrayList<>();
      for (NodeInfo node : client().admin().cluster().prepareNodesInfo().get().getNodes()) {
        HttpInfo info = node.getInfo(HttpInfo.class);
        if (info == null) continue;
        TransportAddress a = info.getAddress().publishAddress();
        hosts.add(
            new HttpHost("http", NetworkAddress.format(a.address().getAddress()), a.getPort()));
      }
      http = RestClient.builder(hosts.toArray(HttpHost[]::new)).build();
    }
    return http;
  }

  /** After nodes stop or start: the next call connects to the nodes there are. */
  static void reconnect() throws IOException {
    if (http != null) http.close();
    http = null;
  }

  /** The framework checks between tests that no HTTP channel is left open. */
  @After
  public void closeHttp() throws IOException {
    reconnect();
  }

  static JsonNode call(String method, String path, String body) throws IOException {
    Request r = new Request(method, path);
    if (body != null) r.setJsonEntity(body);
    Response resp = http().performRequest(r);
    try (var in = resp.getEntity().getContent()) {
      return StandaloneReference.JSON.readTree(in);
    }
  }

  static int status(String method, String path, String body) throws IOException {
    try {
      Request r = new Request(method, path);
      if (body != null) r.setJsonEntity(body);
      return http().performRequest(r).getStatusLine().getStatusCode();
    } catch (ResponseException e) {
      return e.getResponse().getStatusLine().getStatusCode();
    }
  }

  static String json(Object o) throws IOException {
    return StandaloneReference.JSON.writeValueAsString(o);
  }

  static ArrayNode rows(TokenMatrix m) {
    ArrayNode rows = StandaloneReference.JSON.createArrayNode();
    for (int r = 0; r < m.rows(); r++) {
      ArrayNode row = rows.addArray();
      for (int d = 0; d < m.dim(); d++) row.add(m.get(r, d));
    }
    return rows;
  }

  static List<StandaloneReference.Hit> hits(JsonNode response) {
    List<StandaloneReference.Hit> out = new ArrayList<>();
    for (JsonNode h : response.get("hits").get("hits")) {
      out.add(
          new StandaloneReference.Hit(h.get("_id").asText(), (float) h.get("_score").asDouble()));
    }
    return out;
  }

  /**
   * Same ranking: scores equal within 1e-4 rank by rank, and the same ids except where equal scores
   * (within 1e-6) make the order among them arbitrary.
   */
  static void assertSameRanking(
      String what, List<StandaloneReference.Hit> expected, List<StandaloneReference.Hit> actual) {
    assertEquals(what + ": hit count", expected.size(), actual.size());
    for (int i = 0; i < expected.size(); i++) {
      float e = expected.get(i).score(), a = actual.get(i).score();
      assertEquals(what + ": score at rank " + (i + 1), e, a, 1e-4f);
      boolean tied =
          (i > 0 && Math.abs(expected.get(i - 1).score() - e) < 1e-6)
              || (i + 1 < expected.size() && Math.abs(expected.get(i + 1).score() - e) < 1e-6);
      if (!tied) {
        assertEquals(what + ": id at rank " + (i + 1), expected.get(i).id(), actual.get(i).id());
      }
    }
  }

  /** The HTTP address of one node, as a URL. */
  static String httpUrl() {
    for (NodeInfo node : client().admin().cluster().prepareNodesInfo().get().getNodes()) {
      HttpInfo info = node.getInfo(HttpInfo.class);
      if (info == null) continue;
      TransportAddress a = info.getAddress().publishAddress();
      return "http://" + NetworkAddress.format(a.address().getAddress()) + ":" + a.getPort();
    }
    throw new IllegalStateException("no node has HTTP");
  }
}
