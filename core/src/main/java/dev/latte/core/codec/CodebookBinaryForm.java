package dev.latte.core.codec;

import dev.latte.core.codec.StoredTokenMatrix.CorruptTokenMatrixException;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The versioned binary form of a {@link ResidualCodebook} (what {@code latte_residual_codebook.bin}
 * holds, and what its fingerprint hashes): magic, version, bits, dim, K, centroids, cutoffs,
 * weights, and for versions 2 (scaled) and 3 (scaled, tangent residuals) the scale of code 0 and
 * the step. Version 1 (unscaled) is written byte for byte as before scales existed and version 2 as
 * before tangent residuals, so older codebooks keep their fingerprints.
 */
final class CodebookBinaryForm {
  private static final int MAGIC = 0x4C524342; // "LRCB"
  private static final int VERSION = 1;
  private static final int SCALED_VERSION = 2;
  private static final int TANGENT_VERSION = 3;

  private CodebookBinaryForm() {}

  static void write(ResidualCodebook book, DataOutput out) throws IOException {
    if (book.tangent() && !book.scaled())
      throw new IllegalStateException("tangent residuals without scales cannot be decoded");
    out.writeInt(MAGIC);
    out.writeInt(book.tangent() ? TANGENT_VERSION : book.scaled() ? SCALED_VERSION : VERSION);
    out.writeInt(book.bits());
    out.writeInt(book.dim());
    out.writeInt(book.centroidCount());
    for (float f : book.centroids()) out.writeFloat(f);
    for (float f : book.cutoffs()) out.writeFloat(f);
    for (float f : book.weights()) out.writeFloat(f);
    if (book.scaled()) {
      out.writeFloat(book.scaleLow());
      out.writeFloat(book.scaleStep());
    }
  }

  static ResidualCodebook read(DataInput in) throws IOException {
    int magic = in.readInt();
    if (magic != MAGIC)
      throw new CorruptTokenMatrixException("not a residual codebook (bad magic number)");
    int version = in.readInt();
    if (version != VERSION && version != SCALED_VERSION && version != TANGENT_VERSION)
      throw new CorruptTokenMatrixException(
          "residual codebook version "
              + version
              + " (this build reads "
              + VERSION
              + " to "
              + TANGENT_VERSION
              + ")");
    int bits = in.readInt(), dim = in.readInt(), k = in.readInt();
    if (bits != 1 && bits != 2 && bits != 4 || dim <= 0 || dim > 0xFFFF || k <= 0)
      throw new CorruptTokenMatrixException(
          "residual codebook header is corrupt: bits " + bits + ", dim " + dim + ", K " + k);
    int buckets = 1 << bits;
    float[] centroids = readFloats(in, Math.multiplyExact(k, dim));
    float[] cutoffs = readFloats(in, dim * (buckets - 1));
    float[] weights = readFloats(in, dim * buckets);
    if (version == VERSION) return new ResidualCodebook(bits, dim, centroids, cutoffs, weights);
    float low = in.readFloat(), step = in.readFloat();
    try {
      return new ResidualCodebook(
          bits, dim, centroids, cutoffs, weights, true, version == TANGENT_VERSION, low, step);
    } catch (IllegalArgumentException e) {
      throw new CorruptTokenMatrixException(
          "residual codebook scales are corrupt: " + e.getMessage());
    }
  }

  private static float[] readFloats(DataInput in, int n) throws IOException {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) v[i] = in.readFloat();
    return v;
  }

  /** SHA-256 (first 16 hex digits) of the binary form. */
  static String fingerprint(ResidualCodebook book) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      write(book, new DataOutputStream(bytes));
      byte[] h = MessageDigest.getInstance("SHA-256").digest(bytes.toByteArray());
      return HexFormat.of().formatHex(h, 0, 8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
