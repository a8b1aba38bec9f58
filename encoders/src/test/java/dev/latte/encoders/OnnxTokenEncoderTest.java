package dev.latte.encoders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.latte.core.TokenMatrix;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the real bundled model (from the Maven jar, offline). */
class OnnxTokenEncoderTest {
  static Path bundled;
  static OnnxTokenEncoder encoder;
  @TempDir Path tmp;

  @BeforeAll
  static void load() throws IOException {
    bundled = BundledModel.folder();
    encoder = OnnxTokenEncoder.load(bundled, 2, 1);
  }

  @AfterAll
  static void close() {
    encoder.close();
  }

  @Test
  void queryRowsAreUnitVectorsOfTheConfiguredDimension() {
    EncodedText q = encoder.encodeQuery("What causes diffusion in white matter?");
    TokenMatrix m = q.matrix();
    assertEquals(384, m.dim());
    // [CLS] what causes diffusion in white matter ? [SEP]: queries keep every position.
    assertEquals("[CLS]", q.tokens()[0]);
    assertEquals("[SEP]", q.tokens()[q.length() - 1]);
    assertEquals(9, q.length(), Arrays.toString(q.tokens()));
    for (int i = 0; i < m.rows(); i++) {
      double norm = 0;
      for (int d = 0; d < m.dim(); d++) norm += m.get(i, d) * m.get(i, d);
      assertEquals(1.0, norm, 1e-4);
    }
  }

  @Test
  void documentsDropSpecialsAndPunctuationAndKeepCharacterSpans() {
    String text = "Diffusion, measured in vivo: anisotropy rises!";
    EncodedText d = encoder.encodeDocuments(List.of(text)).getFirst();
    List<String> tokens = Arrays.asList(d.tokens());
    assertFalse(tokens.contains("[CLS]") || tokens.contains("[SEP]"), tokens.toString());
    assertFalse(
        tokens.contains(",") || tokens.contains(":") || tokens.contains("!"), tokens.toString());
    assertTrue(tokens.contains("diffusion"), tokens.toString());
    for (int i = 0; i < d.length(); i++) {
      String surface = text.substring(d.starts()[i], d.ends()[i]).toLowerCase();
      assertEquals(d.tokens()[i].replace("##", ""), surface, "span of token " + i);
    }
  }

  /**
   * The bundled model is int8 with dynamic activation quantisation: scales are taken over the whole
   * batch tensor, so a row's values depend slightly on its batch mates. Rows must still point the
   * same way; exact equality holds only for float models.
   */
  @Test
  void batchedEncodingMatchesOneByOne() {
    List<String> docs =
        List.of(
            "short text",
            "a considerably longer text, so that the first one is padded in the batch",
            "x");
    List<EncodedText> batch = encoder.encodeDocuments(docs);
    for (int i = 0; i < docs.size(); i++) {
      TokenMatrix alone = encoder.encodeDocuments(List.of(docs.get(i))).getFirst().matrix();
      TokenMatrix inBatch = batch.get(i).matrix();
      assertEquals(alone.rows(), inBatch.rows());
      for (int r = 0; r < alone.rows(); r++) {
        double cos = 0;
        for (int k = 0; k < alone.dim(); k++) cos += alone.get(r, k) * inBatch.get(r, k);
        assertTrue(cos > 0.98, "doc " + i + " row " + r + " cosine " + cos);
      }
    }
  }

  @Test
  void documentsAreTruncatedAtTheConfiguredLength() {
    String longText = "word ".repeat(1000);
    EncodedText d = encoder.encodeDocuments(List.of(longText)).getFirst();
    // 256 positions including [CLS] and [SEP], which the bundled config drops.
    assertEquals(254, d.length());
  }

