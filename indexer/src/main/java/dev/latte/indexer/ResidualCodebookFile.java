package dev.latte.indexer;

import dev.latte.core.codec.ResidualCodebook;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.apache.lucene.codecs.CodecUtil;
import org.apache.lucene.store.ChecksumIndexInput;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.IndexInput;
import org.apache.lucene.store.IndexOutput;

/**
 * Where a residual index keeps its frozen {@link ResidualCodebook}: file {@value #FILE} in the
 * index folder, written once when the index is created and read by every later writer (live writes,
 * resumed jobs) and searcher, so every token of the index is coded against the same centroids and
 * buckets. Lucene's CodecUtil header ({@value #CODEC_NAME}, version) and checksum footer around
 * {@link ResidualCodebook#writeTo}.
 */
public final class ResidualCodebookFile {
  public static final String FILE = "latte_residual_codebook.bin";
  static final String CODEC_NAME = "LatteResidualCodebook";
  static final int VERSION = 0;

  /**
   * Instead of {@value #FILE}: where the codebook is (a path relative to the index folder) and its
   * fingerprint. A shard of a sharded index holds this in place of a copy of the job's codebook,
   * which lies once beside the manifest (a copy per shard costs 5.8 B per token on SciFact).
   */
  public static final String REFERENCE_FILE = "latte_residual_codebook.ref";

  static final String REFERENCE_CODEC = "LatteResidualCodebookReference";

  private ResidualCodebookFile() {}

  public static void write(Directory dir, ResidualCodebook book) throws IOException {
    try (IndexOutput out = dir.createOutput(FILE, IOContext.DEFAULT)) {
      CodecUtil.writeHeader(out, CODEC_NAME, VERSION);
      book.writeTo(dataOutput(out));
      CodecUtil.writeFooter(out);
    }
    dir.sync(java.util.List.of(FILE));
  }

  /** The codebook of the index in {@code dir}; a clear error when the file is missing. */
  public static ResidualCodebook read(Directory dir) throws IOException {
    ResidualCodebook book = readIfPresent(dir);
    if (book == null) throw missing();
    return book;
  }

  private static IndexMismatchException missing() {
    return new IndexMismatchException(
        "the residual index has no "
            + FILE
            + " (its trained centroids and buckets); the folder is incomplete: index again");
  }

  /** The codebook in {@code dir} (or the one its reference names), or null when there is none. */
  public static ResidualCodebook readIfPresent(Directory dir) throws IOException {
    ResidualCodebook own = readOwn(dir);
    return own != null ? own : readReferenced(dir);
  }

  /** True if index folder {@code indexDir} has a codebook, its own or a reference to one. */
  public static boolean exists(Path indexDir) {
    return Files.exists(indexDir.resolve(FILE)) || Files.exists(indexDir.resolve(REFERENCE_FILE));
  }

  /**
   * Replaces the codebook of index folder {@code indexDir} by a reference to the same codebook at
   * {@code relative} (e.g. {@code ../latte_residual_codebook.bin}, beside a sharded index's
   * manifest); the reference is checked against the codebook's fingerprint whenever it is read.
   */
  public static void replaceByReference(Path indexDir, String relative) throws IOException {
    ResidualCodebook book;
    try (Directory dir = FSDirectory.open(indexDir)) {
      book = readOwn(dir);
      if (book == null) throw missing();
      try (IndexOutput out = dir.createOutput(REFERENCE_FILE, IOContext.DEFAULT)) {
        CodecUtil.writeHeader(out, REFERENCE_CODEC, VERSION);
        out.writeString(relative);
        out.writeString(book.fingerprint());
        CodecUtil.writeFooter(out);
      }
      dir.sync(java.util.List.of(REFERENCE_FILE));
      dir.deleteFile(FILE);
    }
  }

