package dev.latte.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrecRunTest {

  @TempDir Path dir;

  @Test
  void writesOneTrecLinePerDocInTrecEvalOrder() throws IOException {
    // c has the top score; a and b tie, and "b" > "a" puts b first.
    TrecRun run = TrecRun.of(Map.of("q1", List.of(doc("a", 1f), doc("b", 1f), doc("c", 2.5f))));
    Path file = dir.resolve("run.txt");

    run.writeTo(file, "latte");

    assertEquals(
        List.of("q1 Q0 c 1 2.5 latte", "q1 Q0 b 2 1.0 latte", "q1 Q0 a 3 1.0 latte"),
        Files.readAllLines(file));
  }

  @Test
  void roundTripsThroughAFile() throws IOException {
    TrecRun run =
        TrecRun.of(
            Map.of(
                "q2",
                List.of(
                    // 6 decimals (%.6f) would print both as 0.123457 and invent a tie.
                    doc("near-1", 0.12345671f),
                    doc("near-2", 0.12345674f),
                    doc("tiny", 1.0e-8f),
                    doc("huge", 3.0e9f),
                    doc("negative", -7.25f)),
                "q10",
                List.of(doc("x", 1f), doc("y", 1f))));
    Path file = dir.resolve("run.txt");

    run.writeTo(file, "t");
    TrecRun back = TrecRun.read(file);

    assertEquals(run, back);
    assertEquals(List.of("q10", "q2"), List.copyOf(back.rankings().keySet())); // strcmp order
    assertFalse(Files.readString(file).contains("E"), "scores are written in plain notation");
  }

  @Test
  void scoresAreReadBackExactlyTheWayTrecEval9ParsesThem() {
    // trec_eval 9.x parses a score with atof (to double) into a float field.
    // 7.038531E-26 is a float whose shortest form does not survive that detour.
    float awkward = 7.038531E-26f;
    assertTrue((float) Double.parseDouble(Float.toString(awkward)) != awkward);
    assertEquals(awkward, (float) Double.parseDouble(TrecRun.formatScore(awkward)));

    SplittableRandom random = new SplittableRandom(42);
    for (int i = 0; i < 100_000; i++) {
      float score =
          Float.intBitsToFloat(random.nextInt(0x7F800000)) * (random.nextBoolean() ? 1 : -1);
      String text = TrecRun.formatScore(score);
      assertEquals(score, (float) Double.parseDouble(text), text);
    }
  }

  @Test
  void readIgnoresTheRankColumnAndLineOrder() throws IOException {
    // The rank column claims r is first, but scores say otherwise; and b ties with a ("b" > "a").
    Path file = dir.resolve("run.txt");
    Files.write(
        file,
        List.of(
            "q1 Q0 r 1 0.5 tag",
            "",
            "q1 Q0 a 2 0.9 tag",
            "q1\tQ0  b 3 0.9 tag",
            "q2 Q0 z 1 1 tag"));

    TrecRun run = TrecRun.read(file);

    assertEquals(List.of(doc("b", 0.9f), doc("a", 0.9f), doc("r", 0.5f)), run.ranking("q1"));
    assertEquals(List.of(doc("z", 1f)), run.ranking("q2"));
  }

  @Test
  void malformedLineNamesTheFileAndLine() throws IOException {
    Path file = dir.resolve("broken.run");
    Files.write(file, List.of("q1 Q0 a 1 0.9 tag", "q1 Q0 b 2 0.8"));

    IOException e = assertThrows(IOException.class, () -> TrecRun.read(file));

    assertEquals(
        file + ":2: expected 6 fields 'qid Q0 docid rank score tag', got 5: 'q1 Q0 b 2 0.8'",
        e.getMessage());
  }

  @Test
  void unparsableScoreAndRepeatedDocAreReportedWithTheirLine() throws IOException {
    Path badScore = dir.resolve("score.run");
    Files.write(badScore, List.of("q1 Q0 a 1 high tag"));
    Path repeated = dir.resolve("repeated.run");
    Files.write(repeated, List.of("q1 Q0 a 1 0.9 tag", "q2 Q0 a 1 0.9 tag", "q1 Q0 a 2 0.8 tag"));

    String scoreMessage =
        assertThrows(IOException.class, () -> TrecRun.read(badScore)).getMessage();
    String repeatMessage =
        assertThrows(IOException.class, () -> TrecRun.read(repeated)).getMessage();

    assertTrue(scoreMessage.startsWith(badScore + ":1: "), scoreMessage);
    assertTrue(scoreMessage.contains("score"), scoreMessage);
    assertTrue(
        repeatMessage.startsWith(repeated + ":3: doc a repeated for query q1"), repeatMessage);
  }

  @Test
  void refusesToWriteWhatCouldNotBeReadBack() {
    TrecRun spacedDoc = TrecRun.of(Map.of("q", List.of(doc("two words", 1f))));
    TrecRun fine = TrecRun.of(Map.of("q", List.of(doc("d", 1f))));
    Path file = dir.resolve("run.txt");

    assertThrows(IllegalArgumentException.class, () -> spacedDoc.writeTo(file, "tag"));
    assertThrows(IllegalArgumentException.class, () -> fine.writeTo(file, "my tag"));
    assertThrows(IllegalArgumentException.class, () -> fine.writeTo(file, ""));
    assertFalse(Files.exists(file), "nothing is written when a value is refused");
  }

  @Test
  void rejectsNonFiniteScores() {
    assertThrows(IllegalArgumentException.class, () -> doc("d", Float.NaN));
    assertThrows(IllegalArgumentException.class, () -> doc("d", Float.POSITIVE_INFINITY));
  }

  private static RankedDoc doc(String id, float score) {
    return new RankedDoc(id, score);
  }
}
