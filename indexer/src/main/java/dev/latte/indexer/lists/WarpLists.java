package dev.latte.indexer.lists;

import dev.latte.indexer.IndexMismatchException;
import java.io.Closeable;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The packed per-centroid token lists of the WARP first stage, one memory-mapped file ({@value
 * #FILE}), written by {@link WarpListsWriter}. Little-endian:
 *
 * <pre>
 * magic u64, version i32, dim i32, centroids K i32, code stride S i32, documents N i32,
 * tokens T i64, code area offset i64
 * tokenStart[K + 1] i64   first token of list c (its codes at codeArea + tokenStart[c] * S)
 * docByte[K + 1]    i64   first byte of list c's document ordinals in the ordinal area
 * maxNorm[K]        f32   largest decoded residual norm in list c (the list's score bound)
 * bits[K]           u8    bit width of list c's ordinal gaps
 * ordinal area            per list, its tokens' document ordinals as gaps (the first one from 0),
 *                         bits[c] bits each, packed least significant bit first; 8 bytes of padding
 * code area (8-aligned)   T x S bytes: every token's residual code, list after list, each list
 *                         in the {@link dev.latte.core.kernel.ResidualBlocks} layout (blocks of
 *                         16 tokens byte-transposed, the last size % 16 row-major), scanned in
 *                         place by {@link dev.latte.core.kernel.VectorKernel#residualDotsBlocked}
 * </pre>
 *
 * <p>Version 2 (version 1 had row-major codes; its files are refused with "rebuild").
 *
 * <p>A list holds its tokens in document order, so a document's tokens in one list are adjacent and
 * their gaps are 0. Costs per token: S code bytes + bits[c] / 8 for the ordinal (≈ 0.6–1 B); per
 * centroid 21 B. Thread-safe: reads copy out of the mapping into the caller's buffers.
 */
public final class WarpLists implements Closeable {
  /** The file's name in the WARP stage folder. */
  public static final String FILE = "latte_warp_lists.bin";

  static final long MAGIC = 0x4c41545445575250L; // "LATTEWRP"
  static final int VERSION = 2;
  static final int FIXED_HEADER = 8 + 4 * 5 + 8 + 8;
  static final int PAD = 8;
  static final ValueLayout.OfLong LONG =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  static final ValueLayout.OfInt INT =
      ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  static final ValueLayout.OfFloat FLOAT =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private final Arena arena;
  private final boolean managed; // false: unmapped when unreachable, never by close()
  private final MemorySegment file;
  public final int dim;
  public final int centroids;
  public final int stride;
  public final int documents;
  public final long tokens;
  private final long codeArea;
  private final long docArea;
  private final long[] tokenStart;
  private final long[] docByte;
  public final float[] maxNorm;
  private final byte[] bits;
  public final long bytes;

  static long headerBytes(int k) {
    return FIXED_HEADER + 16L * (k + 1) + 5L * k;
  }

  private WarpLists(Arena arena, MemorySegment file, Path path, boolean managed)
      throws IOException {
    this.arena = arena;
    this.managed = managed;
    this.file = file;
    this.bytes = file.byteSize();
    if (bytes < FIXED_HEADER || file.get(LONG, 0) != MAGIC)
      throw new IndexMismatchException(
          path + " is not a WARP list file; rebuild with --first-stage warp");
    int version = file.get(INT, 8);
    if (version != VERSION)
      throw new IndexMismatchException(
          path + " is WARP list version " + version + "; rebuild with --first-stage warp");
    dim = file.get(INT, 12);
    centroids = file.get(INT, 16);
    stride = file.get(INT, 20);
    documents = file.get(INT, 24);
    tokens = file.get(LONG, 28);
    codeArea = file.get(LONG, 36);
    int k = centroids;
    docArea = headerBytes(k);
    tokenStart = new long[k + 1];
    docByte = new long[k + 1];
    maxNorm = new float[k];
    bits = new byte[k];
    long at = FIXED_HEADER;
    for (int c = 0; c <= k; c++, at += 8) tokenStart[c] = file.get(LONG, at);
    for (int c = 0; c <= k; c++, at += 8) docByte[c] = file.get(LONG, at);
    for (int c = 0; c < k; c++, at += 4) maxNorm[c] = file.get(FLOAT, at);
    for (int c = 0; c < k; c++, at++) bits[c] = file.get(ValueLayout.JAVA_BYTE, at);
    if (tokenStart[k] != tokens || codeArea + tokens * stride != bytes)
      throw new IndexMismatchException(
          path + " is truncated or damaged; rebuild with --first-stage warp");
  }

  public static WarpLists open(Path path) throws IOException {
    return open(path, Arena.ofShared(), true);
  }

  /**
   * Maps {@code path} for as long as the returned object is reachable ({@link #close} does
   * nothing): for readers of documents' codes, which a rebuild must not unmap under a search.
   */
  static WarpLists openUnmanaged(Path path) throws IOException {
    return open(path, Arena.ofAuto(), false);
  }

  private static WarpLists open(Path path, Arena arena, boolean managed) throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      MemorySegment m = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
      return new WarpLists(arena, m, path, managed);
    } catch (IOException | RuntimeException e) {
      if (managed) arena.close();
      throw e;
    }
  }

  /** Tokens in list {@code c}. */
  public int size(int c) {
    return (int) (tokenStart[c + 1] - tokenStart[c]);
  }

  /**
   * Decodes list {@code c}'s document ordinals into {@code out} (at least {@link #size} long);
   * {@code scratch} must hold at least {@link #ordinalBytes}{@code (c)} bytes.
   */
  public void ordinals(int c, int[] out, byte[] scratch) {
    int n = size(c);
    int b = bits[c];
    if (b == 0) {
      java.util.Arrays.fill(out, 0, n, 0);
      return;
    }
    int len = ordinalBytes(c);
    MemorySegment.copy(file, ValueLayout.JAVA_BYTE, docArea + docByte[c], scratch, 0, len);
    long mask = (1L << b) - 1;
    int ord = 0;
    long bit = 0;
    for (int j = 0; j < n; j++, bit += b) {
      long word = (long) WORDS.get(scratch, (int) (bit >>> 3));
      ord += (int) ((word >>> (bit & 7)) & mask);
      out[j] = ord;
    }
  }

  /** Bytes {@link #ordinals} copies for list {@code c} (with the read-ahead padding). */
  public int ordinalBytes(int c) {
    return (int) (docByte[c + 1] - docByte[c]) + PAD;
  }

  /** The mapped file: list {@code c}'s blocked codes start at {@link #codeOffset}{@code (c)}. */
  public MemorySegment segment() {
    return file;
  }

  /**
   * Byte offset in {@link #segment} of list {@code c}'s codes ({@link #size} x {@link #stride}).
   */
  public long codeOffset(int c) {
    return codeArea + tokenStart[c] * stride;
  }

  /** The largest list, in tokens (buffer sizing). */
  public int largest() {
    int m = 0;
    for (int c = 0; c < centroids; c++) m = Math.max(m, size(c));
    return m;
  }

  private static final java.lang.invoke.VarHandle WORDS =
      java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  @Override
  public void close() {
    if (managed) arena.close();
  }
}
