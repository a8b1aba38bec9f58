package dev.latte.searcher.firststage.warp;

import dev.latte.core.codec.ResidualCodebook;
import dev.latte.indexer.IndexMismatchException;
import dev.latte.indexer.ResidualCodebookFile;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.lucene.codecs.CodecUtil;
import org.apache.lucene.store.ChecksumIndexInput;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.IndexOutput;

/**
 * The WARP stage's frozen codebook. Over a residual-coded main index the stage uses the index's own
 * codebook and stores only its fingerprint ({@value #REF_FILE}: the lists then hold the documents'
 * own codes, and the 6 MB of centroids are not kept twice); otherwise it keeps the codebook it
 * trained ({@value #FILE}). CodecUtil header and checksum footer around either.
 */
final class WarpCodebookFile {
  static final String FILE = "latte_warp_codebook.bin";
  static final String REF_FILE = "latte_warp_codebook.ref";
  private static final String CODEC = "LatteWarpCodebook";
  private static final String REF_CODEC = "LatteWarpCodebookRef";

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

  /** Records that the stage codes with the main index's own codebook {@code book}. */
  static void writeReference(Directory dir, ResidualCodebook book) throws IOException {
    try (IndexOutput out = dir.createOutput(REF_FILE, IOContext.DEFAULT)) {
      CodecUtil.writeHeader(out, REF_CODEC, 0);
      out.writeString(book.fingerprint());
      CodecUtil.writeFooter(out);
    }
  }

  /** The file searches key the codebook's cache on: the codebook's, or the reference's. */
  static String fileIn(Directory dir) throws IOException {
    return Arrays.asList(dir.listAll()).contains(FILE) ? FILE : REF_FILE;
  }

  /**
   * The stage's codebook: its own, or the main index's (at {@code mainIndex}) after checking that
   * it is still the one the stage was built with.
   */
  static ResidualCodebook read(Directory dir, Path mainIndex) throws IOException {
    if (fileIn(dir).equals(FILE)) {
      try (ChecksumIndexInput in = dir.openChecksumInput(FILE)) {
        CodecUtil.checkHeader(in, CODEC, 0, 0);
        byte[] b = new byte[in.readVInt()];
        in.readBytes(b, 0, b.length);
        CodecUtil.checkFooter(in);
        return ResidualCodebook.readFrom(new DataInputStream(new ByteArrayInputStream(b)));
      }
    }
    String fingerprint;
    try (ChecksumIndexInput in = dir.openChecksumInput(REF_FILE)) {
      CodecUtil.checkHeader(in, REF_CODEC, 0, 0);
      fingerprint = in.readString();
      CodecUtil.checkFooter(in);
    }
    ResidualCodebook main = ResidualCodebookFile.read(mainIndex);
    if (!main.fingerprint().equals(fingerprint))
      throw new IndexMismatchException(
          "the WARP lists were coded with another codebook than the index's; rebuild with"
              + " --first-stage warp");
    return main;
  }

  /** {@link #read(Directory, Path)} for a stage folder inside (or beside, building) its index. */
  static ResidualCodebook read(Directory dir) throws IOException {
    if (!(dir instanceof FSDirectory fs))
      throw new IllegalArgumentException("the WARP stage lives in a folder, not in " + dir);
    return read(dir, fs.getDirectory().toAbsolutePath().getParent());
  }
}
