package dev.latte.indexer;

import dev.latte.encoders.EncodedPassages;
import org.apache.lucene.store.ByteArrayDataInput;
import org.apache.lucene.store.ByteArrayDataOutput;
import org.apache.lucene.util.BytesRef;

/**
 * The passages of one stored document ({@link IndexLayout#PASSAGES}): passage {@code i} is rows
 * {@code [rowStarts[i], rowStarts[i + 1])} of the document's token matrix and characters {@code
 * [charStarts[i], charEnds[i])} of its {@code title + " " + text}. A document's matrix is the union
 * of its passages' rows, so MaxSim over the document is union-MaxSim and MaxP is a maximum over row
 * ranges of the same bytes.
 *
 * <p>Byte layout: vInt passages, then per passage vInt(rows), vInt(charStart - previous charStart),
 * vInt(charEnd - charStart).
 */
public record Passages(int[] rowStarts, int[] charStarts, int[] charEnds) {
  public Passages {
    int n = charStarts.length;
    if (n < 1 || charEnds.length != n || rowStarts.length != n + 1)
      throw new IllegalArgumentException("passage arrays do not describe " + n + " passages");
  }

  public static Passages of(EncodedPassages p) {
    return new Passages(p.rowStarts().clone(), p.charStarts().clone(), p.charEnds().clone());
  }

  /** One passage of {@code rows} rows over {@code chars} characters: a document as a whole. */
  public static Passages whole(int rows, int chars) {
    return new Passages(new int[] {0, rows}, new int[] {0}, new int[] {chars});
  }

  public int count() {
    return charStarts.length;
  }

  public int rowStart(int i) {
    return rowStarts[i];
  }

  public int rows(int i) {
    return rowStarts[i + 1] - rowStarts[i];
  }

  public int totalRows() {
    return rowStarts[count()];
  }

  /** The same passages with other row counts (after pooling each passage on its own). */
  public Passages withRows(int[] rowsPerPassage) {
    int[] starts = new int[count() + 1];
    for (int i = 0; i < count(); i++) starts[i + 1] = starts[i] + rowsPerPassage[i];
    return new Passages(starts, charStarts, charEnds);
  }

  /**
   * The passages of a stored document with its decoded matrix and annotations (null: row tokens
   * unknown, spans none), e.g. to store them again with another codec or pool factor.
   */
  public EncodedPassages encoded(dev.latte.core.TokenMatrix matrix, TokenAnnotations annotations) {
    String[] tokens;
    int[] starts, ends;
    if (annotations != null) {
      tokens = annotations.tokens();
      starts = annotations.starts();
      ends = annotations.ends();
    } else {
      tokens = new String[matrix.rows()];
      java.util.Arrays.fill(tokens, "");
      starts = new int[matrix.rows()];
      java.util.Arrays.fill(starts, -1);
      ends = starts.clone();
    }
    return new EncodedPassages(
        new dev.latte.encoders.EncodedText(matrix, tokens, starts, ends),
        rowStarts.clone(),
        charStarts.clone(),
        charEnds.clone());
  }

  public byte[] encode() {
    byte[] buf = new byte[5 + 15 * count()];
    ByteArrayDataOutput out = new ByteArrayDataOutput(buf);
    try {
      out.writeVInt(count());
      int prev = 0;
      for (int i = 0; i < count(); i++) {
        out.writeVInt(rows(i));
        out.writeVInt(charStarts[i] - prev);
        out.writeVInt(charEnds[i] - charStarts[i]);
        prev = charStarts[i];
      }
    } catch (java.io.IOException e) {
      throw new AssertionError(e); // in-memory
    }
    return java.util.Arrays.copyOf(buf, out.getPosition());
  }

  public static Passages decode(BytesRef value) {
    ByteArrayDataInput in = new ByteArrayDataInput(value.bytes, value.offset, value.length);
    int n = in.readVInt();
    int[] rowStarts = new int[n + 1];
    int[] charStarts = new int[n];
    int[] charEnds = new int[n];
    int prev = 0;
    for (int i = 0; i < n; i++) {
      rowStarts[i + 1] = rowStarts[i] + in.readVInt();
      charStarts[i] = prev + in.readVInt();
      charEnds[i] = charStarts[i] + in.readVInt();
      prev = charStarts[i];
    }
    return new Passages(rowStarts, charStarts, charEnds);
  }
}
