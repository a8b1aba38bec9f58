package dev.latte.web;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.encoders.BundledModel;
import dev.latte.encoders.OnnxTokenEncoder;
import dev.latte.indexer.IndexLayout;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.util.BytesRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writes and reads beyond add and delete, over HTTP: metadata updates without re-encoding (single
 * PATCH and bulk), delete by filter, and batched search. Each test uses its own index of small
 * synthetic documents; the encoder counts its calls.
 */
class LiveUpdatesTest {
  static final String KEY = "updates-key";
  static final String[] LANGS = {"en", "fr", "de"};
  @TempDir static Path tmp;
  static OnnxTokenEncoder model;
  static CountingEncoder encoder;
  static IndexRegistry registry;
  static LatteService service;
  static final HttpClient http = HttpClient.newHttpClient();
  static final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    model = OnnxTokenEncoder.load(BundledModel.folder(), 1, 2);
    encoder = new CountingEncoder(model);
    registry = new IndexRegistry(tmp.resolve("data"), encoder, 1, 1, 200);
    service =
        new LatteService(registry, new LatteService.Options(KEY, false, 256 * 1024))
            .start("127.0.0.1", 0);
  }

  @AfterAll
  static void stop() throws Exception {
    if (service != null) service.close();
    if (registry != null) registry.close();
    if (model != null) model.close();
  }

  // ---- helpers

  static HttpResponse<String> send(String method, String path, String body) throws Exception {
    return TestHttp.send(service.port(), method, path, body, "application/json", KEY);
  }

  static JsonNode ok(HttpResponse<String> r) throws Exception {
    return TestHttp.ok(r, 200);
  }

  static JsonNode error(HttpResponse<String> r, int status, String type) throws Exception {
    return TestHttp.error(r, status, type);
  }

  /** An index of {@code n} documents d0..d(n-1), metadata year 2000+i, lang, nested info. */
  static void createIndex(String name, int n) throws Exception {
    assertEquals(201, send("POST", "/v1/indexes", "{\"name\": \"" + name + "\"}").statusCode());
    StringBuilder docs = new StringBuilder("[");
    for (int i = 0; i < n; i++) {
      if (i > 0) docs.append(',');
      docs.append(
          String.format(
              "{\"id\": \"d%d\", \"title\": \"Study %d\", \"text\": \"statins and heart disease"
                  + " risk, cholesterol trial number %d of %s patients\", \"metadata\":"
                  + " {\"year\": %d, \"lang\": \"%s\", \"info\": {\"source\": \"s%d\","
                  + " \"draft\": true}}}",
              i, i, i, LANGS[i % 3], 2000 + i, LANGS[i % 3], i % 2));
    }
    docs.append(']');
    assertEquals(
        n,
        ok(send("POST", "/v1/indexes/" + name + "/documents", docs + "")).get("indexed").asInt());
  }

  static JsonNode search(String index, String body) throws Exception {
    return ok(send("POST", "/v1/indexes/" + index + "/search", body));
  }

  /** Ids of every document the filter matches (maxsim-exact over all, sorted). */
  static List<String> matching(String index, String filter) throws Exception {
    JsonNode r = search(index, "{\"query\": \"statins\", \"k\": 1000, \"filter\": " + filter + "}");
    List<String> out = new ArrayList<>();
    for (JsonNode h : r.get("hits")) out.add(h.get("docid").asText());
    return new ArrayList<>(new TreeSet<>(out));
  }

  /** docid → score of a maxsim-exact search over every document. */
  static Map<String, Double> scores(String index, String query) throws Exception {
    JsonNode r =
        search(index, "{\"query\": \"" + query + "\", \"k\": 1000, \"method\": \"maxsim-exact\"}");
    Map<String, Double> out = new LinkedHashMap<>();
    for (JsonNode h : r.get("hits")) out.put(h.get("docid").asText(), h.get("score").asDouble());
    return out;
  }

  /** The stored metadata of a document as search hits show it (null: none). */
  static JsonNode metadataOf(String index, String id) throws Exception {
    for (JsonNode h : search(index, "{\"query\": \"statins\", \"k\": 1000}").get("hits"))
      if (h.get("docid").asText().equals(id)) return h.get("metadata");
    throw new AssertionError("no document " + id);
  }

  /** The raw doc-values bytes of a document: token matrix, then token annotations. */
  static byte[][] storedBytes(String index, String id) throws Exception {
    IndexSnapshot s = registry.get(index).acquire();
    try {
      IndexSearcher searcher = new IndexSearcher(s.reader());
      ScoreDoc[] hits = searcher.search(new TermQuery(new Term(IndexLayout.ID, id)), 2).scoreDocs;
      assertEquals(1, hits.length, id);
      List<LeafReaderContext> leaves = s.reader().leaves();
      LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(hits[0].doc, leaves));
      int doc = hits[0].doc - leaf.docBase;
      return new byte[][] {
        bytes(leaf.reader().getBinaryDocValues(IndexLayout.TOKENS), doc),
        bytes(leaf.reader().getBinaryDocValues(IndexLayout.TOKEN_INFO), doc)
      };
    } finally {
      s.release();
    }
  }

  static byte[] bytes(BinaryDocValues values, int doc) throws Exception {
    assertTrue(values != null && values.advanceExact(doc));
    return BytesRef.deepCopyOf(values.binaryValue()).bytes;
  }

  // ---- metadata updates

  @Test
  void patchChangesOnlyMetadataWithoutEncodingAndKeepsTheMatrixBitIdentical() throws Exception {
    createIndex("patch", 8);
    Map<String, Double> before = scores("patch", "cholesterol heart trial");
    byte[][] bytesBefore = storedBytes("patch", "d3");
    assertEquals(List.of("d0", "d3", "d6"), matching("patch", "{\"term\": {\"lang\": \"en\"}}"));

    int queries = encoder.queries.get(), documents = encoder.documents.get();
    JsonNode r =
        ok(
            send(
                "PATCH",
                "/v1/indexes/patch/documents/d3",
                "{\"metadata\": {\"lang\": null, \"topic\": \"cardio\", \"info\": {\"draft\": null,"
                    + " \"reviewed\": 2024}}}"));
    assertEquals(queries, encoder.queries.get(), "a metadata update encodes no query");
    assertEquals(documents, encoder.documents.get(), "a metadata update encodes no document");
    JsonNode expected =
        json.readTree(
            "{\"year\": 2003, \"info\": {\"source\": \"s1\", \"reviewed\": 2024}, \"topic\":"
                + " \"cardio\"}");
    assertEquals("d3", r.get("id").asText());
    assertEquals(expected, r.get("metadata"), r.toString());
    assertTrue(r.has("took_ms"));
    assertEquals(expected, metadataOf("patch", "d3"));

    // The stored matrix and annotations are the same bytes, so MaxSim scores are bit-identical.
    byte[][] bytesAfter = storedBytes("patch", "d3");
    assertArrayEquals(bytesBefore[0], bytesAfter[0], "token matrix bytes");
    assertArrayEquals(bytesBefore[1], bytesAfter[1], "token annotations");
    assertEquals(before, scores("patch", "cholesterol heart trial"));

    // Filters see the new metadata and no longer the removed keys.
    assertEquals(List.of("d3"), matching("patch", "{\"term\": {\"topic\": \"cardio\"}}"));
    assertEquals(List.of("d0", "d6"), matching("patch", "{\"term\": {\"lang\": \"en\"}}"));
    assertEquals(
        List.of("d0", "d1", "d2", "d4", "d5", "d6", "d7"),
        matching("patch", "{\"exists\": {\"field\": \"lang\"}}"));
    assertEquals(
        List.of("d3"), matching("patch", "{\"range\": {\"info.reviewed\": {\"gte\": 2024}}}"));
    assertFalse(matching("patch", "{\"term\": {\"info.draft\": true}}").contains("d3"));
    assertEquals(List.of("d3"), matching("patch", "{\"term\": {\"year\": 2003}}"));
    assertEquals(8, ok(send("GET", "/v1/indexes/patch", null)).get("documents").asInt());

    // Replacing a whole value, then removing all metadata.
    r = ok(send("PATCH", "/v1/indexes/patch/documents/d3", "{\"metadata\": {\"info\": 5}}"));
    assertEquals(5, r.get("metadata").get("info").asInt(), r.toString());
    assertEquals(5, metadataOf("patch", "d3").get("info").asInt());
    assertFalse(matching("patch", "{\"exists\": {\"field\": \"info.source\"}}").contains("d3"));
    assertTrue(matching("patch", "{\"term\": {\"info\": 5}}").contains("d3"));
    r = ok(send("PATCH", "/v1/indexes/patch/documents/d3", "{\"metadata\": null}"));
    assertTrue(r.get("metadata").isNull(), r.toString());
    assertEquals(null, metadataOf("patch", "d3"), "no metadata left");
    assertEquals(List.of(), matching("patch", "{\"term\": {\"year\": 2003}}"));
    assertEquals(before, scores("patch", "cholesterol heart trial"));
    assertEquals(documents, encoder.documents.get(), "still nothing encoded");

    // Unknown documents are 404 and create nothing.
    var e =
        error(
            send("PATCH", "/v1/indexes/patch/documents/nope", "{\"metadata\": {\"a\": 1}}"),
            404,
            "not_found");
    assertTrue(e.get("message").asText().contains("nope"), e.toString());
    assertEquals(8, ok(send("GET", "/v1/indexes/patch", null)).get("documents").asInt());
    // Title and text are not patchable: the error says how to change them.
    e =
        error(
            send("PATCH", "/v1/indexes/patch/documents/d1", "{\"metadata\": {}, \"text\": \"x\"}"),
            400,
            "invalid_request");
    assertTrue(e.get("message").asText().contains("adding the document again"), e.toString());
  }

  @Test
  void bulkUpdatesApplyInOrderReportUnknownIdsAndWriteNothingWhenAnItemIsBad() throws Exception {
    createIndex("bulk", 6);
    Map<String, Double> before = scores("bulk", "statins trial");
    int documents = encoder.documents.get();
    JsonNode r =
        ok(
            send(
                "POST",
                "/v1/indexes/bulk/documents/update",
                "[{\"id\": \"d1\", \"metadata\": {\"tag\": \"a\"}}, {\"id\": \"zz\", \"metadata\":"
                    + " {\"tag\": \"a\"}}, {\"id\": \"d1\", \"metadata\": {\"tag\": null, \"n\":"
                    + " 1}}, {\"id\": \"d2\", \"metadata\": {\"lang\": \"xx\"}}, {\"id\": \"yy\","
                    + " \"metadata\": null}]"));
    assertEquals(2, r.get("updated").asInt(), r.toString());
    assertEquals(json.readTree("[\"zz\", \"yy\"]"), r.get("not_found"), r.toString());
    assertEquals(
        json.readTree(
            "{\"year\": 2001, \"lang\": \"fr\", \"info\": {\"source\": \"s1\", \"draft\": true},"
                + " \"n\": 1}"),
        metadataOf("bulk", "d1"));
    assertEquals(List.of("d2"), matching("bulk", "{\"term\": {\"lang\": \"xx\"}}"));
    assertEquals(List.of(), matching("bulk", "{\"exists\": {\"field\": \"tag\"}}"));
    assertEquals(List.of("d1"), matching("bulk", "{\"term\": {\"n\": 1}}"));
    assertEquals(documents, encoder.documents.get(), "nothing encoded");
    assertEquals(before, scores("bulk", "statins trial"));

    // Only unknown ids: nothing to write, each reported.
    r =
        ok(
            send(
                "POST",
                "/v1/indexes/bulk/documents/update",
                "[{\"id\": \"q1\", \"metadata\": {}}, {\"id\": \"q2\", \"metadata\": {}}]"));
    assertEquals(0, r.get("updated").asInt());
    assertEquals(json.readTree("[\"q1\", \"q2\"]"), r.get("not_found"));

    // One bad item fails the whole batch before anything is written.
    var e =
        error(
            send(
                "POST",
                "/v1/indexes/bulk/documents/update",
                "[{\"id\": \"d4\", \"metadata\": {\"tag\": \"b\"}}, {\"id\": \"d5\", \"metadata\":"
                    + " [1]}]"),
            400,
            "invalid_update");
    assertEquals(1, e.get("item").asInt(), e.toString());
    assertEquals("metadata", e.get("field").asText(), e.toString());
    assertTrue(e.get("message").asText().startsWith("updates[1].metadata"), e.toString());
    assertEquals(List.of(), matching("bulk", "{\"term\": {\"tag\": \"b\"}}"));
    assertEquals(6, ok(send("GET", "/v1/indexes/bulk", null)).get("documents").asInt());
  }

  // ---- delete by filter

  static int deleteWhere(String index, String filter) throws Exception {
    JsonNode r =
        ok(
            send(
                "POST",
                "/v1/indexes/" + index + "/documents/delete",
                "{\"filter\": " + filter + "}"));
    assertTrue(r.has("took_ms"), r.toString());
    return r.get("deleted").asInt();
  }

  static List<String> all(String index) throws Exception {
    return matching(index, "{\"match_all\": {}}");
  }

  @Test
  void deleteByFilterDeletesExactlyTheMatchingDocuments() throws Exception {
    createIndex("purge", 9);
    String path = "/v1/indexes/purge/documents/delete";
    assertEquals(0, deleteWhere("purge", "{\"term\": {\"lang\": \"es\"}}"), "matches none");
    assertEquals(9, all("purge").size());

    // Some: French documents before 2007 (d1, d4; not d7).
    assertEquals(
        2,
        deleteWhere(
            "purge",
            "{\"bool\": {\"must\": [{\"term\": {\"lang\": \"fr\"}}], \"must_not\":"
                + " [{\"range\": {\"year\": {\"gte\": 2007}}}]}}"));
    assertEquals(List.of("d0", "d2", "d3", "d5", "d6", "d7", "d8"), all("purge"));
    assertEquals(7, ok(send("GET", "/v1/indexes/purge", null)).get("documents").asInt());
    // A nested path, then the id form still works beside it.
    assertEquals(3, deleteWhere("purge", "{\"term\": {\"info.source\": \"s1\"}}")); // d3, d5, d7
    assertEquals(1, ok(send("POST", path, "{\"ids\": [\"d0\", \"gone\"]}")).get("deleted").asInt());
    assertEquals(List.of("d2", "d6", "d8"), all("purge"));

    // Invalid requests are 400 and delete nothing.
    for (String bad :
        new String[] {
          "{\"filter\": {\"nope\": {}}}",
          "{\"filter\": 5}",
          "{\"filter\": null}",
          "{\"filter\": {}}",
          "{\"filter\": {\"range\": {\"year\": {\"gte\": \"2003\"}}}}"
        }) {
      var e = error(send("POST", path, bad), 400, "invalid_filter");
      assertTrue(e.get("message").asText().startsWith("filter"), bad + " -> " + e);
    }
    var e =
        error(
            send("POST", path, "{\"ids\": [\"d2\"], \"filter\": {\"match_all\": {}}}"),
            400,
            "invalid_request");
    assertTrue(e.get("message").asText().contains("not both"), e.toString());
    e = error(send("POST", path, "{}"), 400, "invalid_request");
    assertTrue(e.get("message").asText().contains("\"filter\""), e.toString());
    assertEquals(List.of("d2", "d6", "d8"), all("purge"));

    // All: match_all, and the index keeps working afterwards.
    assertEquals(3, deleteWhere("purge", "{\"match_all\": {}}"));
    assertEquals(0, ok(send("GET", "/v1/indexes/purge", null)).get("documents").asInt());
    assertEquals(0, search("purge", "{\"query\": \"statins\"}").get("hits").size());
    ok(
        send(
            "POST",
            "/v1/indexes/purge/documents",
            "[{\"id\": \"n1\", \"text\": \"statins again\", \"metadata\": {\"lang\": \"en\"}},"
                + " {\"id\": \"n2\", \"text\": \"statins anew\", \"metadata\": {\"lang\": \"fr\"}}]"));
    assertEquals(List.of("n2"), matching("purge", "{\"term\": {\"lang\": \"fr\"}}"));
    // Only must_not: everything not excluded, here all.
    assertEquals(
        2, deleteWhere("purge", "{\"bool\": {\"must_not\": [{\"term\": {\"lang\": \"zz\"}}]}}"));
    assertEquals(List.of(), all("purge"));
  }

  // ---- batched search

  static String vectors(String query) {
    var m = model.encodeQuery(query).matrix();
    StringBuilder v = new StringBuilder("[");
    for (int r = 0; r < m.rows(); r++) {
      v.append(r > 0 ? ",[" : "[");
      for (int c = 0; c < m.dim(); c++) v.append(c > 0 ? "," : "").append(m.get(r, c));
      v.append(']');
    }
    return v.append(']').toString();
  }

  /** A search response without its timings, which differ from run to run. */
  static JsonNode untimed(JsonNode response) {
    ObjectNode o = response.deepCopy();
    for (String f : List.of("took_ms", "encode_ms", "search_ms", "first_stage_ms", "rescore_ms"))
      assertNotNull(o.remove(f), f + " in " + response);
    return o;
  }

  @Test
  void batchedSearchAnswersEachBodyExactlyAsSearchDoes() throws Exception {
    createIndex("multi", 10);
    List<String> bodies =
        List.of(
            "{\"query\": \"statins heart\"}",
            "{\"query\": \"cholesterol trial\", \"k\": 3, \"method\": \"bm25\"}",
            "{\"query\": \"patients\", \"method\": \"hybrid-rrf\", \"filter\": {\"term\":"
                + " {\"lang\": \"fr\"}}}",
            "{\"query\": \"heart disease\", \"method\": \"bm25+maxsim\", \"k\": 4, \"from\": 2}",
            "{\"query\": \"risk\", \"method\": \"hybrid-linear\", \"include\": [\"metadata\"]}",
            "{\"query\": \"trial number\", \"explain\": true, \"k\": 2}",
            "{\"query_vectors\": " + vectors("statins risk") + ", \"k\": 5}",
            "{\"query\": \"statins\", \"filter\": {\"range\": {\"year\": {\"gte\": 2005}}},"
                + " \"k\": 20}",
            "{\"query\": \"statins heart\"}");
    List<JsonNode> single = new ArrayList<>();
    for (String b : bodies) single.add(search("multi", b));
    JsonNode batch =
        ok(
            send(
                "POST",
                "/v1/indexes/multi/search/batch",
                "{\"searches\": [" + String.join(",", bodies) + "]}"));
    assertTrue(batch.get("took_ms").isNumber(), batch.toString());
    JsonNode responses = batch.get("responses");
    assertEquals(bodies.size(), responses.size());
    for (int i = 0; i < bodies.size(); i++) {
      assertTrue(single.get(i).get("hits").size() > 0, bodies.get(i));
      assertEquals(untimed(single.get(i)), untimed(responses.get(i)), "searches[" + i + "]");
    }

    // An invalid item fails the whole batch before any search runs (none is encoded).
    int queries = encoder.queries.get();
    var e =
        error(
            send(
                "POST",
                "/v1/indexes/multi/search/batch",
                "{\"searches\": [{\"query\": \"first\"}, {\"query\": \"x\", \"k\": 0}]}"),
            400,
            "invalid_request");
    assertEquals(1, e.get("item").asInt(), e.toString());
    assertTrue(e.get("message").asText().startsWith("searches[1]: \"k\""), e.toString());
    e =
        error(
            send(
                "POST",
                "/v1/indexes/multi/search/batch",
                "{\"searches\": [{\"query\": \"first\"}, {\"query_vectors\": [[0.5, 0.5]]}]}"),
            400,
            "invalid_request");
    assertTrue(e.get("message").asText().startsWith("searches[1]: "), e.toString());
    assertTrue(e.get("message").asText().contains("384"), e.toString());
    assertEquals(queries, encoder.queries.get(), "no search ran");

    // The limit, and just under it.
    String one = "{\"query\": \"statins\", \"method\": \"bm25\", \"k\": 1}";
    String full =
        "{\"searches\": [" + String.join(",", java.util.Collections.nCopies(64, one)) + "]}";
    assertEquals(
        64, ok(send("POST", "/v1/indexes/multi/search/batch", full)).get("responses").size());
    String over =
        "{\"searches\": [" + String.join(",", java.util.Collections.nCopies(65, one)) + "]}";
    e = error(send("POST", "/v1/indexes/multi/search/batch", over), 400, "invalid_request");
    assertTrue(e.get("message").asText().contains("limit is 64"), e.toString());
  }

  @Test
  void everySearchOfABatchSeesTheSameSnapshotWhileWritesLand() throws Exception {
    createIndex("snap", 4);
    var stop = new java.util.concurrent.atomic.AtomicBoolean();
    var writerFailure = new java.util.concurrent.atomic.AtomicReference<Throwable>();
    Thread writer =
        new Thread(
            () -> {
              try {
                for (int i = 0; i < 200 && !stop.get(); i++) {
                  String doc =
                      "[{\"id\": \"w" + i + "\", \"text\": \"statins written " + i + "\"}]";
                  ok(send("POST", "/v1/indexes/snap/documents", doc));
                  if (i % 2 == 1)
                    ok(
                        send(
                            "POST",
                            "/v1/indexes/snap/documents/delete",
                            "{\"ids\": [\"w" + (i - 1) + "\"]}"));
                }
              } catch (Throwable t) {
                writerFailure.set(t);
              }
            });
    writer.start();
    String one = "{\"query\": \"statins\", \"method\": \"bm25\", \"k\": 1000}";
    String body =
        "{\"searches\": [" + String.join(",", java.util.Collections.nCopies(16, one)) + "]}";
    java.util.Set<Integer> sizes = new java.util.TreeSet<>();
    long deadline = System.nanoTime() + 60_000_000_000L;
    try {
      // At least 40 batches, and on until writes have landed between batches (or a minute passed).
      for (int round = 0;
          (round < 40 || sizes.size() < 3) && writer.isAlive() && System.nanoTime() < deadline;
          round++) {
        JsonNode responses =
            ok(send("POST", "/v1/indexes/snap/search/batch", body)).get("responses");
        JsonNode first = responses.get(0).get("hits");
        sizes.add(first.size());
        for (JsonNode r : responses) assertEquals(first, r.get("hits"), "round " + round);
      }
    } finally {
      stop.set(true);
      writer.join();
    }
    assertEquals(null, writerFailure.get());
    assertTrue(sizes.size() > 1, "writes landed between batches: " + sizes);
  }
}
