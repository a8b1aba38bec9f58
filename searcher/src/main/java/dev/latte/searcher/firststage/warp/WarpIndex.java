package dev.latte.searcher.firststage.warp;

import dev.latte.core.codec.ResidualCodebook;
import dev.latte.core.kernel.ResidualBlocks;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.indexer.lists.WarpLists;
import dev.latte.searcher.FirstStageParams;
import dev.latte.searcher.LatteIndex;
import java.io.Closeable;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;

/**
 * The WARP stage of one open Latte index: the packed lists of the build ({@link WarpLists},
 * memory-mapped), the documents written live since (gathered into in-memory lists of the same
 * shape), and which main document each list ordinal is ({@code -1}: deleted or replaced since).
 *
 * <p>Over a sharded index it is one such part per shard ({@link #shards}: each shard's own lists
 * file and live-derived documents, its ordinals naming documents of the whole index), which {@link
 * WarpSearch} scans in parallel; the whole keeps what selection needs over all shards: every list's
 * size summed, its largest residual norm over all shards. Thread-safe.
 */
final class WarpIndex implements Closeable {
  private final DirectoryReader reader; // null: a shard's part, the whole owns the reader
  final ResidualCodebook codebook;
  final WarpLists lists; // null: a structure built without packing (every document live-derived)
  private final int stride;
  final int baseDocuments;

  /** Main doc id of every ordinal: the file's first, then the live-derived ones; -1 if gone. */
  final int[] mainOf;

  /** Live-derived tokens, by centroid: tokens of list c at [tailStart[c], tailStart[c + 1]). */
  final int[] tailStart;

  final int[] tailOrds;

  /** The live-derived lists' codes, each list in the {@link ResidualBlocks} layout. */
  final MemorySegment tailCodes;

  final float[] maxNorm;

  /**
   * The row-major rest of each list of the file (its last {@code size % BLOCK} tokens, which the
   * blocked kernel would score one at a time) copied at load into one zero-padded {@link
   * ResidualBlocks#BLOCK}-token block, list c's at byte {@code restAt[c]} ({@code -1}: no rest), so
   * that a scan scores every token of a list in blocks. Splitting an index into shards multiplies
   * these rests (one per list per shard); in memory they cost {@code BLOCK x R} bytes per list.
   */
  final MemorySegment rests;

  final int[] restAt;

  /** A sharded index's parts, one per shard, in shard order; empty for one index. */
  final List<WarpIndex> shards;

  private final int[] listSizes;
  private final int ordinals;

  /** The whole of a sharded index's parts (all coded with one codebook, the shards' shared one). */
  private WarpIndex(DirectoryReader reader, ResidualCodebook codebook, List<WarpIndex> shards) {
    int k = codebook.centroidCount();
    this.reader = reader;
    this.codebook = codebook;
    this.lists = null;
    this.stride = shards.getFirst().stride;
    this.baseDocuments = 0;
    this.mainOf = new int[0];
    this.tailStart = new int[k + 1];
    this.tailOrds = new int[0];
    this.tailCodes = MemorySegment.ofArray(new byte[0]);
    this.rests = tailCodes;
    this.restAt = new int[0];
    this.maxNorm = new float[k];
    this.listSizes = new int[k];
    this.shards = List.copyOf(shards);
    int n = 0;
    for (WarpIndex s : shards) {
      if (s.stride != stride)
        throw new dev.latte.indexer.IndexMismatchException(
            "the shards' WARP lists hold codes of different sizes ("
                + s.stride
                + " and "
                + stride
                + " bytes per token); build every shard's WARP stage the same way");
      n += s.ordinals;
      for (int c = 0; c < k; c++) {
        listSizes[c] += s.listSizes[c];
        maxNorm[c] = Math.max(maxNorm[c], s.maxNorm[c]);
      }
    }
    this.ordinals = n;
  }

