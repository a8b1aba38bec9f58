package dev.latte.encoders;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Long documents as passages, with the real bundled model. */
class PassageEncodingTest {
  static OnnxTokenEncoder encoder;

  static final String SENTENCE =
      "Statins lower the risk of cardiovascular events in patients with elevated cholesterol, "
          + "but muscle pain remains a common side effect reported in trials. ";
  static final String SHORT = "Diffusion anisotropy rises in white matter of preterm infants.";
  // About 28 tokens a sentence: 40 sentences are ~1100 tokens, two to three macro-windows.
  static final String LONG = SENTENCE.repeat(40).trim();
  static final String MEDIUM = SENTENCE.repeat(8).trim(); // ~300 tokens: one macro-window

  @BeforeAll
  static void load() throws IOException {
    encoder = OnnxTokenEncoder.load(BundledModel.folder(), 1, 1);
  }

  @AfterAll
  static void close() {
    encoder.close();
  }

  @Test
  void defaultTruncationGivesTheVectorsOfEncodeDocuments() {
    List<String> docs = List.of(SHORT, MEDIUM, LONG);
    List<EncodedText> plain = encoder.encodeDocuments(docs);
    List<EncodedPassages> cut =
        encoder.encodePassages(docs, PassagePolicy.truncate(encoder.config()));
    for (int i = 0; i < docs.size(); i++) {
      EncodedPassages p = cut.get(i);
      assertEquals(1, p.passages());
      assertEquals(plain.get(i).matrix(), p.union().matrix(), "document " + i);
      assertArrayEquals(plain.get(i).tokens(), p.union().tokens());
      assertArrayEquals(plain.get(i).starts(), p.union().starts());
    }
  }

  @Test
  void lateChunkingOfADocumentThatFitsIsItsWholeEncodingCutIntoPassages() {
    EncodedPassages whole =
        encoder
            .encodePassages(
                List.of(MEDIUM), new PassagePolicy(PassagePolicy.Mode.TRUNCATE, 510, 510, 512))
            .getFirst();
    PassagePolicy lc =
        PassagePolicy.of(PassagePolicy.Mode.LATE_CHUNKING, 64, null, encoder.config());
    EncodedPassages chunks = encoder.encodePassages(List.of(MEDIUM), lc).getFirst();
    assertTrue(chunks.passages() >= 4, "passages: " + chunks.passages());
    // Same transformer input, so the union of the chunks is the whole encoding, bit for bit.
    assertEquals(whole.union().matrix(), chunks.union().matrix());
    assertArrayEquals(whole.union().tokens(), chunks.union().tokens());
    assertPassagesCoverTheText(chunks, MEDIUM);
  }

  @Test
  void lateChunkingOfALongDocumentTakesEachPassageFromAMacroWindow() {
    PassagePolicy lc =
        PassagePolicy.of(PassagePolicy.Mode.LATE_CHUNKING, 128, null, encoder.config());
    EncodedPassages chunks = encoder.encodePassages(List.of(LONG), lc).getFirst();
    EncodedPassages windows =
        encoder
            .encodePassages(
                List.of(LONG),
                PassagePolicy.of(PassagePolicy.Mode.WINDOWS, 128, 128, encoder.config()))
            .getFirst();
    assertEquals(windows.passages(), chunks.passages());
    assertTrue(chunks.passages() >= 8, "passages: " + chunks.passages());
    assertPassagesCoverTheText(chunks, LONG);
    // The first macro-window is the first 510 tokens: passage 0 is the start of that encoding.
    EncodedText first510 =
        encoder
            .encodePassages(
                List.of(LONG), new PassagePolicy(PassagePolicy.Mode.TRUNCATE, 510, 510, 512))
            .getFirst()
            .union();
    EncodedText p0 = chunks.passage(0);
    assertArrayEquals(
        Arrays.copyOf(first510.matrix().data(), p0.matrix().data().length), p0.matrix().data());
    for (int i = 0; i < chunks.passages(); i++) {
      // Same tokens as the passage encoded alone, but vectors that saw their context.
      assertArrayEquals(windows.passage(i).tokens(), chunks.passage(i).tokens(), "passage " + i);
      assertEquals(windows.charStarts()[i], chunks.charStarts()[i]);
      assertNotEquals(windows.passage(i).matrix(), chunks.passage(i).matrix());
    }
  }

  @Test
  void overlappingWindowsAreEachEncodedAlone() {
    PassagePolicy w = PassagePolicy.of(PassagePolicy.Mode.WINDOWS, 100, 50, encoder.config());
    EncodedPassages p = encoder.encodePassages(List.of(LONG), w).getFirst();
    EncodedText first100 =
        encoder
            .encodePassages(
                List.of(LONG), new PassagePolicy(PassagePolicy.Mode.TRUNCATE, 100, 100, 512))
            .getFirst()
            .union();
    assertEquals(first100.matrix(), p.passage(0).matrix());
    for (int i = 1; i < p.passages(); i++)
      assertTrue(p.charStarts()[i] < p.charEnds()[i - 1], "windows overlap at " + i);
    assertPassagesCoverTheText(p, LONG);
  }

  @Test
  void windowsLongerThanTheModelAreRefused() {
    PassagePolicy w = PassagePolicy.of(PassagePolicy.Mode.WINDOWS, 600, 300, encoder.config());
    var e =
        assertThrows(
            IllegalArgumentException.class, () -> encoder.encodePassages(List.of(LONG), w));
    assertTrue(e.getMessage().contains("--window"), e.getMessage());
  }

  /** Every row's span lies in its passage's span; passages start in order, from 0 to the end. */
  static void assertPassagesCoverTheText(EncodedPassages p, String text) {
    assertEquals(0, p.charStarts()[0]);
    assertEquals(text.length(), p.charEnds()[p.passages() - 1]);
    for (int i = 0; i < p.passages(); i++) {
      if (i > 0) assertTrue(p.charStarts()[i] > p.charStarts()[i - 1]);
      EncodedText rows = p.passage(i);
      assertTrue(rows.length() > 0, "passage " + i + " has rows");
      for (int r = 0; r < rows.length(); r++) {
        if (rows.starts()[r] < 0) continue;
        assertTrue(
            rows.starts()[r] >= p.charStarts()[i] && rows.ends()[r] <= p.charEnds()[i],
            "row " + r + " of passage " + i);
      }
    }
  }
}