  private static ResidualCodebook readReferenced(Directory dir) throws IOException {
    String relative, fingerprint;
    try (ChecksumIndexInput in = dir.openChecksumInput(REFERENCE_FILE)) {
      CodecUtil.checkHeader(in, REFERENCE_CODEC, VERSION, VERSION);
      relative = in.readString();
      fingerprint = in.readString();
      CodecUtil.checkFooter(in);
    } catch (NoSuchFileException | java.io.FileNotFoundException e) {
      return null;
    }
    if (!(org.apache.lucene.store.FilterDirectory.unwrap(dir) instanceof FSDirectory fs))
      throw new IndexMismatchException(
          "the residual codebook is referenced as " + relative + ", outside this directory");
    Path at = fs.getDirectory().resolve(relative).normalize();
    ResidualCodebook book;
    try (Directory there = FSDirectory.open(at.getParent())) {
      book =
          at.getFileName().toString().equals(FILE)
              ? readOwn(there)
              : null; // a reference names a codebook file, never another reference
    }
    if (book == null || !book.fingerprint().equals(fingerprint))
      throw new IndexMismatchException(
          "index "
              + fs.getDirectory()
              + " codes its tokens with the residual codebook at "
              + at
              + ", which is "
              + (book == null ? "missing" : "another one")
              + "; a shard of a sharded index must stay in its sharded folder, beside the"
              + " codebook of its manifest");
    return book;
  }

  private static ResidualCodebook readOwn(Directory dir) throws IOException {
    try (ChecksumIndexInput in = dir.openChecksumInput(FILE)) {
      CodecUtil.checkHeader(in, CODEC_NAME, VERSION, VERSION);
      ResidualCodebook book = ResidualCodebook.readFrom(dataInput(in));
      CodecUtil.checkFooter(in);
      return book;
    } catch (NoSuchFileException | java.io.FileNotFoundException e) {
      return null;
    }
  }

  /** As {@link #read(Directory)}, for an index folder. */
  public static ResidualCodebook read(Path indexDir) throws IOException {
    if (!exists(indexDir)) throw missing();
    try (Directory dir = FSDirectory.open(indexDir)) {
      return read(dir);
    }
  }

  private static DataOutput dataOutput(IndexOutput out) {
    return new java.io.DataOutputStream(
        new java.io.OutputStream() {
          @Override
          public void write(int b) throws IOException {
            out.writeByte((byte) b);
          }

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            out.writeBytes(b, off, len);
          }
        });
  }

  private static DataInput dataInput(IndexInput in) {
    return new java.io.DataInputStream(
        new java.io.InputStream() {
          @Override
          public int read() throws IOException {
            return in.getFilePointer() < in.length() ? in.readByte() & 0xFF : -1;
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            long left = in.length() - in.getFilePointer();
            if (left <= 0) return -1;
            int n = (int) Math.min(len, left);
            in.readBytes(b, off, n);
            return n;
          }
        });
  }

  /**
   * The codebook a residual index codes with: the one stored in the folder (frozen: a supplied one
   * must be the same), else the supplied one, stored now; null when neither exists (trained from
   * the first documents).
   */
  static ResidualCodebook frozen(
      Directory directory,
      java.nio.file.Path path,
      dev.latte.core.codec.TokenCodec codec,
      int dimension,
      ResidualCodebook supplied)
      throws IOException {
    var stored = readIfPresent(directory);
    var book = stored != null ? stored : supplied;
    if (book == null) return null;
    if (book.codec() != codec || book.dim() != dimension)
      throw new IndexMismatchException(
          "index "
              + path
              + ": its residual codebook is "
              + book.codec().cliName()
              + " over "
              + book.dim()
              + " dims, the index "
              + codec.cliName()
              + " over "
              + dimension
              + "; delete the folder to rebuild");
    if (stored != null && supplied != null && !stored.fingerprint().equals(supplied.fingerprint()))
      throw new IndexMismatchException(
          "index "
              + path
              + " already codes its tokens with another residual codebook (they are frozen once"
              + " trained); choose another --index folder or delete this one to rebuild");
    if (stored == null) write(directory, book);
    return book;
  }
}
