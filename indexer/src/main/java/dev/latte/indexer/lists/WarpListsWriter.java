package dev.latte.indexer.lists;

import dev.latte.core.kernel.ResidualBlocks;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Writes a {@link WarpLists} file. Tokens arrive document after document (ordinals ascending); each
 * is appended to a spill file as {@code (centroid, ordinal, code)}, with per-list counts, largest
 * ordinal gap and largest residual norm kept in memory (a few numbers per centroid). {@link
 * #finish} then lays the lists out (counting sort by centroid: sizes are known) and scatters the
 * spill into the memory-mapped final file, so neither the tokens nor their codes are ever held on
 * the heap. The file appears under its name only when complete (written as {@code .tmp}, then
 * moved).
 */
public final class WarpListsWriter implements AutoCloseable {
  /** Decodes one residual code (x̂ − c), for the per-list bounds. */
  @FunctionalInterface
  public interface ResidualDecoder {
    void decodeResidual(byte[] codes, int offset, float[] out);
  }

  private final Path target;
  private final Path spill;
  private final int dim;
  private final int centroids;
  private final int stride;
  private final DataOutputStream out;
  private final long[] count;
  private final int[] lastOrd;
  private final int[] maxDelta;
  private final float[] maxResidualNorm;
  private final float[] residual;
  private long tokens;
  private int documents;
  private long[] docStart = new long[1024]; // first token of each ordinal (refs)

  public WarpListsWriter(Path target, int dim, int centroids, int stride) throws IOException {
    this.target = target;
    this.spill = target.resolveSibling(target.getFileName() + ".spill");
    this.dim = dim;
    this.centroids = centroids;
    this.stride = stride;
    this.out =
        new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(spill), 1 << 16));
    this.count = new long[centroids];
    this.lastOrd = new int[centroids];
    this.maxDelta = new int[centroids];
    this.maxResidualNorm = new float[centroids];
    this.residual = new float[dim];
  }

  /**
   * Adds the next document (ordinal = documents added before it) with its tokens' centroids and
   * codes ({@code n} tokens, codes at {@code i * stride}); returns its ordinal.
   */
  public int add(int[] centroid, byte[] codes, int n, ResidualDecoder coder) throws IOException {
    int ord = documents++;
    if (ord + 1 >= docStart.length) docStart = Arrays.copyOf(docStart, docStart.length * 2);
    docStart[ord] = tokens;
    docStart[ord + 1] = tokens + n;
    for (int i = 0; i < n; i++) {
      int c = centroid[i];
      int delta = count[c] == 0 ? ord : ord - lastOrd[c];
      if (delta > maxDelta[c]) maxDelta[c] = delta;
      lastOrd[c] = ord;
      count[c]++;
      if (stride > 0) {
        coder.decodeResidual(codes, i * stride, residual);
        float norm = 0;
        for (float v : residual) norm += v * v;
        norm = (float) Math.sqrt(norm);
        if (norm > maxResidualNorm[c]) maxResidualNorm[c] = norm;
      }
      out.writeInt(c);
      out.writeInt(ord);
      out.write(codes, i * stride, stride);
    }
    tokens += n;
    return ord;
  }

  public int documents() {
    return documents;
  }

  /** Lays out and writes the lists file only (no refs: no document can find its tokens). */
  public void finish() throws IOException {
    finish(null);
  }

  /**
   * Lays out and writes the lists file and, given each ordinal's write sequence number, the refs
   * file ({@link WarpRefs}: where each document's tokens are, so that the main index need not keep
   * the codes); the spill is deleted. Both appear under their names only when complete.
   */
  public void finish(long[] seqOfOrdinal) throws IOException {
    out.close();
    int k = centroids;
    long[] tokenStart = new long[k + 1];
    long[] docByte = new long[k + 1];
    byte[] bits = new byte[k];
    for (int c = 0; c < k; c++) {
      bits[c] = (byte) (32 - Integer.numberOfLeadingZeros(maxDelta[c]));
      tokenStart[c + 1] = tokenStart[c] + count[c];
      docByte[c + 1] = docByte[c] + (count[c] * bits[c] + 7) / 8;
    }
    long header = WarpLists.headerBytes(k);
    long docArea = header;
    long codeArea = align8(docArea + docByte[k] + WarpLists.PAD);
    long size = codeArea + tokens * stride;
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    try (FileChannel ch =
            FileChannel.open(
                tmp,
                StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileChannel in = FileChannel.open(spill, StandardOpenOption.READ);
        Arena arena = Arena.ofConfined()) {
      MemorySegment f = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
      long at = 0;
      f.set(WarpLists.LONG, at, WarpLists.MAGIC);
      at += 8;
      f.set(WarpLists.INT, at, WarpLists.VERSION);
      f.set(WarpLists.INT, at + 4, dim);
      f.set(WarpLists.INT, at + 8, k);
      f.set(WarpLists.INT, at + 12, stride);
      f.set(WarpLists.INT, at + 16, documents);
      f.set(WarpLists.LONG, at + 20, tokens);
      f.set(WarpLists.LONG, at + 28, codeArea);
      at = WarpLists.FIXED_HEADER;
      for (int c = 0; c <= k; c++, at += 8) f.set(WarpLists.LONG, at, tokenStart[c]);
      for (int c = 0; c <= k; c++, at += 8) f.set(WarpLists.LONG, at, docByte[c]);
      for (int c = 0; c < k; c++, at += 4) f.set(WarpLists.FLOAT, at, maxResidualNorm[c]);
      for (int c = 0; c < k; c++, at++) f.set(ValueLayout.JAVA_BYTE, at, bits[c]);
      WarpRefs.Writer refs =
          seqOfOrdinal == null
              ? null
              : new WarpRefs.Writer(
                  target.resolveSibling(WarpRefs.FILE),
                  arena,
                  seqOfOrdinal,
                  Arrays.copyOf(docStart, documents + 1),
                  tokens,
                  count);
      long[] filled = new long[k];
      int[] prev = new int[k];
      int lastOrd = -1;
      long tokenOfDoc = 0;
      long record = 8L + stride;
      long spillSize = in.size();
      MemorySegment s =
          spillSize == 0
              ? MemorySegment.NULL
              : in.map(FileChannel.MapMode.READ_ONLY, 0, spillSize, arena);
      for (long r = 0; r < spillSize; r += record) {
        int c = s.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), r);
        int ord =
            s.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), r + 4);
        long j = filled[c]++;
        tokenOfDoc = ord == lastOrd ? tokenOfDoc + 1 : 0;
        lastOrd = ord;
        if (refs != null) refs.position(ord, tokenOfDoc, (int) j);
        int delta = j == 0 ? ord : ord - prev[c];
        prev[c] = ord;
        int b = bits[c];
        if (b > 0) {
          long bit = j * b;
          long p = docArea + docByte[c] + (bit >>> 3);
          long word = f.get(WarpLists.LONG, p);
          f.set(WarpLists.LONG, p, word | ((long) delta << (bit & 7)));
        }
        // Codes block-transposed (ResidualBlocks): byte b of the 16 tokens of a block side by
        // side, the list's last count % 16 tokens row-major.
        long list = codeArea + tokenStart[c] * stride;
        if (j < count[c] / ResidualBlocks.BLOCK * ResidualBlocks.BLOCK) {
          for (int x = 0; x < stride; x++)
            f.set(
                ValueLayout.JAVA_BYTE,
                list + ResidualBlocks.at((int) count[c], stride, (int) j, x),
                s.get(ValueLayout.JAVA_BYTE, r + 8 + x));
        } else {
          MemorySegment.copy(
              s, r + 8, f, list + ResidualBlocks.at((int) count[c], stride, (int) j, 0), stride);
        }
      }
      f.force();
      if (refs != null) refs.finish();
    }
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    if (seqOfOrdinal != null) WarpRefs.Writer.publish(target.resolveSibling(WarpRefs.FILE));
    Files.deleteIfExists(spill);
  }

  private static long align8(long v) {
    return (v + 7) & ~7L;
  }

  @Override
  public void close() throws IOException {
    out.close();
    Files.deleteIfExists(spill);
    Files.deleteIfExists(target.resolveSibling(target.getFileName() + ".tmp"));
    Files.deleteIfExists(target.resolveSibling(WarpRefs.FILE + ".tmp"));
  }

  /** Per-list token counts (tests). */
  public long[] counts() {
    return Arrays.copyOf(count, count.length);
  }
}
