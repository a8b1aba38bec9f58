package dev.latte.web;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import io.javalin.router.Endpoint;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;

/**
 * The one way text and numbers from a client are decoded, on every route: exactly or not at all.
 * What cannot be decoded exactly is a 400 naming the field, never replaced, truncated, wrapped or
 * clamped, so two distinct inputs can never become one id (or one value) on the server.
 *
 * <ul>
 *   <li>bytes are UTF-8, decoded strictly (malformed or truncated sequences are refused, not
 *       replaced by U+FFFD) — JSON bodies (Jackson refuses malformed UTF-8 itself), NDJSON lines
 *       and path segments alike;
 *   <li>every string of a JSON body, member names included, must be well-formed Unicode: JSON's
 *       {@code \\uD800} escapes can spell lone surrogates, which UTF-8 (and so Lucene) cannot hold;
 *   <li>path segments are percent-decoded strictly: {@code %} must start two hex digits; {@code +}
 *       stays a plus;
 *   <li>integers are exact: a JSON number that is not integral, or outside the field's range
 *       (however many digits), is refused.
 * </ul>
 */
final class ClientInput {
  private ClientInput() {}

  /** Refuses a JSON tree holding a string or member name that is not well-formed Unicode. */
  static void checkText(JsonNode node, String where) {
    if (node == null) return;
    if (node.isTextual()) {
      checkText(node.textValue(), where);
    } else if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String at = where.isEmpty() ? e.getKey() : where + "." + e.getKey();
        checkText(e.getKey(), (where.isEmpty() ? "" : where + ".") + "(member name)");
        checkText(e.getValue(), at);
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) checkText(node.get(i), where + "[" + i + "]");
    }
  }

  /** Refuses {@code s} if it holds a lone surrogate (text that has no UTF-8 form). */
  static String checkText(String s, String field) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!Character.isSurrogate(c)) continue;
      if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
        continue;
      }
      throw invalidText(
          field,
          "holds a lone surrogate (\\u"
              + Integer.toHexString(c).toUpperCase(java.util.Locale.ROOT)
              + " at character "
              + i
              + "), which is not Unicode text; send well-formed UTF-8");
    }
    return s;
  }

  /**
   * Refuses {@code bytes[offset, offset + length)} unless it is well-formed UTF-8 (no malformed,
   * overlong or truncated sequence, no encoded surrogate), without keeping the decoded text.
   */
  static void requireUtf8(byte[] bytes, int offset, int length, String field) {
    var decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes, offset, length);
    java.nio.CharBuffer out = java.nio.CharBuffer.allocate(Math.min(8192, length + 1));
    while (true) {
      var r = decoder.decode(in, out, true);
      if (r.isError()) {
        throw invalidText(
            field,
            "is not valid UTF-8 (a malformed byte sequence at byte "
                + (in.position() - offset)
                + "); send well-formed UTF-8");
      }
      out.clear();
      if (r.isUnderflow()) break;
    }
  }

  /** {@code bytes} as strict UTF-8; 400 naming {@code field} otherwise. */
  static String utf8(byte[] bytes, int offset, int length, String field) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes, offset, length))
          .toString();
    } catch (CharacterCodingException e) {
      throw invalidText(field, "is not valid UTF-8; send well-formed UTF-8");
    }
  }

  /**
   * The path parameter {@code name} of the matched route, decoded strictly from the raw request
   * path (Javalin's own decoding replaces what is not UTF-8 and fails on a bad escape).
   */
  static String pathParam(Context ctx, String name) {
    String raw = rawPathParam(ctx, name);
    return percentDecode(raw, "path parameter {" + name + "}");
  }

  private static String rawPathParam(Context ctx, String name) {
    Endpoint e = ctx.endpoints().matchedHttpEndpoint();
    String[] template = e.path.split("/", -1);
    String uri = ctx.req().getRequestURI();
    String[] parts = uri.split("/", -1);
    for (int i = 0; i < template.length && i < parts.length; i++) {
      String t = template[i];
      if (t.equals("{" + name + "}")) return parts[i];
      if (t.equals("<" + name + ">"))
        return String.join("/", java.util.Arrays.copyOfRange(parts, i, parts.length));
    }
    throw new IllegalStateException("route " + e.path + " has no parameter " + name);
  }

  /** Strict percent-decoding of a path segment: UTF-8 bytes, every escape two hex digits. */
  static String percentDecode(String raw, String field) {
    if (raw.indexOf('%') < 0) return checkText(raw, field);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%') {
        int hi = i + 1 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
        int lo = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 2), 16) : -1;
        if (hi < 0 || lo < 0)
          throw Refusal.invalid(
              "invalid_path",
              field
                  + " has a malformed percent-escape at character "
                  + i
                  + ": '%' must be followed by two hex digits (write '%25' for '%')",
              Map.of("field", field));
        bytes.write(hi * 16 + lo);
        i += 2;
      } else if (c < 0x80) {
        bytes.write(c);
      } else {
        byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        bytes.write(b, 0, b.length);
      }
    }
    byte[] b = bytes.toByteArray();
    return checkText(utf8(b, 0, b.length, field), field);
  }

  /**
   * The integer {@code node} holds, exactly, if it is a JSON integer from {@code min} to {@code
   * max}; else 400 {@code "\"field\" must be an integer from min to max"}. Numbers with a fraction
   * or exponent ({@code 1.0}, {@code 1e2}) are not integers here.
   */
  static long integer(JsonNode node, String field, long min, long max) {
    if (node != null && node.isIntegralNumber()) {
      BigInteger v = node.bigIntegerValue();
      if (v.compareTo(BigInteger.valueOf(min)) >= 0 && v.compareTo(BigInteger.valueOf(max)) <= 0)
        return v.longValueExact();
    }
    throw Refusal.invalid(
        "invalid_request", "\"" + field + "\" must be an integer from " + min + " to " + max);
  }

  private static Refusal invalidText(String field, String problem) {
    String shown = field.isEmpty() ? "the request body" : field;
    return Refusal.invalid("invalid_text", shown + " " + problem, Map.of("field", shown));
  }
}
