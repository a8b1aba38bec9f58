package dev.latte.searcher.firststage.warp;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.ResidualCodebook;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.ResidualCodebookFile;
import dev.latte.indexer.TokenAnnotations;
import dev.latte.indexer.firststage.Deriver;
import dev.latte.indexer.firststage.FirstStageBuilder;
import dev.latte.indexer.firststage.FirstStageFormat;
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.indexer.firststage.LiveFirstStage;
import dev.latte.indexer.firststage.SourceDocuments;
import dev.latte.indexer.firststage.SphericalKMeans;
import dev.latte.indexer.lists.WarpLists;
import dev.latte.indexer.lists.WarpListsWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.document.BinaryDocValuesField;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.BytesRef;

/**
 * The WARP first stage's token lists: every document token's residual code (centroid id + n-bit
 * residual per dimension, {@link ResidualCodebook}) in packed per-centroid lists ({@link
 * WarpLists}), searched in place ({@link WarpIndex}).
 *
 * <ul>
 *   <li>Parameters: the main index's own codebook when the main index is residual-coded (so the
 *       lists hold the same codes as the documents, with the same centroids); otherwise a codebook
 *       with {@link Params#bits} bits per dimension fitted here on a sample, over the index's XTR
 *       centroids when it has them, else over centroids trained as XTR's are (spherical k-means on
 *       a sample, a power of two near {@code 4 sqrt(tokens)}). Stored in the stage folder ({@link
 *       WarpCodebookFile}) and frozen.
 *   <li>A build writes every live document's tokens into {@value #LISTS_FILE}, and one Lucene
 *       document per main document holding only its ordinal in that file ({@value #ORDINAL}) and
 *       the links every derived structure has.
 *   <li>Live writes (a server keeping the stage in step) derive their documents with the frozen
 *       codebook as Lucene documents carrying their codes ({@value #TAIL}: tokens i32, centroid ids
 *       u16 each, codes); searches gather those few into in-memory lists beside the file. A rebuild
 *       (or a server's retrain) packs everything into the file again. Replaced and deleted
 *       documents stay in the file, unlinked (skipped), until then.
 * </ul>
 */
public final class WarpBuilder implements FirstStageBuilder {
  public static final String NAME = "warp";

  /** Bump on any change of this stage's file layout: structures in another version are rebuilt. */
  public static final FirstStageFormat FORMAT = new FirstStageFormat(NAME, 2);

  public static final String LISTS_FILE = WarpLists.FILE;
  public static final String ORDINAL = "warp_ord";
  public static final String TAIL = "warp_tail";

  /**
   * @param bits residual bits per dimension when the stage trains its own codebook
   * @param centroids lists when training its own codebook; 0 chooses from the token count
   */
  public record Params(
      int bits, int centroids, int sampleFactor, int iterations, long seed, boolean listCodes) {
    public static final Params DEFAULT = new Params(2, 0, 32, 10, 42, true);

    public Params(int bits, int centroids, int sampleFactor, int iterations, long seed) {
      this(bits, centroids, sampleFactor, iterations, seed, true);
    }
  }

  private final Params params;
  private final VectorKernel kernel = VectorKernel.get();

  public WarpBuilder() {
    this(Params.DEFAULT);
  }

  public WarpBuilder(Params params) {
    this.params = params;
  }

  @Override
  public FirstStageFormat format() {
    return FORMAT;
  }

  @Override
  public boolean needsAnnotations() {
    return false;
  }

  @Override
  public void train(Directory dir, DirectoryReader main, IndexMetadata metadata)
      throws IOException {
    ResidualCodebook own = ResidualCodebookFile.readIfPresent(main.directory());
    if (own != null) {
      WarpCodebookFile.writeReference(dir, own);
      return;
    }
    int dim = metadata.dimension();
    long total = SourceDocuments.tokens(main);
    int k =
        params.centroids() > 0
            ? params.centroids()
            : dev.latte.searcher.firststage.xtr.XtrBuilder.defaultCentroids(total);
    k = (int) Math.max(1, Math.min(k, total));
    float[] sample =
        SourceDocuments.sampleRows(
            main,
            dim,
            false,
            (int) Math.min(total, (long) k * params.sampleFactor()),
            params.seed());
    int n = sample.length / dim;
    if (n == 0)
      throw new dev.latte.indexer.IndexMismatchException(
          "the WARP first stage needs token vectors to train its codebook; the index has none");
    SphericalKMeans kmeans =
        new SphericalKMeans(kernel, Runtime.getRuntime().availableProcessors());
    float[] centroids = xtrCentroids(main.directory(), dim, params.centroids());
    if (centroids != null) k = centroids.length / dim;
    else centroids = kmeans.train(sample, n, dim, k, params.iterations(), params.seed());
    int[] assign = new int[n];
    kmeans.assign(sample, n, dim, centroids, k, assign, new float[n]);
    WarpCodebookFile.write(
        dir, ResidualCodebook.fit(params.bits(), centroids, dim, sample, n, assign));
  }

