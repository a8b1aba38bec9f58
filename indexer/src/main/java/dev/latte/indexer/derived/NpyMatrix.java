package dev.latte.indexer.derived;

import dev.latte.core.TokenMatrix;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a 2-d float32 matrix from a NumPy {@code .npy} file (format versions 1–3, little-endian
 * {@code <f4}, C order) — what {@code numpy.save(path, weight.astype("float32"))} writes for a
 * trained projection head. Anything else is refused with a message saying what was found.
 */
public final class NpyMatrix {
  private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order':\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\((\\d+),\\s*(\\d+),?\\s*\\)");

  private NpyMatrix() {}

  public static TokenMatrix read(Path file) throws IOException {
    byte[] all = Files.readAllBytes(file);
    ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
    if (all.length < 10
        || (all[0] & 0xFF) != 0x93
        || !new String(all, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY"))
      throw new IOException(file + " is not a .npy file (no \\x93NUMPY magic)");
    int major = all[6];
    int headerLen;
    int start;
    if (major == 1) {
      headerLen = b.getShort(8) & 0xFFFF;
      start = 10;
    } else if (major == 2 || major == 3) {
      headerLen = b.getInt(8);
      start = 12;
    } else {
      throw new IOException(file + ": unsupported .npy format version " + major);
    }
    String header = new String(all, start, headerLen, StandardCharsets.ISO_8859_1);
    Matcher d = DESCR.matcher(header);
    Matcher f = FORTRAN.matcher(header);
    Matcher s = SHAPE.matcher(header);
    if (!d.find() || !f.find() || !s.find())
      throw new IOException(file + ": unreadable .npy header " + header.strip());
    if (!d.group(1).equals("<f4"))
      throw new IOException(
          file + " holds dtype " + d.group(1) + "; save it as little-endian float32 (<f4)");
    if (f.group(1).equals("True"))
      throw new IOException(file + " is in Fortran order; save a C-ordered array");
    int rows = Integer.parseInt(s.group(1));
    int cols = Integer.parseInt(s.group(2));
    long need = (long) rows * cols * 4;
    int data = start + headerLen;
    if (all.length - data != need)
      throw new IOException(
          file
              + ": shape ("
              + rows
              + ", "
              + cols
              + ") needs "
              + need
              + " bytes of data, found "
              + (all.length - data));
    float[] v = new float[rows * cols];
    b.position(data);
    b.asFloatBuffer().get(v);
    return new TokenMatrix(v, rows, cols);
  }
}
