package dev.latte.encoders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Passages cut at sentence ends and paragraph breaks, with the real bundled model. */
class PassageCutTest {
  static OnnxTokenEncoder encoder;

  @BeforeAll
  static void load() throws IOException {
    encoder = OnnxTokenEncoder.load(BundledModel.folder(), 1, 1);
  }

  @AfterAll
  static void close() {
    encoder.close();
  }

  /** Sentences of different lengths (about 10 to 40 tokens), "3.5" and "e.g." inside. */
  static String sentence(int i) {
    return "Trial "
        + i
        + " measured a rise of 3.5 percent in"
        + " markers, e.g. troponin and creatinine,".repeat(1 + i % 4)
        + " in patients aged "
        + (40 + i)
        + ".";
  }

  /** Paragraphs of 1 to 3 sentences, joined by blank lines (as the books benchmark does). */
  static String document(int paragraphs) {
    StringBuilder b = new StringBuilder();
    int s = 0;
    for (int p = 0; p < paragraphs; p++) {
      if (p > 0) b.append("\n\n");
      int count = 1 + p % 3;
      for (int k = 0; k < count; k++) b.append(k > 0 ? " " : "").append(sentence(s++));
    }
    return b.toString();
  }

  static List<Integer> ends(String text, Pattern p) {
    List<Integer> out = new ArrayList<>();
    Matcher m = p.matcher(text);
    while (m.find()) out.add(m.end());
    out.add(text.length());
    return out;
  }

  @Test
  void sentenceCutsEndEveryPassageAtASentenceEndAndCoverTheDocumentOnce() {
    String doc = document(12);
    PassagePolicy policy =
        PassagePolicy.of(
            PassagePolicy.Mode.WINDOWS, 100, null, PassagePolicy.Cut.SENTENCES, encoder.config());
    EncodedPassages p = encoder.encodePassages(List.of(doc), policy).getFirst();
    EncodedText whole =
        encoder
            .encodePassages(
                List.of(doc), new PassagePolicy(PassagePolicy.Mode.WINDOWS, 254, 254, 512))
            .getFirst()
            .union();
    assertTrue(p.passages() > 3, "a long document gives several passages: " + p.passages());
    List<Integer> sentenceEnds = ends(doc, Pattern.compile("\\d\\.(?=\\s)"));
    int rows = 0;
    for (int i = 0; i < p.passages(); i++) {
      assertTrue(
          sentenceEnds.contains(p.charEnds()[i]),
          "passage " + i + " ends mid-sentence: ..." + doc.substring(0, p.charEnds()[i]));
      if (i > 0)
        assertTrue(
            doc.substring(p.charEnds()[i - 1], p.charStarts()[i]).isBlank(),
            "passage " + i + " follows the previous one without gap or overlap");
      assertTrue(p.passage(i).length() <= 100, "passage " + i + " longer than the window");
      rows += p.passage(i).length();
    }
    assertEquals(0, p.charStarts()[0]);
    assertEquals(doc.length(), p.charEnds()[p.passages() - 1]);
    assertEquals(whole.length(), rows, "every token in exactly one passage");
  }

  @Test
  void paragraphCutsEndAtTheLastParagraphBreakInsideTheWindow() {
    String doc = document(16);
    int window = 254;
    PassagePolicy policy =
        PassagePolicy.of(
            PassagePolicy.Mode.WINDOWS,
            window,
            null,
            PassagePolicy.Cut.PARAGRAPHS,
            encoder.config());
    EncodedPassages p = encoder.encodePassages(List.of(doc), policy).getFirst();
    List<Integer> paragraphEnds = ends(doc, Pattern.compile("\\.(?=\\n\\n)"));
    List<Integer> sentenceEnds = ends(doc, Pattern.compile("\\d\\.(?=\\s)"));
    int atParagraphs = 0;
    for (int i = 0; i < p.passages(); i++) {
      int start = p.charStarts()[i], end = p.charEnds()[i];
      assertTrue(p.passage(i).length() <= window, "passage " + i + " longer than the window");
      if (paragraphEnds.contains(end)) atParagraphs++;
      else {
        // Cut at a sentence only inside a paragraph longer than what the window had left.
        assertTrue(sentenceEnds.contains(end), "passage " + i + " ends mid-sentence");
        for (int e : paragraphEnds)
          assertTrue(e <= start || e > end, "passage " + i + " passed a paragraph break");
      }
      if (i > 0) assertTrue(start > p.charEnds()[i - 1], "passages follow each other");
    }
    assertTrue(atParagraphs > p.passages() / 2, atParagraphs + " of " + p.passages());
    // Several short paragraphs share a window: fewer passages than paragraphs.
    assertTrue(p.passages() < paragraphEnds.size(), p.passages() + " passages");
    assertEquals(doc.length(), p.charEnds()[p.passages() - 1]);
  }

  @Test
  void overlapIsMadeOfWholeSentences() {
    String doc = document(8);
    PassagePolicy policy =
        PassagePolicy.of(
            PassagePolicy.Mode.WINDOWS, 200, 80, PassagePolicy.Cut.SENTENCES, encoder.config());
    EncodedPassages p = encoder.encodePassages(List.of(doc), policy).getFirst();
    List<Integer> sentenceStarts = new ArrayList<>(List.of(0));
    for (int e : ends(doc, Pattern.compile("\\d\\.\\s+"))) sentenceStarts.add(e);
    int overlapping = 0;
    for (int i = 1; i < p.passages(); i++) {
      assertTrue(
          sentenceStarts.contains(p.charStarts()[i]), "passage " + i + " starts mid-sentence");
      assertTrue(p.charStarts()[i] > p.charStarts()[i - 1]);
      if (p.charStarts()[i] < p.charEnds()[i - 1]) overlapping++;
    }
    assertTrue(overlapping > 0, "a stride below the window overlaps passages");
  }

  @Test
  void settingsRecordTheCutAndReadBack() {
    PassagePolicy policy =
        PassagePolicy.of(
            PassagePolicy.Mode.WINDOWS, 510, null, PassagePolicy.Cut.PARAGRAPHS, encoder.config());
    assertEquals(policy, PassagePolicy.fromJson(policy.toJson()));
    assertEquals("paragraphs", policy.settings().get("cut"));
    PassagePolicy fixed = PassagePolicy.of(PassagePolicy.Mode.WINDOWS, 254, null, encoder.config());
    assertTrue(!fixed.settings().containsKey("cut"), "a fixed cut keeps earlier jobs' settings");
    assertEquals(fixed, PassagePolicy.fromJson(fixed.toJson()));
  }
}
