package dev.latte.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.latte.encoders.BundledModel;
import dev.latte.encoders.OnnxTokenEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live-index service's contract: the OpenAPI document matches the routes, filters and paging
 * work over HTTP, metrics are exposed, and a battery of malformed and hostile requests each gets a
 * 4xx JSON error naming the problem while the server keeps serving and its data stays unchanged.
 */
class ServiceContractTest {
  static final String KEY = "contract-key";
  @TempDir static Path tmp;
  static OnnxTokenEncoder encoder;
  static IndexRegistry registry;
  static LatteService service;
  static final HttpClient http = HttpClient.newHttpClient();
  static final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    encoder = OnnxTokenEncoder.load(BundledModel.folder(), 1, 2);
    registry = new IndexRegistry(tmp.resolve("data"), encoder, 1, 1, 200);
    service =
        new LatteService(registry, new LatteService.Options(KEY, false, 256 * 1024))
            .start("127.0.0.1", 0);
    ok(send("POST", "/v1/indexes", "{\"name\": \"docs\"}", KEY), 201);
    StringBuilder docs = new StringBuilder("[");
    String[] langs = {"en", "fr", "de"};
    for (int i = 0; i < 12; i++) {
      if (i > 0) docs.append(',');
      docs.append(
          String.format(
              "{\"id\": \"d%d\", \"title\": \"Document %d\", \"text\": \"statins and heart"
                  + " disease risk, study number %d about cholesterol\", \"metadata\": {\"year\":"
                  + " %d, \"lang\": \"%s\"}}",
              i, i, i, 2000 + i, langs[i % 3]));
    }
    docs.append(']');
    ok(send("POST", "/v1/indexes/docs/documents", docs.toString(), KEY), 200);
  }

  @AfterAll
  static void stop() throws Exception {
    if (service != null) service.close();
    if (registry != null) registry.close();
    if (encoder != null) encoder.close();
  }

  static HttpResponse<String> send(String method, String path, String body, String key)
      throws Exception {
    HttpRequest r = TestHttp.request(service.port(), method, path, body, "application/json", key);
    // A body over the limit is refused before it is read: let the server answer first
    // (100-continue) rather than racing the upload against the connection close.
    if (body != null && body.length() > 256 * 1024) r = TestHttp.expectingContinue(r);
    return TestHttp.send(TestHttp.CLIENT, r);
  }

  static JsonNode ok(HttpResponse<String> r, int status) throws Exception {
    return TestHttp.ok(r, status);
  }

  static List<String> ids(JsonNode response) {
    List<String> out = new ArrayList<>();
    for (JsonNode h : response.get("hits")) out.add(h.get("docid").asText());
    return out;
  }

  @Test
  void openApiDescribesExactlyTheRoutesTheServerAnswers() throws Exception {
    JsonNode spec = ok(send("GET", "/openapi.json", null, null), 200);
    assertEquals("3.1.0", spec.get("openapi").asText());
    Set<String> described = new HashSet<>();
    spec.get("paths")
        .properties()
        .forEach(
            p ->
                p.getValue()
                    .fieldNames()
                    .forEachRemaining(
                        m -> {
                          if (!m.equals("parameters"))
                            described.add(m.toUpperCase() + " " + p.getKey());
                        }));
    // Every described operation is routed (no "no route" 404) ...
    for (String op : described) {
      String[] parts = op.split(" ", 2);
      String path =
          parts[1].replace("{name}", "docs").replace("{id}", "nope").replace("{stage}", "slim");
      String body = parts[0].equals("POST") || parts[0].equals("PATCH") ? "{}" : null;
      // Deleting the index would end the test: ask for one that does not exist.
      if (op.equals("DELETE /v1/indexes/{name}")) path = "/v1/indexes/absent";
      HttpResponse<String> r = send(parts[0], path, body, KEY);
      assertFalse(
          r.statusCode() == 404 && r.body().contains("no route"),
          op + " is not routed: " + r.body());
      assertFalse(r.statusCode() == 405, op + " answered 405");
      assertTrue(r.statusCode() < 500, op + " failed: " + r.body());
    }
    // ... and nothing routed is left undescribed.
    Set<String> routed = new HashSet<>(service.routes());
    assertEquals(routed, described);
  }

  @Test
  void filtersAndPagingOverHttp() throws Exception {
    String q = "{\"query\": \"statins cholesterol\", \"k\": 12";
    JsonNode all = ok(send("POST", "/v1/indexes/docs/search", q + "}", null), 200);
    assertEquals(12, all.get("hits").size());
    JsonNode fr =
        ok(
            send(
                "POST",
                "/v1/indexes/docs/search",
                q + ", \"filter\": {\"term\": {\"lang\": \"fr\"}}}",
                null),
            200);
    assertEquals(
        List.of("d1", "d4", "d7", "d10"), ids(fr).stream().sorted(this::byNumber).toList());
    JsonNode range =
        ok(
            send(
                "POST",
                "/v1/indexes/docs/search",
                q
                    + ", \"method\": \"bm25\", \"filter\": {\"bool\": {\"must\": [{\"range\":"
                    + " {\"year\": {\"gte\": 2003, \"lt\": 2006}}}], \"must_not\": [{\"term\":"
                    + " {\"lang\": \"en\"}}]}}}",
                null),
            200);
    assertEquals(List.of("d4", "d5"), ids(range).stream().sorted(this::byNumber).toList());
    JsonNode page =
        ok(
            send(
                "POST",
                "/v1/indexes/docs/search",
                "{\"query\": \"statins cholesterol\", \"k\": 3, \"from\": 2}",
                null),
            200);
    assertEquals(ids(all).subList(2, 5), ids(page));
  }

  @Test
  void queryVectorsAndIncludedFields() throws Exception {
    var m = encoder.encodeQuery("statins cholesterol").matrix();
    StringBuilder v = new StringBuilder("[");
    for (int r = 0; r < m.rows(); r++) {
      if (r > 0) v.append(',');
      v.append('[');
      for (int c = 0; c < m.dim(); c++) {
        if (c > 0) v.append(',');
        v.append(m.get(r, c));
      }
      v.append(']');
    }
    v.append(']');
    JsonNode byText =
        ok(
            send("POST", "/v1/indexes/docs/search", "{\"query\": \"statins cholesterol\"}", null),
            200);
    JsonNode byVectors =
        ok(send("POST", "/v1/indexes/docs/search", "{\"query_vectors\": " + v + "}", null), 200);
    assertEquals(ids(byText), ids(byVectors));
    assertEquals(0.0, byVectors.get("encode_ms").asDouble(), "no encoding for given vectors");
    for (int i = 0; i < ids(byText).size(); i++)
      assertEquals(
          byText.get("hits").get(i).get("score").asDouble(),
          byVectors.get("hits").get(i).get("score").asDouble(),
          1e-4);
    JsonNode lean =
        ok(
            send(
                "POST",
                "/v1/indexes/docs/search",
                "{\"query\": \"heart\", \"k\": 2, \"include\": [\"metadata\"]}",
                null),
            200);
    JsonNode hit = lean.get("hits").get(0);
    assertNotNull(hit.get("metadata"), hit.toString());
    assertTrue(hit.get("metadata").get("year").isNumber(), hit.toString());
    assertFalse(hit.has("title") || hit.has("text"), hit.toString());
    JsonNode wrongDim =
        json.readTree(
            send("POST", "/v1/indexes/docs/search", "{\"query_vectors\": [[0.1, 0.2]]}", null)
                .body());
    assertTrue(wrongDim.get("error").get("message").asText().contains("384"), wrongDim.toString());
  }

  private int byNumber(String a, String b) {
    return Integer.compare(Integer.parseInt(a.substring(1)), Integer.parseInt(b.substring(1)));
  }

  @Test
  void metricsCountRequestsAndSearchStages() throws Exception {
    ok(send("POST", "/v1/indexes/docs/search", "{\"query\": \"heart\"}", null), 200);
    HttpResponse<String> m = send("GET", "/metrics", null, null);
    assertEquals(200, m.statusCode());
    String text = m.body();
    assertTrue(text.contains("latte_http_requests_seconds_count{"), text);
    assertTrue(text.contains("route=\"/v1/indexes/{name}/search\""), text);
    assertTrue(
        text.contains("latte_search_first_stage_seconds_count{method=\"maxsim-exact\"}"), text);
    assertTrue(text.contains("latte_search_candidates_count{method=\"maxsim-exact\"}"), text);
    assertTrue(text.contains("latte_index_documents{index=\"docs\"} 12.0"), text);
  }

  @Test
  void hostileRequestsGetJsonErrorsAndChangeNothing() throws Exception {
    JsonNode before =
        ok(send("POST", "/v1/indexes/docs/search", "{\"query\": \"heart\", \"k\": 12}", null), 200);
    List<String[]> cases = new ArrayList<>(); // method, path, body, key
    String search = "/v1/indexes/docs/search";
    String add = "/v1/indexes/docs/documents";
    String[] brokenJson = {
      "",
      "{",
      "}",
      "[",
      "{\"query\": }",
      "{\"query\": \"x\",}",
      "nul",
      "{'query': 'x'}",
      "{\"query\": \"x\"} trailing",
      "\u0000",
      "{\"query\": \"\\ud800\"",
      "[1,2",
      "\"just a string\"",
      "123",
      "true",
      "null",
      "{\"query\": \"x\", \"query\": \"y\"}"
    };
    for (String b : brokenJson) cases.add(new String[] {"POST", search, b, null});
    String[] badSearch = {
      "{}",
      "{\"query\": 5}",
      "{\"query\": null}",
      "{\"query\": \"\"}",
      "{\"query\": \"   \"}",
      "{\"query\": [\"a\"]}",
      "{\"query\": {\"a\": 1}}",
      "{\"query\": \"x\", \"k\": 0}",
      "{\"query\": \"x\", \"k\": -1}",
      "{\"query\": \"x\", \"k\": 1.5}",
      "{\"query\": \"x\", \"k\": \"10\"}",
      "{\"query\": \"x\", \"k\": 100000}",
      "{\"query\": \"x\", \"k\": 1e400}",
      "{\"query\": \"x\", \"k\": null}",
      "{\"query\": \"x\", \"method\": \"nope\"}",
      "{\"query\": \"x\", \"method\": 3}",
      "{\"query\": \"x\", \"method\": \"../../etc\"}",
      "{\"query\": \"x\", \"explain\": \"yes\"}",
      "{\"query\": \"x\", \"explain\": 1}",
      "{\"query\": \"x\", \"from\": -1}",
      "{\"query\": \"x\", \"from\": 1000}",
      "{\"query\": \"x\", \"from\": \"2\"}",
      "{\"query\": \"x\", \"unknown\": 1}",
      "{\"query\": \"x\", \"K\": 3}",
      "{\"query\": \"" + "a".repeat(10_001) + "\"}",
      "{\"query\": \"x\", \"filter\": 5}",
      "{\"query\": \"x\", \"filter\": {}}",
      "{\"query\": \"x\", \"filter\": []}",
      "{\"query\": \"x\", \"filter\": {\"nope\": {}}}",
      "{\"query\": \"x\", \"filter\": {\"term\": {}}}",
      "{\"query\": \"x\", \"filter\": {\"term\": {\"a\": 1, \"b\": 2}}}",
      "{\"query\": \"x\", \"filter\": {\"range\": {\"year\": {\"gte\": \"2000\"}}}}",
      "{\"query\": \"x\", \"filter\": {\"range\": {\"year\": {\"between\": 1}}}}",
      "{\"query\": \"x\", \"filter\": {\"range\": {\"year\": {\"gt\": 1, \"gte\": 2}}}}",
      "{\"query\": \"x\", \"filter\": {\"exists\": {}}}",
      "{\"query\": \"x\", \"filter\": {\"exists\": {\"field\": \"\"}}}",
      "{\"query\": \"x\", \"filter\": {\"bool\": {}}}",
      "{\"query\": \"x\", \"filter\": {\"bool\": {\"must\": 5}}}",
      "{\"query\": \"x\", \"filter\": {\"bool\": {\"maybe\": []}}}",
      "{\"query\": \"x\", \"filter\": {\"terms\": {\"a\": 5}}}",
      "{\"query\": \"x\", \"filter\": {\"term\": {\"a\": null}}}",
      "{\"query\": \"x\", \"filter\": {\"term\": {\"a\": [1]}}}",
      "{\"query\": \"x\", \"filter\": {\"term\": {\"_exists\": \"a\"}}}",
    };
    for (String b : badSearch) cases.add(new String[] {"POST", search, b, null});
    // Every search field with values of every wrong type.
    String[] wrong = {"[]", "{}", "\"s\"", "-3", "1e999", "true", "[null]"};
    for (String field : new String[] {"k", "method", "explain", "from", "filter"}) {
      for (String v : wrong) {
        boolean fine =
            (field.equals("method") && v.equals("\"s\""))
                || (field.equals("explain") && v.equals("true"));
        if (fine) continue; // "s" is still an unknown method (kept below), true is valid
        cases.add(
            new String[] {
              "POST", search, "{\"query\": \"x\", \"" + field + "\": " + v + "}", null
            });
      }
    }
    cases.add(new String[] {"POST", search, "{\"query\": \"x\", \"method\": \"s\"}", null});
    for (String qv :
        new String[] {
          "[]",
          "[[]]",
          "[1, 2]",
          "[[1, 2], [3]]",
          "[[\"a\"]]",
          "[[1e5]]",
          "[[-1e300]]",
          "[[null]]",
          "{}",
          "\"v\"",
          "[[0.1, 0.2]]",
          "[[true]]",
          "[" + "[0.1],".repeat(600) + "[0.1]]"
        }) {
      cases.add(new String[] {"POST", search, "{\"query_vectors\": " + qv + "}", null});
    }
    for (String inc : new String[] {"\"title\"", "[\"body\"]", "[1]", "{}", "[null]"})
      cases.add(
          new String[] {"POST", search, "{\"query\": \"x\", \"include\": " + inc + "}", null});
    String[] badDocs = {
      "{}",
      "5",
      "[5]",
      "[null]",
      "[{}]",
      "[{\"id\": \"x\"}]",
      "[{\"text\": \"t\"}]",
      "[{\"id\": \"\", \"text\": \"t\"}]",
      "[{\"id\": 5, \"text\": \"t\"}]",
      "[{\"id\": \"x\", \"text\": 5}]",
      "[{\"id\": \"x\", \"text\": \"\"}]",
      "[{\"id\": \"x\", \"text\": \"t\", \"title\": 3}]",
      "[{\"id\": \"x\", \"text\": \"t\", \"extra\": 1}]",
      "[{\"id\": \"x\", \"text\": \"t\", \"metadata\": 5}]",
      "[{\"id\": \"x\", \"text\": \"t\", \"metadata\": [1]}]",
      "[{\"id\": \"ok\", \"text\": \"fine\"}, {\"id\": \"bad\"}]",
      "[{\"id\": [\"x\"], \"text\": \"t\"}]",
      "[{\"id\": \"x\", \"text\": {\"a\": 1}}]",
      "[{\"id\": null, \"text\": \"t\"}]",
    };
    for (String b : badDocs) cases.add(new String[] {"POST", add, b, KEY});
    for (String b : brokenJson) cases.add(new String[] {"POST", add, b, KEY});
    // Writes without or with a wrong key.
    for (String k : new String[] {null, "", "wrong", KEY + "x", KEY.toUpperCase()}) {
      cases.add(new String[] {"POST", add, "[{\"id\": \"x\", \"text\": \"t\"}]", k});
      cases.add(new String[] {"DELETE", "/v1/indexes/docs/documents/d1", null, k});
      cases.add(new String[] {"DELETE", "/v1/indexes/docs", null, k});
      cases.add(new String[] {"POST", "/v1/indexes", "{\"name\": \"evil\"}", k});
      cases.add(new String[] {"POST", "/v1/indexes/docs/merge", "{}", k});
      cases.add(
          new String[] {"POST", "/v1/indexes/docs/documents/delete", "{\"ids\": [\"d1\"]}", k});
      cases.add(
          new String[] {
            "POST", "/v1/indexes/docs/documents/delete", "{\"filter\": {\"match_all\": {}}}", k
          });
      cases.add(
          new String[] {
            "PATCH", "/v1/indexes/docs/documents/d1", "{\"metadata\": {\"lang\": \"xx\"}}", k
          });
      cases.add(
          new String[] {
            "POST",
            "/v1/indexes/docs/documents/update",
            "[{\"id\": \"d1\", \"metadata\": {\"lang\": \"xx\"}}]",
            k
          });
    }
    // Names and paths.
    for (String n :
        new String[] {
          "..",
          "%2e%2e",
          "Docs",
          "a/b",
          "-x",
          "_x",
          "a".repeat(65),
          "é",
          "a b",
          "a%00b",
          "..%2f..",
          "CON"
        }) {
      cases.add(
          new String[] {"POST", "/v1/indexes", "{\"name\": \"" + n.replace("\"", "") + "\"}", KEY});
      cases.add(
          new String[] {
            "GET", "/v1/indexes/" + n.replace(" ", "%20").replace("é", "%C3%A9"), null, null
          });
    }
    String[] badCreate = {
      "{}",
      "{\"name\": 5}",
      "{\"name\": \"ok\", \"codec\": \"float8\"}",
      "{\"name\": \"ok\", \"pool_factor\": 0}",
      "{\"name\": \"ok\", \"pool_factor\": \"2\"}",
      "{\"name\": \"ok\", \"other\": 1}",
      "{\"name\": \"docs\"}",
    };
    for (String b : badCreate) cases.add(new String[] {"POST", "/v1/indexes", b, KEY});
    // Unknown things.
    cases.add(new String[] {"POST", "/v1/indexes/absent/search", "{\"query\": \"x\"}", null});
    cases.add(new String[] {"POST", "/v1/indexes/absent/documents", "[]", KEY});
    cases.add(new String[] {"GET", "/v1/nothing", null, null});
    cases.add(new String[] {"PUT", "/v1/indexes/docs", "{}", KEY});
    cases.add(new String[] {"POST", "/v1/indexes/docs/merge", "{\"max_segments\": 0}", KEY});
    cases.add(new String[] {"POST", "/v1/indexes/docs/documents/delete", "{\"ids\": 5}", KEY});
    cases.add(new String[] {"POST", "/v1/indexes/docs/documents/delete", "{\"ids\": [5]}", KEY});
    // Metadata updates: bad merge patches, wrong types, fields that are not patchable, unknown
    // documents and indexes; each leaves every document's metadata as it was.
    String patch = "/v1/indexes/docs/documents/d1";
    String setLang = "{\"metadata\": {\"lang\": \"xx\"}}";
    String[] badPatches = {
      "",
      "{",
      "[]",
      "5",
      "null",
      "{}",
      "{\"metadata\": 5}",
      "{\"metadata\": \"en\"}",
      "{\"metadata\": [1]}",
      "{\"metadata\": true}",
      "{\"metadata\": {\"lang\": \"xx\"}, \"text\": \"new text\"}",
      "{\"metadata\": {\"lang\": \"xx\"}, \"title\": \"new title\"}",
      "{\"metadata\": {\"lang\": \"xx\"}, \"id\": \"d2\"}",
      "{\"metadata\": {\"lang\": \"xx\"}, \"metadata\": {\"lang\": \"yy\"}}",
      "{\"metadata\": {\"lang\": \"xx\"}} trailing",
      "[" + setLang + "]",
      "{\"metadata\": " + "{\"a\": ".repeat(3000) + "1" + "}".repeat(3000) + "}",
      "{\"metadata\": {\"x\": \"" + "a".repeat(300_000) + "\"}}"
    };
    for (String b : badPatches) cases.add(new String[] {"PATCH", patch, b, KEY});
    cases.add(new String[] {"PATCH", "/v1/indexes/docs/documents/absent", setLang, KEY});
    cases.add(new String[] {"PATCH", "/v1/indexes/absent/documents/d1", setLang, KEY});
    cases.add(new String[] {"PATCH", "/v1/indexes/Docs/documents/d1", setLang, KEY});
    cases.add(new String[] {"PATCH", "/v1/indexes/docs", setLang, KEY});
    cases.add(new String[] {"PUT", patch, setLang, KEY});
    String update = "/v1/indexes/docs/documents/update";
    String[] badUpdates = {
      "{}",
      "[]",
      "5",
      "[5]",
      "[null]",
      "[{}]",
      "[{\"id\": \"d1\"}]",
      "[{\"metadata\": {\"lang\": \"xx\"}}]",
      "[{\"id\": 5, \"metadata\": {}}]",
      "[{\"id\": null, \"metadata\": {}}]",
      "[{\"id\": \"\", \"metadata\": {}}]",
      "[{\"id\": \"" + "x".repeat(513) + "\", \"metadata\": {}}]",
      "[{\"id\": \"d1\", \"metadata\": 3}]",
      "[{\"id\": \"d1\", \"metadata\": {\"lang\": \"xx\"}}, {\"id\": \"d2\", \"metadata\": [1]}]",
      "[{\"id\": \"d1\", \"metadata\": {\"lang\": \"xx\"}}, {\"id\": \"d2\"}]",
      "[{\"id\": \"d1\", \"metadata\": {\"lang\": \"xx\"}, \"text\": \"t\"}]",
      "{\"updates\": [{\"id\": \"d1\", \"metadata\": {}}]}",
      "[{\"id\": \"d1\", \"metadata\": {\"lang\": \"xx\"}}",
    };
    for (String b : badUpdates) cases.add(new String[] {"POST", update, b, KEY});
    cases.add(
        new String[] {
          "POST",
          "/v1/indexes/absent/documents/update",
          "[" + "{\"id\": \"d1\"," + " \"metadata\": {}}]",
          KEY
        });
    // Delete by filter: both or neither of ids and filter, and every kind of bad filter.
    String delete = "/v1/indexes/docs/documents/delete";
    String[] badDeletes = {
      "{}",
      "{\"ids\": [\"d1\"], \"filter\": {\"match_all\": {}}}",
      "{\"ids\": null, \"filter\": null}",
      "{\"ids\": []}",
      "{\"filter\": 5}",
      "{\"filter\": null}",
      "{\"filter\": {}}",
      "{\"filter\": []}",
      "{\"filter\": \"match_all\"}",
      "{\"filter\": {\"nope\": {}}}",
      "{\"filter\": {\"term\": {\"lang\": null}}}",
      "{\"filter\": {\"range\": {\"year\": {\"gte\": \"2000\"}}}}",
      "{\"filter\": {\"bool\": {}}}",
      "{\"filter\": {\"match_all\": {\"x\": 1}}}",
      "{\"filter\": {\"term\": {\"_exists\": \"lang\"}}}",
      "{\"query\": {\"match_all\": {}}}",
      "{\"filter\": {\"match_all\": {}}, \"filter\": {\"term\": {\"lang\": \"en\"}}}",
    };
    for (String b : badDeletes) cases.add(new String[] {"POST", delete, b, KEY});
    // Batched search: bad envelopes, bad items (the whole batch fails), too many searches.
    String batch = "/v1/indexes/docs/search/batch";
    String one = "{\"query\": \"heart\"}";
    String[] badBatches = {
      "{}",
      "[]",
      "[" + one + "]",
      one,
      "{\"searches\": null}",
      "{\"searches\": 5}",
      "{\"searches\": {}}",
      "{\"searches\": []}",
      "{\"searches\": [5]}",
      "{\"searches\": [null]}",
      "{\"searches\": [{}]}",
      "{\"searches\": [[" + one + "]]}",
      "{\"searches\": [" + one + ", {\"query\": \"x\", \"k\": 0}]}",
      "{\"searches\": [" + one + ", {\"query\": \"x\", \"unknown\": 1}]}",
      "{\"searches\": [" + one + ", {\"query\": \"x\", \"method\": \"nope\"}]}",
      "{\"searches\": [" + one + ", {\"query\": \"x\", \"filter\": {\"nope\": {}}}]}",
      "{\"searches\": [{\"query_vectors\": [[0.1, 0.2]]}]}",
      "{\"searches\": [" + one + "], \"k\": 3}",
      "{\"searches\": [" + one + "], \"searches\": [" + one + "]}",
      "{\"searches\": [" + String.join(",", java.util.Collections.nCopies(65, one)) + "]}",
    };
    for (String b : badBatches) cases.add(new String[] {"POST", batch, b, null});
    cases.add(new String[] {"GET", batch, null, null});
    cases.add(
        new String[] {
          "POST", "/v1/indexes/absent/search/batch", "{\"searches\": [" + one + "]}", null
        });
    // Over the item limit of one write request (small enough bodies).
    cases.add(
        new String[] {
          "POST",
          add,
          "["
              + String.join(
                  ",", java.util.Collections.nCopies(1001, "{\"id\": \"x\", \"text\": \"t\"}"))
              + "]",
          KEY
        });
    cases.add(
        new String[] {
          "POST",
          "/v1/indexes/docs/documents/update",
          "["
              + String.join(
                  ",", java.util.Collections.nCopies(1001, "{\"id\": \"d1\", \"metadata\": {}}"))
              + "]",
          KEY
        });
    cases.add(
        new String[] {
          "POST",
          "/v1/indexes/docs/documents/delete",
          "{\"ids\": [" + String.join(",", java.util.Collections.nCopies(1001, "\"d1\"")) + "]}",
          KEY
        });
    // Oversized bodies: oversizedBodiesAreRefusedBeforeTheyAreSent (on a raw socket: through the
    // HTTP client the 413 could be lost to a reset when the client was still uploading as the
    // server closed the connection).
    // Unicode edge cases in otherwise valid-looking but wrong requests.
    for (String u : new String[] {"\\u0000", "\\ud83d", "\\udc00", "\\uffff", "\\u202e"})
      cases.add(
          new String[] {"POST", search, "{\"query\": \"x\", \"method\": \"" + u + "\"}", null});

    assertTrue(cases.size() >= 200, "only " + cases.size() + " hostile requests");
    System.out.println("ServiceContractTest: " + cases.size() + " hostile requests");
    String previous = "none";
    for (String[] c : cases) {
      HttpResponse<String> r;
      try {
        r = send(c[0], c[1], c[2], c[3]);
      } catch (java.io.IOException e) {
        throw new AssertionError(
            "no answer to "
                + c[0]
                + " "
                + c[1]
                + " "
                + (c[2] == null ? "" : c[2].substring(0, Math.min(200, c[2].length())))
                + " (after "
                + previous
                + ")",
            e);
      }
      previous =
          c[0]
              + " "
              + c[1]
              + " "
              + (c[2] == null ? "" : c[2].substring(0, Math.min(80, c[2].length())));
      String what =
          "[key "
              + c[3]
              + "] "
              + c[0]
              + " "
              + c[1]
              + " "
              + (c[2] == null ? "" : c[2].substring(0, Math.min(80, c[2].length())));
      assertTrue(
          r.statusCode() >= 400 && r.statusCode() < 500,
          what + " -> " + r.statusCode() + " " + r.body());
      JsonNode e;
      try {
        e = json.readTree(r.body()).get("error");
      } catch (com.fasterxml.jackson.core.JsonProcessingException notJson) {
        throw new AssertionError(what + " -> not JSON: " + r.statusCode() + " " + r.body());
      }
      assertNotNull(e, what + " -> " + r.body());
      assertFalse(e.get("message").asText().isBlank(), what);
      assertFalse(
          r.body().contains("Exception")
              || r.body().contains("at dev.")
              || r.body().contains(tmp.toString()),
          what + " leaked internals: " + r.body());
    }
    // Still serving, with exactly the same data.
    JsonNode after =
        ok(send("POST", "/v1/indexes/docs/search", "{\"query\": \"heart\", \"k\": 12}", null), 200);
    assertEquals(ids(before), ids(after));
    assertEquals(before.get("hits"), after.get("hits"), "same titles, texts, metadata and scores");
    assertEquals(12, ok(send("GET", "/v1/indexes/docs", null, null), 200).get("documents").asInt());
    assertEquals(1, ok(send("GET", "/v1/indexes", null, null), 200).get("indexes").size());
    assertNotEquals(0, before.get("hits").size());
  }

  /**
   * A body over the limit is refused from its declared length, before it is read: the client that
   * asks {@code Expect: 100-continue} gets a 413 JSON error instead of a go-ahead, and sends
   * nothing. Nothing is written, and the server goes on serving.
   */
  @Test
  void oversizedBodiesAreRefusedBeforeTheyAreSent() throws Exception {
    for (String path : new String[] {"/v1/indexes/docs/documents", "/v1/indexes/docs/search"}) {
      try (var socket = new java.net.Socket("127.0.0.1", service.port())) {
        socket.setSoTimeout(30_000);
        var in =
            new java.io.DataInputStream(new java.io.BufferedInputStream(socket.getInputStream()));
        String head =
            "POST "
                + path
                + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Authorization: Bearer "
                + KEY
                + "\r\nExpect: 100-continue\r\nContent-Length: 600000\r\n\r\n";
        socket.getOutputStream().write(head.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        String status = line(in);
        assertTrue(status.startsWith("HTTP/1.1 413 "), path + ": " + status);
        int length = 0;
        for (String h = line(in); !h.isEmpty(); h = line(in))
          if (h.regionMatches(true, 0, "Content-Length:", 0, 15))
            length = Integer.parseInt(h.substring(15).strip());
        byte[] body = new byte[length];
        in.readFully(body);
        JsonNode e = json.readTree(body).get("error");
        assertEquals("body_too_large", e.get("type").asText(), new String(body));
        assertTrue(e.get("message").asText().contains("bytes"), e.toString());
      }
    }
    assertEquals(12, ok(send("GET", "/v1/indexes/docs", null, null), 200).get("documents").asInt());
  }

  /**
   * Jetty caches the header fields a connection repeats and, by default, matches a cached value
   * case-insensitively: after one request with the key, {@code Bearer CONTRACT-KEY} on the same
   * connection came back from the cache as the cached, valid {@code Bearer contract-key}. Keys are
   * compared exactly, whatever the connection has carried before.
   */
  @Test
  void keysAreComparedExactlyOnAReusedConnection() throws Exception {
    String[] variants = {KEY.toUpperCase(), "Contract-Key", "contract-KEY", KEY + " x"};
    // One connection per variant: the server may close a connection after refusing a request
    // whose body it did not read.
    for (String variant : variants) {
      try (var socket = new java.net.Socket("127.0.0.1", service.port())) {
        socket.setSoTimeout(30_000);
        var in =
            new java.io.DataInputStream(new java.io.BufferedInputStream(socket.getInputStream()));
        var out = socket.getOutputStream();
        for (String key : new String[] {KEY, KEY, variant}) {
          // With the key: refused for its body (an empty batch); with a variant: must be 401.
          String body = key.equals(KEY) ? "{}" : "[{\"id\": \"intruder\", \"text\": \"t\"}]";
          byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
          String head =
              "POST /v1/indexes/docs/documents HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  + "Content-Type: application/json\r\nAuthorization: Bearer "
                  + key
                  + "\r\nContent-Length: "
                  + bytes.length
                  + "\r\n\r\n";
          out.write(head.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
          out.write(bytes);
          out.flush();
          int status = readResponse(in);
          if (key.equals(KEY)) assertEquals(400, status, "the key itself on " + body);
          else assertEquals(401, status, "Bearer " + key + " after the key on one connection");
        }
      }
    }
    assertEquals(
        0,
        ok(send("POST", "/v1/indexes/docs/search", "{\"query\": \"t\", \"k\": 20}", null), 200)
            .get("hits")
            .findValuesAsText("docid")
            .stream()
            .filter("intruder"::equals)
            .count());
  }

  /** Reads one HTTP/1.1 response with a Content-Length body; returns its status. */
  private static int readResponse(java.io.DataInputStream in) throws java.io.IOException {
    String status = line(in);
    int length = 0;
    for (String h = line(in); !h.isEmpty(); h = line(in))
      if (h.regionMatches(true, 0, "Content-Length:", 0, 15))
        length = Integer.parseInt(h.substring(15).strip());
    in.readFully(new byte[length]);
    return Integer.parseInt(status.split(" ")[1]);
  }

  private static String line(java.io.DataInputStream in) throws java.io.IOException {
    StringBuilder b = new StringBuilder();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) throw new java.io.EOFException("connection closed after: " + b);
      if (c != '\r') b.append((char) c);
    }
    return b.toString();
  }
}
