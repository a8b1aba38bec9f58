package dev.latte.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link MergePatch} against the examples of RFC 7386, Appendix A. */
class MergePatchTest {
  static final ObjectMapper JSON = new ObjectMapper();

  @ParameterizedTest(name = "{0} + {1} = {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"a\":\"b\"} | {\"a\":\"c\"} | {\"a\":\"c\"}",
        "{\"a\":\"b\"} | {\"b\":\"c\"} | {\"a\":\"b\",\"b\":\"c\"}",
        "{\"a\":\"b\"} | {\"a\":null} | {}",
        "{\"a\":\"b\",\"b\":\"c\"} | {\"a\":null} | {\"b\":\"c\"}",
        "{\"a\":[\"b\"]} | {\"a\":\"c\"} | {\"a\":\"c\"}",
        "{\"a\":\"c\"} | {\"a\":[\"b\"]} | {\"a\":[\"b\"]}",
        "{\"a\":{\"b\":\"c\"}} | {\"a\":{\"b\":\"d\",\"c\":null}} | {\"a\":{\"b\":\"d\"}}",
        "{\"a\":[{\"b\":\"c\"}]} | {\"a\":[1]} | {\"a\":[1]}",
        "[\"a\",\"b\"] | [\"c\",\"d\"] | [\"c\",\"d\"]",
        "{\"a\":\"b\"} | [\"c\"] | [\"c\"]",
        "{\"a\":\"foo\"} | null | null",
        "{\"a\":\"foo\"} | \"bar\" | \"bar\"",
        "{\"e\":null} | {\"a\":1} | {\"e\":null,\"a\":1}",
        "[1,2] | {\"a\":\"b\",\"c\":null} | {\"a\":\"b\"}",
        "{} | {\"a\":{\"bb\":{\"ccc\":null}}} | {\"a\":{\"bb\":{}}}",
        // Beyond the RFC's table: deeper merges, and a scalar replaced by an object.
        "{\"a\":{\"b\":{\"c\":1,\"d\":2}},\"x\":1} | {\"a\":{\"b\":{\"d\":null,\"e\":3}}} | {\"a\":{\"b\":{\"c\":1,\"e\":3}},\"x\":1}",
        "{\"a\":1} | {\"a\":{\"b\":null,\"c\":2}} | {\"a\":{\"c\":2}}",
      })
  void rfc7386Examples(String original, String patch, String result) throws Exception {
    JsonNode target = JSON.readTree(original);
    JsonNode p = JSON.readTree(patch);
    JsonNode targetCopy = target.deepCopy();
    JsonNode patchCopy = p.deepCopy();
    assertEquals(JSON.readTree(result), MergePatch.apply(target, p));
    assertEquals(targetCopy, target, "the target is not changed");
    assertEquals(patchCopy, p, "the patch is not changed");
  }
}
