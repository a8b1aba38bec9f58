package dev.latte.datasets;

import dev.latte.core.TokenMatrix;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy {@code .npy} arrays (format versions 1–3, little-endian float32 {@code <f4} or float16
 * {@code <f2}, C order) — what {@code numpy.save} writes: a trained projection head (2-d, {@link
 * #read}), or token vectors as PyLate and ColBERT users hold them (2-d all rows, 3-d padded per
 * document), streamed by {@link #header} and {@link Header#readRows}. Anything else is refused with
 * a message saying what was found.
 */
public final class NpyMatrix {
  private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order':\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

  private NpyMatrix() {}

  /**
   * An array's header: its shape and element width; the data follows it in the stream.
   *
   * @param shape the dimensions, outermost first
   * @param elementBytes 4 for float32, 2 for float16
   */
  public record Header(long[] shape, int elementBytes) {
    /** Width of the innermost dimension (the vector dimension). */
    public int dim() {
      return (int) shape[shape.length - 1];
    }

    /**
     * Reads {@code rows} rows of {@link #dim()} values from {@code in} (positioned in the data) as
     * float32.
     */
    public float[] readRows(DataInputStream in, int rows) throws IOException {
      int dim = dim();
      int n = Math.multiplyExact(rows, dim);
      byte[] raw = new byte[Math.multiplyExact(n, elementBytes)];
      in.readFully(raw);
      ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
      float[] v = new float[n];
      if (elementBytes == 4) b.asFloatBuffer().get(v);
      else for (int i = 0; i < n; i++) v[i] = Float.float16ToFloat(b.getShort(i * 2));
      return v;
    }

    public long rowBytes() {
      return (long) dim() * elementBytes;
    }
  }

  /** Reads a 2-d float32 matrix whole (e.g. a trained projection head). */
  public static TokenMatrix read(Path file) throws IOException {
    try (DataInputStream in =
        new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
      Header h = header(in, file.toString());
      if (h.shape().length != 2)
        throw new IOException(
            file + " holds a " + h.shape().length + "-d array; a 2-d (rows, dim) matrix is needed");
      long need = h.shape()[0] * h.shape()[1];
      if (need > Integer.MAX_VALUE - 8) throw new IOException(file + " is too large to read whole");
      int rows = (int) h.shape()[0];
      float[] v;
      try {
        v = h.readRows(in, rows);
      } catch (java.io.EOFException e) {
        throw new IOException(
            file
                + ": shape "
                + Arrays.toString(h.shape())
                + " needs "
                + need * h.elementBytes()
                + " bytes of data, the file ends before",
            e);
      }
      if (in.read() != -1)
        throw new IOException(
            file + ": more data than shape " + Arrays.toString(h.shape()) + " needs");
      return new TokenMatrix(v, rows, h.dim());
    }
  }

  /** Reads the magic and header of an {@code .npy} stream; {@code name} is for messages. */
  public static Header header(InputStream in, String name) throws IOException {
    byte[] magic = in.readNBytes(8);
    if (magic.length < 8
        || (magic[0] & 0xFF) != 0x93
        || !new String(magic, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY"))
      throw new IOException(name + " is not a .npy file (no \\x93NUMPY magic)");
    int major = magic[6];
    int headerLen;
    if (major == 1) {
      byte[] l = in.readNBytes(2);
      headerLen = (l[0] & 0xFF) | (l[1] & 0xFF) << 8;
    } else if (major == 2 || major == 3) {
      byte[] l = in.readNBytes(4);
      headerLen = (l[0] & 0xFF) | (l[1] & 0xFF) << 8 | (l[2] & 0xFF) << 16 | (l[3] & 0xFF) << 24;
    } else {
      throw new IOException(name + ": unsupported .npy format version " + major);
    }
    String header = new String(in.readNBytes(headerLen), StandardCharsets.ISO_8859_1);
    Matcher d = DESCR.matcher(header);
    Matcher f = FORTRAN.matcher(header);
    Matcher s = SHAPE.matcher(header);
    if (!d.find() || !f.find() || !s.find())
      throw new IOException(name + ": unreadable .npy header " + header.strip());
    int width =
        switch (d.group(1)) {
          case "<f4" -> 4;
          case "<f2" -> 2;
          default ->
              throw new IOException(
                  name
                      + " holds dtype "
                      + d.group(1)
                      + "; save it as little-endian float32 (<f4) or float16 (<f2)");
        };
    if (f.group(1).equals("True"))
      throw new IOException(name + " is in Fortran order; save a C-ordered array");
    long[] shape =
        Arrays.stream(s.group(1).split(","))
            .map(String::strip)
            .filter(x -> !x.isEmpty())
            .mapToLong(Long::parseLong)
            .toArray();
    if (shape.length < 2 || shape.length > 3 || shape[shape.length - 1] < 1)
      throw new IOException(
          name
              + ": shape "
              + Arrays.toString(shape)
              + "; expected (rows, dim) or (docs, rows, dim)");
    return new Header(shape, width);
  }
}