  private WarpIndex(
      DirectoryReader reader,
      ResidualCodebook codebook,
      WarpLists lists,
      int stride,
      int[] mainOf,
      int[] tailStart,
      int[] tailOrds,
      byte[] tailCodes,
      float[] maxNorm) {
    this.reader = reader;
    this.codebook = codebook;
    this.lists = lists;
    this.stride = stride;
    this.baseDocuments = lists == null ? 0 : lists.documents;
    this.mainOf = mainOf;
    this.tailStart = tailStart;
    this.tailOrds = tailOrds;
    this.tailCodes = MemorySegment.ofArray(tailCodes);
    this.maxNorm = maxNorm;
    this.shards = List.of();
    int k = codebook.centroidCount();
    this.restAt = new int[k];
    this.rests = paddedRests(lists, stride, restAt);
    this.listSizes = new int[k];
    for (int c = 0; c < k; c++)
      listSizes[c] = (lists == null ? 0 : lists.size(c)) + tailStart[c + 1] - tailStart[c];
    this.ordinals = mainOf.length;
  }

  static WarpIndex load(LatteIndex index) throws IOException {
    return FirstStageParams.open(
        index,
        WarpBuilder.FORMAT,
        linked -> {
          ResidualCodebook book =
              FirstStageParams.of(
                  index,
                  WarpBuilder.NAME,
                  codebookFile(index),
                  ResidualCodebook.class,
                  dir -> WarpCodebookFile.read(dir, index.path()));
          // The main index's own codebook instance when the lists use it, so that a query's
          // residual tables (cached per codebook instance) serve the lists and the rescoring.
          ResidualCodebook own = index.residualCodebook();
          if (own != null && own != book && own.fingerprint().equals(book.fingerprint()))
            book = own;
          if (book.dim() != index.metadata().dimension())
            throw new dev.latte.indexer.IndexMismatchException(
                "the WARP codebook is "
                    + book.dim()
                    + "-d, the index "
                    + index.metadata().dimension()
                    + "-d; rebuild with --first-stage warp");
          List<DirectoryReader> shardReaders =
              linked.reader() instanceof dev.latte.indexer.ShardedCommits sharded
                  ? sharded.shardReaders()
                  : List.of();
          if (shardReaders.size() > 1) return sharded(linked, book, shardReaders);
          Path file =
              FirstStageIndex.dir(index.path(), WarpBuilder.NAME).resolve(WarpBuilder.LISTS_FILE);
          WarpLists lists = Files.exists(file) ? WarpLists.open(file) : null;
          try {
            return of(linked, linked.reader().leaves(), book, lists, linked.reader());
          } catch (IOException | RuntimeException e) {
            if (lists != null) lists.close();
            throw e;
          }
        });
  }

  /**
   * One part per shard: shard s's leaves of the sharded stage reader, and the lists file of its own
   * stage folder if its stage was built (packed) rather than derived document by document.
   */
  private static WarpIndex sharded(
      FirstStageIndex.Linked linked, ResidualCodebook book, List<DirectoryReader> shardReaders)
      throws IOException {
    List<WarpIndex> parts = new ArrayList<>();
    List<LeafReaderContext> leaves = linked.reader().leaves();
    int from = 0;
    try {
      for (DirectoryReader shard : shardReaders) {
        int to = from + shard.leaves().size();
        Path file = listsFileOf(shard);
        WarpLists lists = file != null && Files.exists(file) ? WarpLists.open(file) : null;
        try {
          parts.add(of(linked, leaves.subList(from, to), book, lists, null));
        } catch (IOException | RuntimeException e) {
          if (lists != null) lists.close();
          throw e;
        }
        from = to;
      }
      return new WarpIndex(linked.reader(), book, parts);
    } catch (IOException | RuntimeException e) {
      for (WarpIndex p : parts) p.close();
      throw e;
    }
  }

