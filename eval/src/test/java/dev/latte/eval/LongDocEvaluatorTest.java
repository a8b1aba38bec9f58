package dev.latte.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.latte.eval.metrics.RankedDoc;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LongDocEvaluatorTest {
  @Test
  void aMappedDocumentScoresAsItsBestPart() {
    Map<String, String> books = Map.of("a1", "b1", "a2", "b2", "a3", "b1", "a4", "b3");
    List<RankedDoc> run =
        List.of(
            new RankedDoc("a2", 9f),
            new RankedDoc("a3", 8f),
            new RankedDoc("a1", 3f),
            new RankedDoc("a4", 3f));
    List<RankedDoc> mapped = LongDocEvaluator.mapped(run, books);
    assertEquals(
        List.of(new RankedDoc("b2", 9f), new RankedDoc("b1", 8f), new RankedDoc("b3", 3f)), mapped);
    assertThrows(
        IllegalArgumentException.class,
        () -> LongDocEvaluator.mapped(List.of(new RankedDoc("zz", 1f)), books));
  }
}
