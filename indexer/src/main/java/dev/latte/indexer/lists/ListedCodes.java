package dev.latte.indexer.lists;

import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.core.codec.TokenCodec;
import dev.latte.core.kernel.ResidualBlocks;
import dev.latte.indexer.IndexMismatchException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.lucene.util.BytesRef;

/**
 * The residual codes of a main index's listed documents, read from its WARP stage's {@link
 * WarpLists} and {@link WarpRefs}: the one copy of the tokens. Opened once per build of the files
 * and shared (immutable, thread-safe); a rebuild that replaces the files is picked up on the next
 * {@link #of} (the old mapping lives on for searches still holding it).
 */
final class ListedCodes {
  /** The WARP stage's folder name inside a main index ({@code latte-} + its name). */
  static final String FOLDER = "latte-warp";

  private record Cached(Object key, long modified, long size, ListedCodes codes) {}

  private static final ConcurrentHashMap<Path, Cached> CACHE = new ConcurrentHashMap<>();

  private final WarpLists lists;
  private final WarpRefs refs;

  private ListedCodes(WarpLists lists, WarpRefs refs) {
    this.lists = lists;
    this.refs = refs;
  }

  /** The codes of the index in {@code mainIndex}; fails clearly when its lists are missing. */
  static ListedCodes of(Path mainIndex) throws IOException {
    Path folder = mainIndex.toAbsolutePath().normalize().resolve(FOLDER);
    if (!Files.exists(folder)) {
      // A rebuild was killed between its two renames: the previous, complete folder is still
      // aside (FirstStageIndex.replaceFolder); read it there, the next build puts it back.
      Path replaced = folder.resolveSibling(FOLDER + ".replaced");
      if (Files.exists(replaced.resolve(WarpRefs.FILE))) folder = replaced;
    }
    Path refsFile = folder.resolve(WarpRefs.FILE);
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(refsFile, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      Cached open = CACHE.get(folder);
      if (open != null) return open.codes(); // a rebuild is swapping the folder: still valid
      throw new IndexMismatchException(
          "index "
              + mainIndex
              + " keeps documents' residual codes in its WARP lists, but "
              + refsFile
              + " is missing; the folder is incomplete (restore it from a copy of the whole index)");
    }
    Object key = a.fileKey() != null ? a.fileKey() : refsFile;
    long modified = a.lastModifiedTime().toMillis();
    Cached c = CACHE.get(folder);
    if (c != null && c.key().equals(key) && c.modified() == modified && c.size() == a.size())
      return c.codes();
    synchronized (CACHE) {
      c = CACHE.get(folder);
      if (c != null && c.key().equals(key) && c.modified() == modified && c.size() == a.size())
        return c.codes();
      ListedCodes codes =
          new ListedCodes(
              WarpLists.openUnmanaged(folder.resolve(WarpLists.FILE)), WarpRefs.open(refsFile));
      CACHE.put(folder, new Cached(key, modified, a.size(), codes));
      return codes;
    }
  }

  /** Scratch {@link #resolve} needs: one block of codes. */
  int blockBytes() {
    return lists.stride * ResidualBlocks.BLOCK;
  }

  /** True if the lists hold document {@code seq}'s tokens. */
  boolean holds(long seq) {
    return refs.ordinalOf(seq) >= 0;
  }

  /**
   * Resolves the listed value {@code v} of the document written as {@code seq} into its version-1
   * value (version 3 when the lists' codes carry scale bytes) (header, centroid ids, codes gathered
   * from the lists) in {@code out}, grown as needed. {@code block} is the caller's scratch for one
   * 16-token block ({@link #blockBytes}).
   */
  void resolve(long seq, BytesRef v, BytesRef out, byte[] block) {
    byte[] b = v.bytes;
    int off = v.offset;
    StoredTokenMatrix.Header h = header(v);
    int tokens = h.tokens(), stride = lists.stride;
    boolean scaled = h.scaled();
    long start = firstRef(seq, tokens);
    int ids = StoredTokenMatrix.HEADER_BYTES + 2 * tokens;
    int length = ids + tokens * stride;
    if (out.bytes.length < length) out.bytes = new byte[Math.max(length, out.bytes.length * 2)];
    byte[] o = out.bytes;
    System.arraycopy(b, off, o, 0, ids);
    o[0] = (byte) (scaled ? StoredTokenMatrix.SCALED_VERSION : StoredTokenMatrix.FORMAT_VERSION);
    MemorySegment f = lists.segment();
    for (int t = 0; t < tokens; t++) {
      int c = (b[off + 8 + 2 * t] & 0xFF) | (b[off + 9 + 2 * t] & 0xFF) << 8;
      int size = lists.size(c);
      int p = refs.position(start + t);
      if (p >= size)
        throw new IndexMismatchException(
            "a WARP ref points past the end of list " + c + "; the index folder is inconsistent");
      long list = lists.codeOffset(c);
      int at = ids + t * stride;
      if (p < size / ResidualBlocks.BLOCK * ResidualBlocks.BLOCK) {
        // Blocked: byte x of the token is at stride BLOCK from byte x - 1. One bulk copy of the
        // block, then strided reads from the heap (a per-byte read of the mapping costs ~8x).
        int lane = p % ResidualBlocks.BLOCK;
        long from = list + (long) (p / ResidualBlocks.BLOCK) * stride * ResidualBlocks.BLOCK;
        MemorySegment.copy(f, ValueLayout.JAVA_BYTE, from, block, 0, stride * ResidualBlocks.BLOCK);
        for (int x = 0; x < stride; x++) o[at + x] = block[x * ResidualBlocks.BLOCK + lane];
      } else {
        MemorySegment.copy(
            f, ValueLayout.JAVA_BYTE, list + ResidualBlocks.at(size, stride, p, 0), o, at, stride);
      }
    }
    out.offset = 0;
    out.length = length;
  }

