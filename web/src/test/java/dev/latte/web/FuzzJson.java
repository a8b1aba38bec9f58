package dev.latte.web;

import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The fuzzer's JSON writer and byte-level mutations. Its own writer, because it must write what a
 * well-behaved library will not: lone surrogates as {@code \\uD800} escapes, raw UTF-8 or all
 * escapes at choice, numbers of any size.
 */
final class FuzzJson {
  private FuzzJson() {}

  static byte[] write(Object v, boolean asciiEscapes) {
    StringBuilder b = new StringBuilder();
    write(v, asciiEscapes, b);
    // Lone surrogates only ever appear escaped (asciiEscapes) or are written as '?' by getBytes:
    // the raw form of such a string is not UTF-8 at all, which the byte mutations cover.
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void write(Object v, boolean ascii, StringBuilder b) {
    switch (v) {
      case null -> b.append("null");
      case String s -> string(s, ascii || hasLoneSurrogate(s), b);
      case Map<?, ?> m -> {
        b.append('{');
        boolean first = true;
        for (var e : m.entrySet()) {
          if (!first) b.append(',');
          first = false;
          string((String) e.getKey(), ascii || hasLoneSurrogate((String) e.getKey()), b);
          b.append(':');
          write(e.getValue(), ascii, b);
        }
        b.append('}');
      }
      case List<?> l -> {
        b.append('[');
        for (int i = 0; i < l.size(); i++) {
          if (i > 0) b.append(',');
          write(l.get(i), ascii, b);
        }
        b.append(']');
      }
      case Double d -> b.append(d.isInfinite() || d.isNaN() ? "1e999" : d.toString());
      case BigDecimal d -> b.append(d.toString());
      case BigInteger i -> b.append(i);
      default -> b.append(v);
    }
  }

  private static boolean hasLoneSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) i++;
      else if (Character.isSurrogate(c)) return true;
    }
    return false;
  }

  private static void string(String s, boolean ascii, StringBuilder b) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20 || (ascii && c > 0x7e)) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    b.append('"');
  }

  /** Sequences that are not UTF-8: malformed, overlong, encoded surrogates, truncated. */
  private static final byte[][] INVALID = {
    {(byte) 0xC3, 0x28},
    {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
    {(byte) 0xC0, (byte) 0x80},
    {(byte) 0xC1, (byte) 0x81},
    {(byte) 0xFF},
    {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80},
    {(byte) 0xE2, (byte) 0x82},
    {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
  };

  /** {@code json} with a sequence that is not UTF-8 inserted inside its first string literal. */
  static byte[] injectInvalidUtf8(byte[] json, Random r) {
    int quote = -1;
    for (int i = 0; i < json.length; i++)
      if (json[i] == '"') {
        quote = i;
        if (r.nextBoolean()) break;
      }
    int at = quote < 0 ? r.nextInt(json.length + 1) : quote + 1;
    byte[] bad = INVALID[r.nextInt(INVALID.length)];
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(json, 0, at);
    out.writeBytes(bad);
    out.write(json, at, json.length - at);
    return out.toByteArray();
  }

  private static final String STRUCTURE = "{}[]\",:\\0-e.";

  /** Random byte edits: flips, deletions, insertions, truncation. */
  static byte[] mutate(byte[] in, Random r) {
    List<Byte> b = new ArrayList<>();
    for (byte x : in) b.add(x);
    for (int i = 0, n = 1 + r.nextInt(4); i < n && !b.isEmpty(); i++) {
      int at = r.nextInt(b.size());
      switch (r.nextInt(4)) {
        case 0 -> b.set(at, (byte) r.nextInt(256));
        case 1 -> b.remove(at);
        case 2 -> b.add(at, (byte) STRUCTURE.charAt(r.nextInt(STRUCTURE.length())));
        default -> b.subList(at, b.size()).clear();
      }
    }
    byte[] out = new byte[b.size()];
    for (int i = 0; i < out.length; i++) out[i] = b.get(i);
    return out;
  }

  /** A path segment for {@code id}: UTF-8 percent-encoded (all bytes, or only those that must). */
  static String percentEncode(String id, boolean all) {
    byte[] bytes = id.getBytes(StandardCharsets.UTF_8);
    StringBuilder b = new StringBuilder();
    for (byte x : bytes) {
      int c = x & 0xff;
      boolean unreserved =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '-'
              || c == '.'
              || c == '_'
              || c == '~';
      boolean plain =
          unreserved
              || (!all && c > 0x20 && c < 0x7f && c != '%' && c != '?' && c != '#' && c != '/');
      if (plain) b.append((char) c);
      else b.append('%').append(String.format("%02X", c));
    }
    return b.toString();
  }

  /** A filter from valid to hostile: wrong types, unknown clauses, deep nesting, many clauses. */
  static Object randomFilter(Random r, int depth) {
    int p = r.nextInt(depth > 3 ? 6 : 12);
    return switch (p) {
      case 0 -> Map.of("term", Map.of("tag", "red"));
      case 1 -> Map.of("terms", Map.of("tag", List.of("red", "blue")));
      case 2 ->
          Map.of(
              "range",
              Map.of(
                  "n",
                  Map.of(
                      "gte",
                      r.nextInt(10) - 5,
                      "lt",
                      new BigInteger("9".repeat(1 + r.nextInt(40))))));
      case 3 -> Map.of("exists", Map.of("field", "tag"));
      case 4 -> Map.of("match_all", Map.of());
      case 5 ->
          pick(
              r,
              "x",
              5,
              List.of(),
              Map.of(),
              Map.of("nope", 1),
              Map.of("term", 3),
              Map.of("term", Map.of("a", "b", "c", "d")));
      case 6 -> {
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("must", List.of(randomFilter(r, depth + 1), randomFilter(r, depth + 1)));
        if (r.nextBoolean())
          nested.put(
              "minimum_should_match",
              pick(r, 1, -1, Long.MAX_VALUE, new BigInteger("18446744073709551617"), 1.5));
        if (r.nextBoolean()) nested.put("should", List.of(randomFilter(r, depth + 1)));
        yield Map.of("bool", nested);
      }
      case 7 -> {
        Object v = Map.of("term", Map.of("tag", "red"));
        for (int i = 0, d = 10 + r.nextInt(60); i < d; i++)
          v = Map.of("bool", Map.of("must", List.of(v)));
        yield v;
      }
      case 8 -> {
        List<Object> many = new ArrayList<>();
        for (int i = 0, n = 100 + r.nextInt(3000); i < n; i++)
          many.add(Map.of("term", Map.of("tag", "t" + i)));
        yield Map.of("bool", Map.of(pick(r, "should", "must", "must_not", "filter"), many));
      }
      case 9 -> {
        List<Object> values = new ArrayList<>();
        for (int i = 0, n = 100 + r.nextInt(3000); i < n; i++) values.add("t" + i);
        yield Map.of("terms", Map.of("tag", values));
      }
      case 10 ->
          Map.of(
              "term", Map.of("k".repeat(1 + r.nextInt(40_000)), "v".repeat(1 + r.nextInt(40_000))));
      default -> Map.of("term", Map.of("tag\ud800", "x"));
    };
  }

  @SafeVarargs
  private static <T> T pick(Random r, T... options) {
    return options[r.nextInt(options.length)];
  }
}
