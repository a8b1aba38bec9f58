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
 * Thread-safe; searches are in {@link WarpSearch}.
 */
final class WarpIndex implements Closeable {
  private final DirectoryReader reader;
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
          Path file =
              FirstStageIndex.dir(index.path(), WarpBuilder.NAME).resolve(WarpBuilder.LISTS_FILE);
          WarpLists lists = Files.exists(file) ? WarpLists.open(file) : null;
          try {
            return of(linked, book, lists);
          } catch (IOException | RuntimeException e) {
            if (lists != null) lists.close();
            throw e;
          }
        });
  }

  private static String codebookFile(LatteIndex index) throws IOException {
    try (var dir =
        org.apache.lucene.store.FSDirectory.open(
            FirstStageIndex.dir(index.path(), WarpBuilder.NAME))) {
      return WarpCodebookFile.fileIn(dir);
    }
  }

  private static WarpIndex of(FirstStageIndex.Linked linked, ResidualCodebook book, WarpLists lists)
      throws IOException {
    int k = book.centroidCount();
    // Lists hold the residual codes (stride R), or only document ordinals (stride 0: scored by
    // their centroids alone, the codes read by rescoring only).
    int r = lists == null ? book.residualBytes() : lists.stride;
    if (lists != null
        && (lists.centroids != k
            || (r != 0 && r != book.residualBytes())
            || lists.dim != book.dim()))
      throw new dev.latte.indexer.IndexMismatchException(
          "the WARP lists do not match their codebook; rebuild with --first-stage warp");
    int base = lists == null ? 0 : lists.documents;
    DirectoryReader reader = linked.reader();
    int[] mainDocs = linked.mainDocs();
    int[] mainOf = new int[base];
    Arrays.fill(mainOf, -1);
    List<int[]> tailIds = new ArrayList<>();
    List<byte[]> tailBytes = new ArrayList<>();
    List<Integer> tailMain = new ArrayList<>();
    for (LeafReaderContext leaf : reader.leaves()) {
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
          byte[] codes = new byte[n * book.residualBytes()];
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
    return new WarpIndex(reader, book, lists, r, all, start, ords, blocked, maxNorm);
  }

  int centroids() {
    return codebook.centroidCount();
  }

  /** Code bytes per listed token: the residual's, or 0 for lists of ordinals only. */
  int stride() {
    return stride;
  }

  /** Ordinals (file + live-derived). */
  int ordinals() {
    return mainOf.length;
  }

  /** Tokens of list c in the file plus those written live. */
  int listSize(int c) {
    return (lists == null ? 0 : lists.size(c)) + tailStart[c + 1] - tailStart[c];
  }

  long bytes() throws IOException {
    return dev.latte.indexer.ShardedCommits.folderBytes(reader); // every shard's, when sharded
  }

  @Override
  public void close() throws IOException {
    try {
      reader.close();
    } finally {
      if (lists != null) lists.close();
    }
  }
}
