package dev.latte.web;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reading request bodies: the one JSON mapper of the API (duplicate keys and trailing content are
 * refused) and JSON objects with a fixed set of fields.
 */
final class RequestBodies {
  final ObjectMapper mapper =
      new ObjectMapper()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** The body as a JSON object with only {@code allowed} fields. */
  JsonNode object(Context ctx, Set<String> allowed) {
    return object(ctx.bodyAsBytes(), allowed);
  }

  JsonNode object(byte[] bytes, Set<String> allowed) {
    JsonNode body = DocumentBatch.readTree(mapper, bytes);
    if (body == null || !body.isObject())
      throw Refusal.invalid("invalid_request", "request body must be a JSON object");
    checkFields(body, allowed);
    return body;
  }

  /** Refuses with a 400 naming the first field of {@code body} that is not {@code allowed}. */
  static void checkFields(JsonNode body, Set<String> allowed) {
    for (var it = body.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!allowed.contains(f)) {
        List<String> sorted = new ArrayList<>(allowed);
        sorted.sort(null);
        throw Refusal.invalid(
            "invalid_request",
            "unknown field \"" + f + "\"; accepted: " + String.join(", ", sorted));
      }
    }
  }

  /** Milliseconds since {@code t0} ({@link System#nanoTime()}), to the microsecond. */
  static double millisSince(long t0) {
    return Math.round((System.nanoTime() - t0) / 1000.0) / 1000.0;
  }
}