  /** The lists file in the folder of a shard's stage reader, or null if it is not a folder. */
  private static Path listsFileOf(DirectoryReader shardStage) {
    var dir = org.apache.lucene.store.FilterDirectory.unwrap(shardStage.directory());
    return dir instanceof org.apache.lucene.store.FSDirectory fs
        ? fs.getDirectory().resolve(WarpBuilder.LISTS_FILE)
        : null;
  }

  private static String codebookFile(LatteIndex index) throws IOException {
    try (var dir =
        org.apache.lucene.store.FSDirectory.open(
            FirstStageIndex.dir(index.path(), WarpBuilder.NAME))) {
      return WarpCodebookFile.fileIn(dir);
    }
  }

  private static WarpIndex of(
      FirstStageIndex.Linked linked,
      List<LeafReaderContext> leaves,
      ResidualCodebook book,
      WarpLists lists,
      DirectoryReader owned)
      throws IOException {
    int k = book.centroidCount();
    // Lists hold the residual codes (stride R), or only document ordinals (stride 0: scored by
    // their centroids alone, the codes read by rescoring only).
    int r = lists == null ? book.codeStride() : lists.stride;
    if (lists != null
        && (lists.centroids != k || (r != 0 && r != book.codeStride()) || lists.dim != book.dim()))
      throw new dev.latte.indexer.IndexMismatchException(
          "the WARP lists do not match their codebook; rebuild with --first-stage warp");
    int base = lists == null ? 0 : lists.documents;
    int[] mainDocs = linked.mainDocs();
    int[] mainOf = new int[base];
    Arrays.fill(mainOf, -1);
    List<int[]> tailIds = new ArrayList<>();
    List<byte[]> tailBytes = new ArrayList<>();
    List<Integer> tailMain = new ArrayList<>();
    for (LeafReaderContext leaf : leaves) {
      Bits live = leaf.reader().getLiveDocs();
      NumericDocValues ord = leaf.reader().getNumericDocValues(WarpBuilder.ORDINAL);
      BinaryDocValues tail = leaf.reader().getBinaryDocValues(WarpBuilder.TAIL);
      for (int d = 0; d < leaf.reader().maxDoc(); d++) {
        if (live != null && !live.get(d)) continue;
        int main = mainDocs[leaf.docBase + d];
        if (main < 0) continue;
        if (ord != null && ord.advanceExact(d)) {
          long o = ord.longValue();
          if (o < 0 || o >= base)
            throw new dev.latte.indexer.IndexMismatchException(
                "a WARP document names list ordinal "
                    + o
                    + " but the lists hold "
                    + base
                    + "; rebuild with --first-stage warp");
          mainOf[(int) o] = main;
        } else if (tail != null && tail.advanceExact(d)) {
          BytesRef v = tail.binaryValue();
          ByteBuffer b =
              ByteBuffer.wrap(v.bytes, v.offset, v.length).order(ByteOrder.LITTLE_ENDIAN);
          int n = b.getInt();
          int[] ids = new int[n];
          for (int i = 0; i < n; i++) ids[i] = Short.toUnsignedInt(b.getShort());
          byte[] codes = new byte[n * book.codeStride()];
          b.get(codes);
          tailIds.add(ids);
          tailBytes.add(codes);
          tailMain.add(main);
        }
      }
    }
    // Counting sort of the live-derived tokens into lists (documents in order inside each list).
    int[] start = new int[k + 1];
    for (int[] ids : tailIds) for (int c : ids) start[c + 1]++;
    for (int c = 0; c < k; c++) start[c + 1] += start[c];
    int total = start[k];
    int[] ords = new int[total];
    byte[] codes = new byte[total * r];
    int[] fill = Arrays.copyOf(start, k);
    int[] all = Arrays.copyOf(mainOf, base + tailIds.size());
    float[] maxNorm = lists == null ? new float[k] : lists.maxNorm.clone();
    float[] res = new float[book.dim()];
    CodebookCoder coder = new CodebookCoder(book, VectorKernel.get());
    for (int t = 0; t < tailIds.size(); t++) {
      int o = base + t;
      all[o] = tailMain.get(t);
      int[] ids = tailIds.get(t);
      byte[] bytes = tailBytes.get(t);
      for (int i = 0; i < ids.length; i++) {
        int c = ids[i], at = fill[c]++;
        ords[at] = o;
        if (r == 0) continue;
        System.arraycopy(bytes, i * r, codes, at * r, r);
        coder.decodeResidual(bytes, i * r, res);
        float norm = 0;
        for (float x : res) norm += x * x;
        maxNorm[c] = Math.max(maxNorm[c], (float) Math.sqrt(norm));
      }
    }
    // Each list's codes in the lists file's blocked layout, so one kernel scans both.
    byte[] blocked = new byte[codes.length];
    for (int c = 0; c < k && r > 0; c++)
      ResidualBlocks.block(codes, start[c] * r, start[c + 1] - start[c], r, blocked, start[c] * r);
    return new WarpIndex(owned, book, lists, r, all, start, ords, blocked, maxNorm);
  }