  @Test
  void relevantDocumentOutscoresUnrelatedOne() {
    var kernel = dev.latte.core.kernel.VectorKernel.get();
    TokenMatrix q = encoder.encodeQuery("treatment of hypertension with beta blockers").matrix();
    List<EncodedText> docs =
        encoder.encodeDocuments(
            List.of(
                "Beta blockers lower blood pressure in patients with hypertension.",
                "The migration of birds follows magnetic field lines."));
    assertTrue(kernel.maxSim(q, docs.get(0).matrix()) > kernel.maxSim(q, docs.get(1).matrix()));
  }

  @Test
  void markerAndMaskAugmentationFollowTheConfig() throws IOException {
    Path folder =
        modelCopy(
            """
        {"name": "colbert-style", "dimension": 384, "query_marker": "[unused0]", "document_marker": "[unused1]",
         "query_max_length": 32, "query_augmentation": true, "keep_special_tokens": true}""");
    try (OnnxTokenEncoder e = OnnxTokenEncoder.load(folder, 1, 1)) {
      EncodedText q = e.encodeQuery("beta blockers");
      assertEquals(32, q.length());
      assertEquals("[marker]", q.tokens()[1]);
      assertEquals("[MASK]", q.tokens()[31]);
      EncodedText d = e.encodeDocuments(List.of("beta blockers")).getFirst();
      assertEquals(
          List.of("[CLS]", "[marker]", "beta", "block", "##ers", "[SEP]"),
          Arrays.asList(d.tokens()));
    }
  }

  @Test
  void badModelFoldersFailAtLoadWithAnActionableMessage() throws IOException {
    assertMessage(tmp.resolve("missing"), "model folder not found");
    Files.createDirectories(tmp.resolve("empty"));
    assertMessage(tmp.resolve("empty"), "has no latte-model.json");
    assertMessage(
        modelCopy("{\"name\": \"x\", \"dimension\": 384, \"colour\": 1}"),
        "unknown setting \"colour\"");
    assertMessage(modelCopy("{\"name\": \"x\", \"dimension\": 128}"), "expected [1,");
    assertMessage(
        modelCopy("{\"name\": \"x\", \"dimension\": 384, \"output\": \"token_embeddings\"}"),
        "no output named \"token_embeddings\"");
    assertMessage(
        modelCopy("{\"name\": \"x\", \"dimension\": 384, \"query_marker\": \"[Q] marker\"}"),
        "\"query_marker\"");
    assertMessage(
        modelCopy("{\"name\": \"x\", \"dimension\": 384, \"model_file\": \"nope.onnx\"}"),
        "has no nope.onnx");
    Path garbage =
        modelCopy("{\"name\": \"x\", \"dimension\": 384, \"model_file\": \"garbage.onnx\"}");
    Files.writeString(garbage.resolve("garbage.onnx"), "not a model");
    assertMessage(garbage, "cannot load ONNX model");
  }

  private void assertMessage(Path folder, String expected) {
    var e =
        assertThrows(ModelLoadException.class, () -> OnnxTokenEncoder.load(folder, 1, 1).close());
    assertTrue(
        e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
  }

  private int copies;

  private Path modelCopy(String config) throws IOException {
    Path dir = tmp.resolve("model" + copies++);
    Files.createDirectories(dir);
    Files.createSymbolicLink(dir.resolve("model.onnx"), bundled.resolve("model.onnx"));
    Files.createSymbolicLink(dir.resolve("tokenizer.json"), bundled.resolve("tokenizer.json"));
    Files.writeString(dir.resolve(ModelConfig.FILE_NAME), config);
    return dir;
  }

  @Test
  void fingerprintDependsOnConfig() throws IOException {
    try (OnnxTokenEncoder a =
            OnnxTokenEncoder.load(modelCopy("{\"name\": \"x\", \"dimension\": 384}"), 1, 1);
        OnnxTokenEncoder b =
            OnnxTokenEncoder.load(
                modelCopy("{\"name\": \"x\", \"dimension\": 384, \"document_max_length\": 100}"),
                1,
                1)) {
      assertFalse(a.fingerprint().equals(b.fingerprint()));
      assertEquals(16, a.fingerprint().length());
    }
  }
}
