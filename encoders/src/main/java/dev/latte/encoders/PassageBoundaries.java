package dev.latte.encoders;

import java.text.BreakIterator;
import java.util.Locale;

/**
 * Where a document's text may be cut between two tokens: after each token, whether a paragraph
 * break (a blank line), a sentence end, or neither lies between it and the next token. Sentences
 * are the JDK's {@link BreakIterator} sentences (a terminator followed by a space and a capital
 * letter, so "3.5" and "e.g. the" are not cut); paragraphs are blank lines, which is what every
 * reader leaves between paragraphs (text and Markdown files as written, HTML and TREC block
 * elements turned into blank lines).
 */
final class PassageBoundaries {
  static final byte NONE = 0;
  static final byte SENTENCE = 1;
  static final byte PARAGRAPH = 2;

  private PassageBoundaries() {}

  /**
   * The boundary after each of {@code n} tokens whose characters are {@code [starts[i], ends[i])}
   * in {@code text} (a negative start: a token without characters, never cut after). The last
   * token's entry is {@link #PARAGRAPH} (the end of the text).
   */
  static byte[] after(String text, int[] starts, int[] ends, int from, int n) {
    byte[] after = new byte[n];
    if (n == 0) return after;
    BreakIterator sentences = BreakIterator.getSentenceInstance(Locale.ROOT);
    sentences.setText(text);
    for (int i = 0; i < n - 1; i++) {
      int end = ends[from + i], next = starts[from + i + 1];
      if (starts[from + i] < 0 || next < 0 || next < end) continue;
      if (blankLine(text, end, next)) after[i] = PARAGRAPH;
      else {
        // A sentence boundary is where the next sentence begins: after the trailing spaces.
        int b = sentences.following(Math.max(0, end - 1));
        if (b != BreakIterator.DONE && b >= end && b <= next) after[i] = SENTENCE;
      }
    }
    after[n - 1] = PARAGRAPH;
    return after;
  }

  private static boolean blankLine(String text, int from, int to) {
    int newlines = 0;
    for (int c = from; c < to; c++) {
      char ch = text.charAt(c);
      if (ch == '\n') {
        if (++newlines == 2) return true;
      } else if (ch != '\r' && ch != ' ' && ch != '\t') newlines = 0;
    }
    return false;
  }
}