  /**
   * Fills {@code restAt} and returns the padded rest blocks of the file's lists (see {@link
   * #rests}).
   */
  private static MemorySegment paddedRests(WarpLists lists, int stride, int[] restAt) {
    Arrays.fill(restAt, -1);
    if (lists == null || stride == 0) return MemorySegment.ofArray(new byte[0]);
    int block = ResidualBlocks.BLOCK, withRest = 0;
    for (int c = 0; c < restAt.length; c++) if (lists.size(c) % block != 0) withRest++;
    long bytes = (long) withRest * block * stride;
    if (bytes > Integer.MAX_VALUE - 16)
      throw new IllegalStateException("the lists' padded rests need " + bytes + " bytes");
    byte[] out = new byte[(int) bytes];
    byte[] rowMajor = new byte[block * stride]; // zeros past the rest: padding tokens
    int at = 0;
    for (int c = 0; c < restAt.length; c++) {
      int n = lists.size(c), m = n % block;
      if (m == 0) continue;
      Arrays.fill(rowMajor, (byte) 0);
      MemorySegment.copy(
          lists.segment(),
          java.lang.foreign.ValueLayout.JAVA_BYTE,
          lists.codeOffset(c) + (long) (n - m) * stride,
          rowMajor,
          0,
          m * stride);
      ResidualBlocks.block(rowMajor, 0, block, stride, out, at);
      restAt[c] = at;
      at += block * stride;
    }
    return MemorySegment.ofArray(out);
  }

  int centroids() {
    return codebook.centroidCount();
  }

  /**
   * An upper bound of every score {@code s·(qc + q·r)} in list c for a query token whose centroid
   * score is {@code qc} (q a unit vector, so {@code q·r <= max |r|}): {@code qc + max |r|}, times
   * the largest scale the codebook can decode when that is positive and the smallest when not.
   * Without scales exactly {@code qc + max |r|}, as before.
   */
  float bound(float qc, int c) {
    float x = qc + maxNorm[c];
    if (!codebook.scaled()) return x;
    return x >= 0 ? x * codebook.scale(ResidualCodebook.SCALE_LEVELS - 1) : x * codebook.scaleLow();
  }

  /** Code bytes per listed token: the residual's, or 0 for lists of ordinals only. */
  int stride() {
    return stride;
  }

  /** Ordinals (file + live-derived). */
  int ordinals() {
    return ordinals;
  }

  /** Tokens of list c in the file plus those written live (over all shards for the whole). */
  int listSize(int c) {
    return listSizes[c];
  }

  long bytes() throws IOException {
    return dev.latte.indexer.ShardedCommits.folderBytes(reader); // every shard's, when sharded
  }

  @Override
  public void close() throws IOException {
    try {
      if (reader != null) reader.close();
    } finally {
      if (lists != null) lists.close();
      for (WarpIndex s : shards) s.close();
    }
  }
}
