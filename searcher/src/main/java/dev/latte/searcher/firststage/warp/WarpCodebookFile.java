package dev.latte.searcher.firststage.warp;

import dev.latte.core.codec.ResidualCodebook;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.apache.lucene.codecs.CodecUtil;
import org.apache.lucene.store.ChecksumIndexInput;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.IndexOutput;

/**
 * The WARP stage's frozen codebook in its folder: CodecUtil header, the codebook's own versioned
 * binary form ({@link ResidualCodebook#writeTo}), checksum footer.
 */
final class WarpCodebookFile {
  static final String FILE = "latte_warp_codebook.bin";
  private static final String CODEC = "LatteWarpCodebook";

  private WarpCodebookFile() {}

  static void write(Directory dir, ResidualCodebook book) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      book.writeTo(out);
    }
    byte[] b = bytes.toByteArray();
    try (IndexOutput out = dir.createOutput(FILE, IOContext.DEFAULT)) {
      CodecUtil.writeHeader(out, CODEC, 0);
      out.writeVInt(b.length);
      out.writeBytes(b, b.length);
      CodecUtil.writeFooter(out);
    }
  }

  static ResidualCodebook read(Directory dir) throws IOException {
    try (ChecksumIndexInput in = dir.openChecksumInput(FILE)) {
      CodecUtil.checkHeader(in, CODEC, 0, 0);
      byte[] b = new byte[in.readVInt()];
      in.readBytes(b, 0, b.length);
      CodecUtil.checkFooter(in);
      return ResidualCodebook.readFrom(new DataInputStream(new ByteArrayInputStream(b)));
    }
  }
}
