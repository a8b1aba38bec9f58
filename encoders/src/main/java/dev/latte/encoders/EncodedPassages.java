package dev.latte.encoders;

import dev.latte.core.TokenMatrix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A document encoded as passages: the union of its passages' rows as one {@link EncodedText}
 * (passage after passage), and per passage its rows {@code [rowStarts[i], rowStarts[i + 1])} and
 * its characters {@code [charStarts[i], charEnds[i])} in the encoded text ({@code title + " " +
 * text}, see {@code Document.contents()}).
 */
public record EncodedPassages(
    EncodedText union, int[] rowStarts, int[] charStarts, int[] charEnds) {
  public EncodedPassages {
    int n = charStarts.length;
    if (n < 1 || charEnds.length != n || rowStarts.length != n + 1)
      throw new IllegalArgumentException("passage arrays do not describe " + n + " passages");
    if (rowStarts[0] != 0 || rowStarts[n] != union.length())
      throw new IllegalArgumentException(
          "passage rows do not cover the " + union.length() + " rows of the document");
    for (int i = 0; i < n; i++)
      if (rowStarts[i + 1] < rowStarts[i] || charEnds[i] < charStarts[i])
        throw new IllegalArgumentException("passage " + i + " ends before it starts");
  }

  /** One passage holding the whole encoding (truncation, or a document that fits). */
  public static EncodedPassages single(EncodedText e, int charLength) {
    return new EncodedPassages(e, new int[] {0, e.length()}, new int[] {0}, new int[] {charLength});
  }

  public int passages() {
    return charStarts.length;
  }

  /** The rows of passage {@code i} with their annotations. */
  public EncodedText passage(int i) {
    return rows(union, rowStarts[i], rowStarts[i + 1]);
  }

  /** Rows {@code [from, to)} of an encoding with their annotations. */
  static EncodedText rows(EncodedText e, int from, int to) {
    int dim = e.matrix().dim();
    return new EncodedText(
        new TokenMatrix(
            Arrays.copyOfRange(e.matrix().data(), from * dim, to * dim), to - from, dim),
        Arrays.copyOfRange(e.tokens(), from, to),
        Arrays.copyOfRange(e.starts(), from, to),
        Arrays.copyOfRange(e.ends(), from, to));
  }

  /** Concatenates passages (each an {@link EncodedText}) into one document. */
  static EncodedPassages concat(
      List<EncodedText> parts, int[] charStarts, int[] charEnds, int dim) {
    int rows = 0;
    for (EncodedText p : parts) rows += p.length();
    float[] data = new float[rows * dim];
    String[] tokens = new String[rows];
    int[] starts = new int[rows];
    int[] ends = new int[rows];
    int[] rowStarts = new int[parts.size() + 1];
    int w = 0;
    for (int i = 0; i < parts.size(); i++) {
      EncodedText p = parts.get(i);
      rowStarts[i] = w;
      System.arraycopy(p.matrix().data(), 0, data, w * dim, p.length() * dim);
      System.arraycopy(p.tokens(), 0, tokens, w, p.length());
      System.arraycopy(p.starts(), 0, starts, w, p.length());
      System.arraycopy(p.ends(), 0, ends, w, p.length());
      w += p.length();
    }
    rowStarts[parts.size()] = w;
    return new EncodedPassages(
        new EncodedText(new TokenMatrix(data, rows, dim), tokens, starts, ends),
        rowStarts,
        charStarts,
        charEnds);
  }

  /**
   * Cuts an encoding into passages on the policy's grid over its rows. Right for encoders whose
   * token vectors do not depend on their context (each word hashed alone): there windows and late
   * chunking give the same vectors as cutting the whole document.
   */
  public static EncodedPassages cut(EncodedText whole, PassagePolicy policy) {
    return cut(whole, null, policy);
  }

  /**
   * As {@link #cut(EncodedText, PassagePolicy)}, passages ending where the policy's cut says in
   * {@code text} (the text the rows' character offsets point into; null: fixed cuts).
   */
  public static EncodedPassages cut(EncodedText whole, String text, PassagePolicy policy) {
    int[][] grid =
        text != null && policy.cutsAtBoundaries()
            ? policy.passages(
                PassageBoundaries.after(text, whole.starts(), whole.ends(), 0, whole.length()))
            : policy.passages(whole.length());
    int n = grid[0].length;
    List<EncodedText> parts = new ArrayList<>(n);
    int[] cs = new int[n], ce = new int[n];
    for (int i = 0; i < n; i++) {
      EncodedText p = rows(whole, grid[0][i], grid[1][i]);
      parts.add(p);
      cs[i] = p.length() == 0 ? 0 : Math.max(0, p.starts()[0]);
      ce[i] = p.length() == 0 ? cs[i] : Math.max(cs[i], p.ends()[p.length() - 1]);
    }
    return concat(parts, cs, ce, whole.matrix().dim());
  }
}
