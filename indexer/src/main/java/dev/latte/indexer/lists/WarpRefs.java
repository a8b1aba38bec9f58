package dev.latte.indexer.lists;

import dev.latte.indexer.IndexMismatchException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Where each document's tokens are in the {@link WarpLists} beside it ({@value #FILE}, written with
 * the lists by {@link WarpListsWriter#finish(long[])}): with it the main index need not keep the
 * residual codes, since a document's code for token i is at position {@code positions[start[o] +
 * i]} of the list of its centroid id (which the main index keeps). Little-endian:
 *
 * <pre>
 * magic u64, version i32, position width W i32 (2 or 4), documents N i32, reserved i32,
 * tokens T i64
 * bySeq[N]     (seq i64, ordinal i32), sorted by seq: a main document's write sequence number
 *              (stable across merges and re-opens) to its ordinal in the lists
 * start[N + 1] i64   first token of ordinal o in positions
 * positions[T] W bytes each (unsigned), the token's position inside its list
 * </pre>
 *
 * Costs 12 + 8 B per document and W B per stored token (2 while no list exceeds 65,535 tokens).
 */
public final class WarpRefs {
  public static final String FILE = "latte_warp_refs.bin";
  static final long MAGIC = 0x4c41545445524546L; // "LATTEREF"
  static final int VERSION = 1;
  static final int FIXED_HEADER = 8 + 4 * 4 + 8;
  private static final ValueLayout.OfLong LONG = WarpLists.LONG;
  private static final ValueLayout.OfInt INT = WarpLists.INT;
  private static final ValueLayout.OfShort SHORT =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private final MemorySegment file;
  private final int width;
  private final int documents;
  private final long tokens;
  private final long startArea;
  private final long positionArea;

  private WarpRefs(MemorySegment file, Path path) {
    this.file = file;
    if (file.byteSize() < FIXED_HEADER || file.get(LONG, 0) != MAGIC)
      throw new IndexMismatchException(path + " is not a WARP refs file");
    if (file.get(INT, 8) != VERSION)
      throw new IndexMismatchException(
          path + " is WARP refs version " + file.get(INT, 8) + "; this build reads " + VERSION);
    width = file.get(INT, 12);
    documents = file.get(INT, 16);
    tokens = file.get(LONG, 24);
    startArea = FIXED_HEADER + 12L * documents;
    positionArea = startArea + 8L * (documents + 1);
    if ((width != 2 && width != 4) || positionArea + tokens * width != file.byteSize())
      throw new IndexMismatchException(path + " is truncated or damaged");
  }

  /**
   * Maps {@code path} for as long as it is reachable (a rebuild replaces the file while searches
   * may still read the old one, so it is never unmapped under them).
   */
  static WarpRefs open(Path path) throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      return new WarpRefs(
          ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), Arena.ofAuto()), path);
    }
  }

  int documents() {
    return documents;
  }

  /** The ordinal of the document written with sequence number {@code seq}; -1 if not listed. */
  int ordinalOf(long seq) {
    int lo = 0, hi = documents - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      long s = file.get(LONG, FIXED_HEADER + 12L * mid);
      if (s < seq) lo = mid + 1;
      else if (s > seq) hi = mid - 1;
      else return file.get(INT, FIXED_HEADER + 12L * mid + 8);
    }
    return -1;
  }

  /** First token of ordinal {@code ord} (its tokens are {@code [start(o), start(o + 1))}). */
  long start(int ord) {
    return file.get(LONG, startArea + 8L * ord);
  }

  /** Position inside its list of token {@code t} (a value of {@link #start}) . */
  int position(long t) {
    return width == 2
        ? Short.toUnsignedInt(file.get(SHORT, positionArea + 2 * t))
        : file.get(INT, positionArea + 4 * t);
  }

  /** Writes a refs file as {@code .tmp} beside its name; {@link #publish} renames it. */
  static final class Writer {
    private final MemorySegment f;
    private final long[] docStart;
    private final int width;
    private final long positionArea;

    Writer(
        Path target, Arena arena, long[] seqOfOrdinal, long[] docStart, long tokens, long[] counts)
        throws IOException {
      int n = docStart.length - 1;
      if (seqOfOrdinal.length != n)
        throw new IllegalArgumentException(
            seqOfOrdinal.length + " sequence numbers for " + n + " ordinals");
      long largest = 0;
      for (long c : counts) largest = Math.max(largest, c);
      this.width = largest <= 0xFFFF ? 2 : 4;
      this.docStart = docStart;
      long startArea = FIXED_HEADER + 12L * n;
      this.positionArea = startArea + 8L * (n + 1);
      Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
      try (FileChannel ch =
          FileChannel.open(
              tmp,
              StandardOpenOption.CREATE,
              StandardOpenOption.TRUNCATE_EXISTING,
              StandardOpenOption.READ,
              StandardOpenOption.WRITE)) {
        f = ch.map(FileChannel.MapMode.READ_WRITE, 0, positionArea + tokens * width, arena);
      }
      f.set(LONG, 0, MAGIC);
      f.set(INT, 8, VERSION);
      f.set(INT, 12, width);
      f.set(INT, 16, n);
      f.set(INT, 20, 0);
      f.set(LONG, 24, tokens);
      Integer[] bySeq = new Integer[n];
      for (int o = 0; o < n; o++) bySeq[o] = o;
      Arrays.sort(bySeq, (a, b) -> Long.compare(seqOfOrdinal[a], seqOfOrdinal[b]));
      for (int i = 0; i < n; i++) {
        if (i > 0 && seqOfOrdinal[bySeq[i]] == seqOfOrdinal[bySeq[i - 1]])
          throw new IllegalArgumentException("two ordinals share sequence number " + bySeq[i]);
        f.set(LONG, FIXED_HEADER + 12L * i, seqOfOrdinal[bySeq[i]]);
        f.set(INT, FIXED_HEADER + 12L * i + 8, bySeq[i]);
      }
      for (int o = 0; o <= n; o++) f.set(LONG, startArea + 8L * o, docStart[o]);
    }

    /** Token {@code i} of ordinal {@code ord} is at {@code position} of its list. */
    void position(int ord, long i, int position) {
      long t = docStart[ord] + i;
      if (width == 2) f.set(SHORT, positionArea + 2 * t, (short) position);
      else f.set(INT, positionArea + 4 * t, position);
    }

    void finish() {
      f.force();
    }

    static void publish(Path target) throws IOException {
      Files.move(
          target.resolveSibling(target.getFileName() + ".tmp"),
          target,
          StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    }
  }
}