  /**
   * The centroids of the index's XTR stage when it has one (trained the same way: one set of
   * centroids per index, and minutes of k-means saved), unless a centroid count is asked for.
   */
  private static float[] xtrCentroids(Directory main, int dim, int wanted) throws IOException {
    if (wanted > 0 || !(main instanceof FSDirectory fs)) return null;
    Path folder =
        FirstStageIndex.dir(fs.getDirectory(), dev.latte.searcher.firststage.xtr.XtrBuilder.NAME);
    if (!java.nio.file.Files.exists(
        folder.resolve(dev.latte.searcher.firststage.xtr.XtrBuilder.CENTROIDS_FILE))) return null;
    try (Directory d = FSDirectory.open(folder)) {
      TokenMatrix c = dev.latte.searcher.firststage.xtr.XtrBuilder.readCentroids(d);
      return c.dim() == dim ? c.data() : null;
    }
  }

  static ResidualCodebook codebook(Directory dir) throws IOException {
    return WarpCodebookFile.read(dir);
  }

  /** The live deriver: documents carrying their codes ({@value #TAIL}). */
  @Override
  public Deriver deriver(Directory dir, IndexMetadata metadata) throws IOException {
    CodebookCoder coder = coder(dir, metadata);
    return new Deriver() {
      @Override
      public boolean needsAnnotations() {
        return false;
      }

      @Override
      public List<Document> derive(List<TokenMatrix> mats, List<TokenAnnotations> anns) {
        List<Document> out = new ArrayList<>(mats.size());
        for (TokenMatrix m : mats) {
          Document d = new Document();
          d.add(new BinaryDocValuesField(TAIL, new BytesRef(tail(coder, m))));
          out.add(d);
        }
        return out;
      }
    };
  }

  private CodebookCoder coder(Directory dir, IndexMetadata metadata) throws IOException {
    ResidualCodebook book = codebook(dir);
    if (book.dim() != metadata.dimension())
      throw new dev.latte.indexer.IndexMismatchException(
          "the WARP codebook is "
              + book.dim()
              + "-d, the index "
              + metadata.dimension()
              + "-d; rebuild with --first-stage warp");
    return new CodebookCoder(book, kernel);
  }

