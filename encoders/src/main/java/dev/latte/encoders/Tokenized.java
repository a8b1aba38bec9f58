package dev.latte.encoders;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.jni.CharSpan;

/** One tokenised input with the marker inserted after the first ([CLS]) position. */
record Tokenized(
    long[] ids,
    long[] attention,
    long[] types,
    String[] tokens,
    boolean[] special,
    int[] start,
    int[] end) {
  int length() {
    return ids.length;
  }

  static Tokenized of(Encoding e, long markerId) {
    long[] ids = e.getIds();
    long[] att = e.getAttentionMask();
    long[] types = e.getTypeIds();
    String[] tokens = e.getTokens();
    long[] specialMask = e.getSpecialTokenMask();
    CharSpan[] spans = e.getCharTokenSpans();
    int extra = markerId >= 0 && ids.length > 0 ? 1 : 0;
    int n = ids.length + extra;
    Tokenized t =
        new Tokenized(
            new long[n],
            new long[n],
            new long[n],
            new String[n],
            new boolean[n],
            new int[n],
            new int[n]);
    int w = 0;
    for (int i = 0; i < ids.length; i++) {
      t.put(w++, ids[i], att[i], types[i], tokens[i], specialMask[i] != 0, spans[i]);
      if (i == 0 && extra == 1) {
        t.put(w++, markerId, 1, types[0], "[marker]", true, null);
      }
    }
    return t;
  }

  void put(int i, long id, long att, long type, String token, boolean isSpecial, CharSpan span) {
    ids[i] = id;
    attention[i] = att;
    types[i] = type;
    tokens[i] = token;
    special[i] = isSpecial;
    start[i] = span == null || isSpecial ? -1 : span.getStart();
    end[i] = span == null || isSpecial ? -1 : span.getEnd();
  }

  Tokenized padWithMask(int length, long maskId, boolean attend) {
    if (length <= ids.length) return this;
    Tokenized t =
        new Tokenized(
            java.util.Arrays.copyOf(ids, length),
            java.util.Arrays.copyOf(attention, length),
            java.util.Arrays.copyOf(types, length),
            java.util.Arrays.copyOf(tokens, length),
            java.util.Arrays.copyOf(special, length),
            java.util.Arrays.copyOf(start, length),
            java.util.Arrays.copyOf(end, length));
    for (int i = ids.length; i < length; i++) {
      t.put(i, maskId, attend ? 1 : 0, 0, "[MASK]", true, null);
    }
    return t;
  }

  /**
   * The encoder input made of this tokenisation's first {@code lead} positions (the [CLS] token and
   * marker), positions {@code [from, to)} and its last {@code trail} positions ([SEP]).
   */
  Tokenized slice(int lead, int from, int to, int trail) {
    int n = lead + (to - from) + trail;
    Tokenized t =
        new Tokenized(
            new long[n],
            new long[n],
            new long[n],
            new String[n],
            new boolean[n],
            new int[n],
            new int[n]);
    int w = 0;
    for (int i = 0; i < lead; i++) t.copy(w++, this, i);
    for (int i = from; i < to; i++) t.copy(w++, this, i);
    for (int i = length() - trail; i < length(); i++) t.copy(w++, this, i);
    return t;
  }

  private void copy(int i, Tokenized from, int j) {
    ids[i] = from.ids[j];
    attention[i] = from.attention[j];
    types[i] = from.types[j];
    tokens[i] = from.tokens[j];
    special[i] = from.special[j];
    start[i] = from.start[j];
    end[i] = from.end[j];
  }
}