  /**
   * The header of the listed value {@code v}, checked against the lists: its codec, dimension and
   * token count, and whether the lists' codes carry scale bytes (their stride says: R + 1 or R).
   */
  StoredTokenMatrix.Header header(BytesRef v) {
    byte[] b = v.bytes;
    int off = v.offset;
    TokenCodec codec = TokenCodec.fromId(Byte.toUnsignedInt(b[off + 1]));
    int dim = Short.toUnsignedInt((short) ((b[off + 2] & 0xFF) | (b[off + 3] & 0xFF) << 8));
    int tokens = StoredTokenMatrix.isListed(b, off, v.length) ? readInt(b, off + 4) : -1;
    int r = codec.isResidual() ? codec.residualBytes(dim) : -1;
    boolean scaled = r > 0 && lists.stride == r + 1;
    int stride = scaled ? r + 1 : r;
    if (tokens < 0 || v.length != StoredTokenMatrix.HEADER_BYTES + 2 * tokens)
      throw new StoredTokenMatrix.CorruptTokenMatrixException(
          "listed value of " + v.length + " bytes for " + tokens + " tokens");
    if (stride != lists.stride || dim != lists.dim)
      throw new IndexMismatchException(
          "a listed document is "
              + codec.cliName()
              + " "
              + dim
              + "-d but the WARP lists hold "
              + lists.stride
              + "-byte codes of "
              + lists.dim
              + "-d tokens; the index folder is inconsistent");
    return new StoredTokenMatrix.Header(codec, dim, tokens, scaled);
  }

  /** The index in the refs of document {@code seq}'s first token, checked to hold its tokens. */
  private long firstRef(long seq, int tokens) {
    int ord = refs.ordinalOf(seq);
    if (ord < 0)
      throw new IndexMismatchException(
          "document with write sequence number "
              + seq
              + " keeps its codes in the WARP lists, which do not hold it; the index folder is"
              + " inconsistent (restore it from a copy of the whole index)");
    long start = refs.start(ord);
    if (refs.start(ord + 1) - start != tokens)
      throw new IndexMismatchException(
          "document with write sequence number "
              + seq
              + " has "
              + tokens
              + " tokens, its WARP refs "
              + (refs.start(ord + 1) - start));
    return start;
  }

  /** The mapped lists, where {@link #locate} finds the codes. */
  MemorySegment segment() {
    return lists.segment();
  }

  /**
   * Where the codes of the listed value {@code v} (header {@code h}, from {@link #header}) of the
   * document written as {@code seq} lie in {@link #segment}: byte x of token t at {@code at[t] + x
   * * step[t]} (16 inside a block-transposed block, 1 in a list's row-major rest). Nothing is
   * copied: a scorer reads the codes in place.
   */
  void locate(long seq, BytesRef v, StoredTokenMatrix.Header h, long[] at, int[] step) {
    byte[] b = v.bytes;
    int off = v.offset, tokens = h.tokens(), stride = lists.stride;
    long start = firstRef(seq, tokens);
    for (int t = 0; t < tokens; t++) {
      int c = (b[off + 8 + 2 * t] & 0xFF) | (b[off + 9 + 2 * t] & 0xFF) << 8;
      int size = lists.size(c);
      int p = refs.position(start + t);
      if (p >= size)
        throw new IndexMismatchException(
            "a WARP ref points past the end of list " + c + "; the index folder is inconsistent");
      long list = lists.codeOffset(c);
      if (p < size / ResidualBlocks.BLOCK * ResidualBlocks.BLOCK) {
        at[t] =
            list
                + (long) (p / ResidualBlocks.BLOCK) * stride * ResidualBlocks.BLOCK
                + p % ResidualBlocks.BLOCK;
        step[t] = ResidualBlocks.BLOCK;
      } else {
        at[t] = list + ResidualBlocks.at(size, stride, p, 0);
        step[t] = 1;
      }
    }
  }

  private static int readInt(byte[] b, int at) {
    return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8 | (b[at + 2] & 0xFF) << 16 | b[at + 3] << 24;
  }
}
