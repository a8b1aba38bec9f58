package dev.latte.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.latte.datasets.Document;
import dev.latte.encoders.BundledModel;
import dev.latte.encoders.OnnxTokenEncoder;
import dev.latte.encoders.PassagePolicy;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.LatteIndexWriter;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.LatteSearcher;
import dev.latte.searcher.PassageScoring;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A live index of passages ({@code --long-docs late-chunking}) over HTTP: searches take {@code
 * passage_scoring} and every hit names its best passage; documents added over HTTP are cut into
 * passages the way the index was built; deleting one by id deletes all its passages.
 */
class LongDocumentServeTest {
  static final String KEY = "long-docs-key";
  @TempDir static Path tmp;
  static OnnxTokenEncoder encoder;
  static IndexRegistry registry;
  static LatteService service;
  static final PassagePolicy POLICY =
      new PassagePolicy(PassagePolicy.Mode.LATE_CHUNKING, 24, 24, 512);
  static final String[] TOPICS = {
    "Statins lower cholesterol and the risk of heart attacks in older patients.",
    "Diffusion imaging shows white matter changes in preterm infants.",
    "Malaria parasites resist artemisinin in parts of South East Asia.",
    "Vitamin D supplements did not prevent fractures in the trial.",
    "Gut bacteria change how mice respond to a high fat diet."
  };

  static String book(int seed) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < TOPICS.length; i++) {
      if (i > 0) b.append(' ');
      b.append(TOPICS[(seed + i) % TOPICS.length]);
    }
    return b.toString();
  }

  @BeforeAll
  static void start() throws Exception {
    encoder = OnnxTokenEncoder.load(BundledModel.folder(), 1, 2);
    Path index = tmp.resolve("data").resolve("books");
    List<Document> docs = new ArrayList<>();
    for (int i = 0; i < 5; i++) docs.add(new Document("b" + i, "", book(i)));
    try (LatteIndexWriter w = LatteIndexWriter.open(index, encoder, "books")) {
      w.usePassages(POLICY);
      w.addAll(docs.stream(), 1, 4, IndexProgress.NONE);
      w.commit();
    }
    registry = new IndexRegistry(tmp.resolve("data"), encoder, 1, 1, 200);
    service =
        new LatteService(registry, new LatteService.Options(KEY, false, 256 * 1024))
            .start("127.0.0.1", 0);
  }

  @AfterAll
  static void stop() throws Exception {
    if (service != null) service.close();
    if (registry != null) registry.close();
    if (encoder != null) encoder.close();
  }

  static HttpResponse<String> send(String method, String path, String body) throws Exception {
    return TestHttp.send(service.port(), method, path, body, "application/json", KEY);
  }

  static JsonNode search(String query, String scoring) throws Exception {
    return TestHttp.ok(
        send(
            "POST",
            "/v1/indexes/books/search",
            "{\"query\": \"" + query + "\", \"k\": 5, \"passage_scoring\": \"" + scoring + "\"}"),
        200);
  }

  @Test
  void hitsNameTheirBestPassageAndScoreAsAsked() throws Exception {
    for (String scoring : List.of("union", "maxp")) {
      JsonNode r = search("do vitamin D supplements prevent fractures", scoring);
      JsonNode hits = r.get("hits");
      assertEquals(5, hits.size());
      for (JsonNode h : hits) {
        JsonNode p = h.get("passage");
        assertTrue(p.get("passages").asInt() > 1, h.toString());
        String text = h.get("text").asText();
        String passage = text.substring(p.get("start").asInt(), p.get("end").asInt());
        assertTrue(passage.contains("Vitamin D") || passage.contains("fractures"), passage);
      }
      // The scores are those of the searcher with the same scoring.
      try (LatteIndex index = LatteIndex.open(tmp.resolve("data").resolve("books"))) {
        LatteSearcher s = new LatteSearcher(index, encoder);
        var expected =
            s.search(
                "maxsim-exact",
                s.query("do vitamin D supplements prevent fractures")
                    .withPassageScoring(PassageScoring.fromName(scoring)),
                5,
                null,
                false);
        assertEquals(
            expected.hits().getFirst().score(), hits.get(0).get("score").floatValue(), 1e-5);
      }
    }
    assertTrue(
        search("vitamin D fractures", "maxp").get("hits").get(0).get("score").floatValue()
            < search("vitamin D fractures", "union").get("hits").get(0).get("score").floatValue());
    TestHttp.error(
        send(
            "POST",
            "/v1/indexes/books/search",
            "{\"query\": \"x\", \"passage_scoring\": \"best\"}"),
        400,
        "invalid_request");
  }

  @Test
  void liveWritesAreCutIntoPassagesAndDeletesTakeThemAll() throws Exception {
    JsonNode before = TestHttp.ok(send("GET", "/v1/indexes/books", null), 200);
    long passages = before.get("passages").asLong();
    assertTrue(passages > before.get("documents").asLong());
    TestHttp.ok(
        send(
            "POST",
            "/v1/indexes/books/documents",
            "[{\"id\": \"new\", \"text\": \"" + book(2) + " " + book(3) + "\"}]"),
        200);
    JsonNode after = TestHttp.ok(send("GET", "/v1/indexes/books", null), 200);
    assertEquals(before.get("documents").asLong() + 1, after.get("documents").asLong());
    long added = after.get("passages").asLong() - passages;
    assertTrue(added > 1, "the new document is several passages: " + added);
    TestHttp.ok(send("DELETE", "/v1/indexes/books/documents/new", null), 200);
    JsonNode deleted = TestHttp.ok(send("GET", "/v1/indexes/books", null), 200);
    assertEquals(passages, deleted.get("passages").asLong());
    for (JsonNode h : search("statins cholesterol", "maxp").get("hits"))
      assertFalse(h.get("docid").asText().equals("new"));
  }
}
