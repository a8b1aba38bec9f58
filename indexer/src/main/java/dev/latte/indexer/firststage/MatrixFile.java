package dev.latte.indexer.firststage;

import dev.latte.core.TokenMatrix;
import java.io.IOException;
import org.apache.lucene.codecs.CodecUtil;
import org.apache.lucene.store.ChecksumIndexInput;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.IndexOutput;

/**
 * A float matrix in a derived index folder (centroids, projections): Lucene's CodecUtil header
 * (codec name, version), vInt rows, vInt columns, float32 values row-major, checksum footer.
 */
public final class MatrixFile {
  private MatrixFile() {}

  public static void write(Directory dir, String file, String codec, TokenMatrix m)
      throws IOException {
    try (IndexOutput out = dir.createOutput(file, IOContext.DEFAULT)) {
      CodecUtil.writeHeader(out, codec, 0);
      out.writeVInt(m.rows());
      out.writeVInt(m.dim());
      for (float f : m.data()) out.writeInt(Float.floatToIntBits(f));
      CodecUtil.writeFooter(out);
    }
  }

  public static TokenMatrix read(Directory dir, String file, String codec) throws IOException {
    try (ChecksumIndexInput in = dir.openChecksumInput(file)) {
      CodecUtil.checkHeader(in, codec, 0, 0);
      int rows = in.readVInt();
      int cols = in.readVInt();
      float[] v = new float[Math.multiplyExact(rows, cols)];
      for (int i = 0; i < v.length; i++) v[i] = Float.intBitsToFloat(in.readInt());
      CodecUtil.checkFooter(in);
      return new TokenMatrix(v, rows, cols);
    }
  }
}
