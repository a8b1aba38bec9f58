package dev.latte.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.latte.client.api.DocumentsApi;
import dev.latte.client.api.IndexesApi;
import dev.latte.client.api.SearchApi;
import dev.latte.client.api.ServerApi;
import dev.latte.client.model.Document;
import dev.latte.client.model.Hit;
import dev.latte.client.model.IndexSettings;
import dev.latte.client.model.IndexStats;
import dev.latte.client.model.Match;
import dev.latte.client.model.MetadataUpdate;
import dev.latte.client.model.SearchRequest;
import dev.latte.client.model.SearchResponse;
import dev.latte.encoders.BundledModel;
import dev.latte.encoders.OnnxTokenEncoder;
import dev.latte.web.IndexRegistry;
import dev.latte.web.LatteService;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client generated from the OpenAPI document (openapi-generator, Java, native library) drives a
 * live in-process server with an API key required for reads too: create an index, add documents,
 * search with a filter and explanations, change metadata, delete a document and the index. Nothing
 * here speaks HTTP by hand, so a route, field or status the document gets wrong fails this test.
 */
class GeneratedClientTest {
  static final String KEY = "client-key";
  @TempDir static Path tmp;
  static OnnxTokenEncoder encoder;
  static IndexRegistry registry;
  static LatteService service;
  static ApiClient client;

  @BeforeAll
  static void start() throws Exception {
    encoder = OnnxTokenEncoder.load(BundledModel.folder(), 1, 2);
    registry = new IndexRegistry(tmp.resolve("data"), encoder, 1, 4, 0);
    service =
        new LatteService(registry, new LatteService.Options(KEY, true, 1 << 20))
            .start("127.0.0.1", 0);
    client = keyed(KEY);
  }

  @AfterAll
  static void stop() throws Exception {
    if (service != null) service.close();
    if (registry != null) registry.close();
    if (encoder != null) encoder.close();
  }

  /** A client of the test server; the native library leaves auth to a request interceptor. */
  static ApiClient keyed(String key) {
    ApiClient c = new ApiClient();
    c.updateBaseUri("http://127.0.0.1:" + service.port());
    if (key != null) c.setRequestInterceptor(b -> b.header("Authorization", "Bearer " + key));
    return c;
  }

  static Document doc(String id, String title, String text, String lang, int year) {
    return new Document()
        .id(id)
        .title(title)
        .text(text)
        .metadata(Map.of("lang", lang, "year", year));
  }

  @Test
  void createAddSearchWithFilterExplainDelete() throws Exception {
    IndexesApi indexes = new IndexesApi(client);
    DocumentsApi documents = new DocumentsApi(client);
    SearchApi search = new SearchApi(client);

    assertEquals("ok", ((Map<?, ?>) new ServerApi(client).getHealth()).get("status"));
    IndexStats created = indexes.createIndex(new IndexSettings().name("notes"));
    assertEquals("notes", created.getName());
    assertEquals(0L, created.getDocuments());
    assertEquals("hybrid-rrf", created.getDefaultMethod(), "no first stage: the fast hybrid");

    var added =
        documents.addDocuments(
            "notes",
            List.of(
                doc(
                    "s1",
                    "Statins",
                    "Statins lower LDL cholesterol and heart attack risk.",
                    "en",
                    2019),
                doc(
                    "s2",
                    "Statines",
                    "Les statines réduisent le cholestérol et le risque cardiaque.",
                    "fr",
                    2021),
                doc(
                    "t1",
                    "Green tea",
                    "Green tea leaves are steamed and dried; the brew is grassy.",
                    "en",
                    2020),
                doc(
                    "s3",
                    "Statin trial",
                    "A statin trial on cholesterol in older patients.",
                    "fr",
                    2023)));
    assertEquals(4, added.getIndexed());
    assertEquals(4L, indexes.getIndex("notes").getDocuments());

    SearchResponse fr =
        search.search(
            "notes",
            new SearchRequest()
                .query("statins cholesterol")
                .k(10)
                .method(SearchRequest.MethodEnum.MAXSIM_EXACT)
                .filter(Map.of("term", Map.of("lang", "fr")))
                .explain(true));
    assertEquals("maxsim-exact", fr.getMethod());
    List<String> ids = fr.getHits().stream().map(Hit::getDocid).sorted().toList();
    assertEquals(List.of("s2", "s3"), ids, "only the French documents");
    for (Hit h : fr.getHits()) {
      assertEquals("fr", ((Map<?, ?>) h.getMetadata()).get("lang"));
      List<Match> matches = h.getExplain().getMatches();
      assertFalse(matches.isEmpty(), "explain gives token matches");
      double sum = matches.stream().mapToDouble(m -> m.getSimilarity().doubleValue()).sum();
      // The explanation's score is the MaxSim sum of its token matches, and the hit's score.
      assertEquals(h.getExplain().getScore().doubleValue(), sum, 1e-3);
      assertEquals(h.getScore().doubleValue(), sum, 1e-3);
    }

    var updated =
        documents.updateDocuments(
            "notes",
            List.of(
                new MetadataUpdate().id("s1").metadata(Map.of("lang", "fr")),
                new MetadataUpdate().id("absent").metadata(Map.of("lang", "fr"))));
    assertEquals(1, updated.getUpdated());
    assertEquals(List.of("absent"), updated.getNotFound());
    assertTrue(documents.deleteDocument("notes", "s3").getDeleted());
    SearchResponse after =
        search.search(
            "notes",
            new SearchRequest()
                .query("statins cholesterol")
                .method(SearchRequest.MethodEnum.BM25)
                .filter(Map.of("term", Map.of("lang", "fr"))));
    assertEquals(
        List.of("s1", "s2"), after.getHits().stream().map(Hit::getDocid).sorted().toList());

    // Errors come back as the document's status and error schema.
    ApiException unkeyed =
        assertThrows(
            ApiException.class,
            () -> new SearchApi(keyed(null)).search("notes", new SearchRequest().query("tea")));
    assertEquals(401, unkeyed.getCode());
    assertEquals(
        "unauthorized",
        new ObjectMapper()
            .readValue(unkeyed.getResponseBody(), dev.latte.client.model.Error.class)
            .getError()
            .getType());
    ApiException badK =
        assertThrows(
            ApiException.class,
            () -> search.search("notes", new SearchRequest().query("tea").k(5000)));
    assertEquals(400, badK.getCode());

    indexes.deleteIndex("notes");
    assertTrue(indexes.listIndexes().getIndexes().isEmpty());
    assertEquals(404, assertThrows(ApiException.class, () -> indexes.getIndex("notes")).getCode());
  }
}