  /** One live document's codes: tokens i32, then each token's centroid u16, then the codes. */
  static byte[] tail(WarpCoder coder, TokenMatrix m) {
    int n = m.rows();
    int[] ids = new int[n];
    byte[] codes = new byte[n * coder.stride()];
    coder.encode(m.data(), n, ids, codes);
    ByteBuffer b = ByteBuffer.allocate(4 + 2 * n + codes.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(n);
    for (int id : ids) b.putShort((short) id);
    b.put(codes);
    return b.array();
  }

  /**
   * Builds the stage beside its folder and then swaps it in ({@link
   * FirstStageIndex#replaceFolder}), never deleting the old one first: the lists may hold the only
   * copy of documents' codes, which this build reads.
   */
  @Override
  public void build(
      Path mainIndex, DirectoryReader main, IndexMetadata metadata, IndexProgress progress)
      throws IOException {
    Path folder = FirstStageIndex.dir(mainIndex, NAME);
    Path aside = folder.resolveSibling(folder.getFileName() + LiveFirstStage.BUILDING);
    FirstStageIndex.deleteFolder(aside);
    try {
      buildIn(aside, main, metadata, progress);
    } catch (IOException | RuntimeException e) {
      try {
        FirstStageIndex.deleteFolder(aside);
      } catch (IOException | RuntimeException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
    FirstStageIndex.replaceFolder(folder, aside);
  }

  /**
   * Builds the stage in {@code folder}: trains (or copies) the codebook, then derives every live
   * document into the packed lists and its ordinal document ({@link #build} and a server building
   * aside both come here).
   */
  @Override
  public void buildIn(
      Path folder, DirectoryReader main, IndexMetadata metadata, IndexProgress progress)
      throws IOException {
    pack(folder, main, metadata, progress, true);
  }

  /**
   * Packs every live document of {@code main} into {@code folder}'s lists, as {@link #buildIn}
   * does, with the codebook already in {@code folder} (copied there from another index, frozen)
   * instead of training one: the shards of a sharded index, packed with the codebook all shards
   * share. With the main index's own codes (a residual index coded with that codebook) the lists
   * copy them and the refs let {@code TokenCompaction} drop the main index's copy.
   */
  public void packIn(
      Path folder, DirectoryReader main, IndexMetadata metadata, IndexProgress progress)
      throws IOException {
    pack(folder, main, metadata, progress, false);
  }

  private void pack(
      Path folder,
      DirectoryReader main,
      IndexMetadata metadata,
      IndexProgress progress,
      boolean train)
      throws IOException {
    WarpBuilder self = this;
    WarpListsWriter[] writer = {null};
    boolean[] ownCodes = {false};
    FirstStageBuilder packing =
        new FirstStageBuilder() {
          @Override
          public FirstStageFormat format() {
            return FORMAT;
          }

          @Override
          public boolean needsAnnotations() {
            return false;
          }

          @Override
          public void train(Directory dir, DirectoryReader m, IndexMetadata md) throws IOException {
            self.train(dir, m, md);
          }

          @Override
          public Deriver deriver(Directory dir, IndexMetadata md) throws IOException {
            CodebookCoder coder = coder(dir, md);
            writer[0] =
                new WarpListsWriter(
                    folder.resolve(LISTS_FILE),
                    coder.dim(),
                    coder.centroids(),
                    params.listCodes() ? coder.stride() : 0);
            StoredCodes stored = StoredCodes.of(main, coder.codebook());
            ownCodes[0] = stored != null && params.listCodes();
            return packingDeriver(coder, writer[0], stored);
          }
        };
    try {
      if (train) FirstStageIndex.build(packing, folder, main, metadata, progress);
      else FirstStageIndex.derive(packing, folder, main, metadata, progress);
      if (writer[0] == null)
        throw new IllegalStateException("the WARP build derived no documents and wrote no lists");
      // Refs only when the lists hold the main index's own codes (its codebook, its centroids):
      // then the main index can drop its copy (TokenCompaction).
      writer[0].finish(ownCodes[0] ? sequenceNumbers(folder, writer[0].documents()) : null);
    } finally {
      if (writer[0] != null) writer[0].close();
    }
  }

  /**
   * Each list ordinal's main write sequence number, from the stage's committed documents (the refs
   * find a document's tokens by it); null when a document has none (an index written before
   * sequence numbers: its lists get no refs, and its main index keeps the codes).
   */
  private static long[] sequenceNumbers(Path folder, int ordinals) throws IOException {
    long[] seqs = new long[ordinals];
    java.util.Arrays.fill(seqs, -1);
    try (Directory d = FSDirectory.open(folder);
        DirectoryReader r = DirectoryReader.open(d)) {
      for (var leaf : r.leaves()) {
        var ord = leaf.reader().getNumericDocValues(ORDINAL);
        var seq = leaf.reader().getNumericDocValues(dev.latte.indexer.IndexLayout.SEQ);
        if (ord == null) continue;
        if (seq == null) return null;
        for (int doc = ord.nextDoc();
            doc != org.apache.lucene.search.DocIdSetIterator.NO_MORE_DOCS;
            doc = ord.nextDoc()) {
          if (!seq.advanceExact(doc)) return null;
          seqs[(int) ord.longValue()] = seq.longValue();
        }
      }
    }
    for (long s : seqs) if (s < 0) return null;
    return seqs;
  }

  private static Deriver packingDeriver(
      CodebookCoder coder, WarpListsWriter writer, StoredCodes stored) {
    return new Deriver() {
      @Override
      public boolean needsAnnotations() {
        return false;
      }

      @Override
      public List<Document> derive(List<TokenMatrix> mats, List<TokenAnnotations> anns)
          throws IOException {
        List<Document> out = new ArrayList<>(mats.size());
        for (TokenMatrix m : mats) {
          int n = m.rows();
          int[] ids = new int[n];
          byte[] codes = new byte[n * coder.stride()];
          if (stored != null) stored.next(n, ids, codes);
          else coder.encode(m.data(), n, ids, codes);
          int ord = writer.add(ids, codes, n, coder);
          Document d = new Document();
          d.add(new NumericDocValuesField(ORDINAL, ord));
          out.add(d);
        }
        return out;
      }
    };
  }

  /** The codebook of a built stage (tests, benchmarks). */
  public static ResidualCodebook readCodebook(Path mainIndex) throws IOException {
    try (Directory d = FSDirectory.open(FirstStageIndex.dir(mainIndex, NAME))) {
      return codebook(d);
    }
  }
}
